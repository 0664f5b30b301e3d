; Definitions and references in JavaScript (and the shared part of TypeScript).

(class_declaration name: (_) @name.definition.class) @definition.class
(function_declaration name: (identifier) @name.definition.function) @definition.function
(generator_function_declaration name: (identifier) @name.definition.function) @definition.function
(method_definition name: (property_identifier) @name.definition.function) @definition.function

; `const f = (...) => ...` and `const f = function ...` are functions; other
; top-level declarations are variables.
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

; Fields a method sets on its instance: `this.name = ...`.
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @name.definition.field)) @definition.field

; Names an import binds.
(import_specifier name: (identifier) @name.definition.import .) @definition.import
(import_specifier alias: (identifier) @name.definition.import) @definition.import
(import_clause (identifier) @name.definition.import) @definition.import
(namespace_import (identifier) @name.definition.import) @definition.import

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (member_expression property: (property_identifier) @name.reference.call))
(new_expression constructor: (identifier) @name.reference.class)
(member_expression property: (property_identifier) @name.reference.member)
(class_heritage (identifier) @name.reference.class)
