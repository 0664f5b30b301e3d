; Definitions and references in Go. @scope names the type a method or field belongs to.

(function_declaration name: (identifier) @name.definition.function) @definition.function
(method_declaration
  receiver: (parameter_list (parameter_declaration
    type: [(type_identifier) @scope (pointer_type (type_identifier) @scope)]))
  name: (field_identifier) @name.definition.method) @definition.method
(type_spec name: (type_identifier) @name.definition.type type: (struct_type)) @definition.type
(type_spec name: (type_identifier) @name.definition.interface type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @scope
  type: (struct_type (field_declaration_list
    (field_declaration name: (field_identifier) @name.definition.field) @definition.field)))
(type_spec name: (type_identifier) @scope
  type: (interface_type (method_elem name: (field_identifier) @name.definition.method) @definition.method))
(source_file (const_declaration (const_spec name: (identifier) @name.definition.constant) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name.definition.variable) @definition.variable))

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (selector_expression field: (field_identifier) @name.reference.call))
(selector_expression field: (field_identifier) @name.reference.member)
(parameter_declaration type: (type_identifier) @name.reference.class)
