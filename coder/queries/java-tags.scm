; Definitions and references in Java.

(class_declaration name: (identifier) @name.definition.class) @definition.class
(interface_declaration name: (identifier) @name.definition.interface) @definition.interface
(enum_declaration name: (identifier) @name.definition.enum) @definition.enum
(record_declaration name: (identifier) @name.definition.class) @definition.class
(method_declaration name: (identifier) @name.definition.function) @definition.function
(constructor_declaration name: (identifier) @name.definition.function) @definition.function
(field_declaration declarator: (variable_declarator name: (identifier) @name.definition.field)) @definition.field
(import_declaration (scoped_identifier name: (identifier) @name.definition.import)) @definition.import

(method_invocation name: (identifier) @name.reference.call)
(object_creation_expression type: (type_identifier) @name.reference.class)
(field_access field: (identifier) @name.reference.member)
(superclass (type_identifier) @name.reference.class)
(type_list (type_identifier) @name.reference.class)
(generic_type (type_identifier) @name.reference.class)
