; Name bindings in JavaScript, for grounded completions (coder/grounding/js_file.py).
; @scope.* : nodes that open a function or class scope (let/const are treated as
; function-scoped: a little too lenient, never too strict).  @bind.* : names bound in
; the enclosing scope.  @params : parameter lists.  @import / @export : module edges.
; @this.field : `this.x = ...`.  @cjs.* : CommonJS exports.  @dynamic.* : members added
; in ways the resolver cannot list.

(function_declaration) @scope.function
(generator_function_declaration) @scope.function
(function_expression) @scope.function
(generator_function) @scope.function
(arrow_function) @scope.arrow
(method_definition) @scope.method
(class_declaration) @scope.class
(class) @scope.class

(variable_declarator name: (_) @bind.variable)
(function_declaration name: (identifier) @bind.function)
(generator_function_declaration name: (identifier) @bind.function)
(class_declaration name: (identifier) @bind.class)
(catch_clause parameter: (_) @bind.catch)
(for_in_statement left: (identifier) @bind.loop)

(formal_parameters) @params
(arrow_function parameter: (identifier) @bind.param)

(import_statement) @import
(export_statement) @export

(assignment_expression
  left: (member_expression object: (this) property: (_) @this.field))

; `exports.x = ...`, `module.exports = ...`, `module.exports.x = ...` (@cjs.name: x / exports)
(assignment_expression
  left: (member_expression
    object: (identifier) @_cjs.object
    property: (property_identifier) @cjs.name)
  (#any-of? @_cjs.object "exports" "module"))
(assignment_expression
  left: (member_expression
    object: (member_expression
      object: (identifier) @_cjs.module
      property: (property_identifier) @_cjs.exports)
    property: (property_identifier) @cjs.name)
  (#eq? @_cjs.module "module") (#eq? @_cjs.exports "exports"))

(assignment_expression left: (subscript_expression object: (this))) @dynamic.this
((call_expression
  function: (member_expression object: (identifier) @_object property: (property_identifier) @_assign)
  arguments: (arguments . (this))) @dynamic.assign
  (#eq? @_object "Object") (#eq? @_assign "assign"))
