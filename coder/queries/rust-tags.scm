; Definitions and references in Rust. Methods take their scope from the impl's type.

(struct_item name: (type_identifier) @name.definition.class) @definition.class
(enum_item name: (type_identifier) @name.definition.enum) @definition.enum
(trait_item name: (type_identifier) @name.definition.interface) @definition.interface
(type_item name: (type_identifier) @name.definition.type) @definition.type
(function_item name: (identifier) @name.definition.function) @definition.function
(function_signature_item name: (identifier) @name.definition.function) @definition.function
(field_declaration name: (field_identifier) @name.definition.field) @definition.field
(enum_variant name: (identifier) @name.definition.constant) @definition.constant
(const_item name: (identifier) @name.definition.constant) @definition.constant
(static_item name: (identifier) @name.definition.variable) @definition.variable
(macro_definition name: (identifier) @name.definition.macro) @definition.macro
(mod_item name: (identifier) @name.definition.module) @definition.module
(use_declaration argument: (scoped_identifier name: (identifier) @name.definition.import)) @definition.import
(use_declaration argument: (identifier) @name.definition.import) @definition.import

(call_expression function: (identifier) @name.reference.call)
(call_expression function: (field_expression field: (field_identifier) @name.reference.call))
(call_expression function: (scoped_identifier name: (identifier) @name.reference.call))
(field_expression field: (field_identifier) @name.reference.member)
(macro_invocation macro: (identifier) @name.reference.call)
(type_identifier) @name.reference.class
