; Name bindings in Python, for grounded completions (coder/grounding/python_file.py).
; @scope.* : nodes that open a scope.  @bind.* : identifiers a statement binds in the
; scope that contains it.  @_attr.object / @attr.name : `obj.name = ...` (instance
; attributes when obj is a method's self/cls).  @dynamic.* : code that adds names the
; resolver cannot see, so it must report low confidence.

(function_definition) @scope.function
(class_definition) @scope.class
(lambda) @scope.lambda
(list_comprehension) @scope.comprehension
(set_comprehension) @scope.comprehension
(dictionary_comprehension) @scope.comprehension
(generator_expression) @scope.comprehension

(function_definition name: (identifier) @bind.function)
(class_definition name: (identifier) @bind.class)

(assignment left: (identifier) @bind.assign)
(augmented_assignment left: (identifier) @bind.augment)
(named_expression name: (identifier) @bind.walrus)
(pattern_list (identifier) @bind.unpack)
(tuple_pattern (identifier) @bind.unpack)
(list_pattern (identifier) @bind.unpack)
(for_statement left: (identifier) @bind.loop)
(for_in_clause left: (identifier) @bind.loop)
(as_pattern_target (identifier) @bind.as)
(global_statement (identifier) @bind.global)
(nonlocal_statement (identifier) @bind.nonlocal)

; Parameters (`*args` / `**kw` come through the splat patterns).
(parameters (identifier) @bind.param)
(lambda_parameters (identifier) @bind.param)
(typed_parameter . (identifier) @bind.param)
(default_parameter name: (identifier) @bind.param)
(typed_default_parameter name: (identifier) @bind.param)
(list_splat_pattern (identifier) @bind.splat)
(dictionary_splat_pattern (identifier) @bind.splat)

(import_statement) @import.plain
(import_from_statement) @import.from

(assignment
  left: (attribute object: (identifier) @_attr.object attribute: (identifier) @attr.name))
(augmented_assignment
  left: (attribute object: (identifier) @_attr.object attribute: (identifier) @attr.name))
(pattern_list
  (attribute object: (identifier) @_attr.object attribute: (identifier) @attr.name))

((call function: (identifier) @dynamic.call)
  (#any-of? @dynamic.call "setattr" "exec" "globals"))
((attribute attribute: (identifier) @dynamic.dict)
  (#eq? @dynamic.dict "__dict__"))
((function_definition name: (identifier) @dynamic.getattr)
  (#any-of? @dynamic.getattr "__getattr__" "__getattribute__"))
