; Definitions and references in TypeScript: JavaScript's, plus types.

(class_declaration name: (type_identifier) @name.definition.class) @definition.class
(abstract_class_declaration name: (type_identifier) @name.definition.class) @definition.class
(interface_declaration name: (type_identifier) @name.definition.interface) @definition.interface
(type_alias_declaration name: (type_identifier) @name.definition.type) @definition.type
(enum_declaration name: (identifier) @name.definition.enum) @definition.enum
(function_declaration name: (identifier) @name.definition.function) @definition.function
(method_definition name: (property_identifier) @name.definition.function) @definition.function
(method_signature name: (property_identifier) @name.definition.function) @definition.function
(public_field_definition name: (property_identifier) @name.definition.field) @definition.field
(property_signature name: (property_identifier) @name.definition.field) @definition.field

(program (lexical_declaration
  (variable_declarator name: (identifier) @name.definition.function
    value: [(arrow_function) (function_expression)]) @definition.function))
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name.definition.function
    value: [(arrow_function) (function_expression)]) @definition.function)))
(program (lexical_declaration
  (variable_declarator name: (identifier) @name.definition.variable) @definition.variable))
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name.definition.variable) @definition.variable)))

(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @name.definition.field)) @definition.field

(import_specifier name: (identifier) @name.definition.import .) @definition.import
(import_specifier alias: (identifier) @name.definition.import) @definition.import
(import_clause (identifier) @name.definition.import) @definition.import
(namespace_import (identifier) @name.definition.import) @definition.import

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (member_expression property: (property_identifier) @name.reference.call))
(new_expression constructor: (identifier) @name.reference.class)
(member_expression property: (property_identifier) @name.reference.member)
(type_annotation (type_identifier) @name.reference.class)
(extends_clause value: (identifier) @name.reference.class)
(implements_clause (type_identifier) @name.reference.class)
