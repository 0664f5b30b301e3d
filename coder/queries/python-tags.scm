; Definitions and references in Python, for the repository index.
; @name.definition.<kind> captures the defined name, @definition.<kind> its whole node.

(class_definition
  name: (identifier) @name.definition.class) @definition.class

(function_definition
  name: (identifier) @name.definition.function) @definition.function

; Module-level and class-level assignments: `NAME = ...`, `NAME: T = ...`.
(module
  (expression_statement
    (assignment left: (identifier) @name.definition.variable) @definition.variable))
(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name.definition.field) @definition.field)))

; Attributes a method sets on its instance: `self.name = ...`.
(function_definition
  body: (block
    (expression_statement
      (assignment
        left: (attribute
          object: (identifier) @_self
          attribute: (identifier) @name.definition.field)) @definition.field))
  (#eq? @_self "self"))

; Names an import binds in this module.
(import_statement name: (dotted_name . (identifier) @name.definition.import) @definition.import)
(import_statement name: (aliased_import alias: (identifier) @name.definition.import) @definition.import)
(import_from_statement name: (dotted_name (identifier) @name.definition.import .) @definition.import)
(import_from_statement name: (aliased_import alias: (identifier) @name.definition.import) @definition.import)

; References: calls, attribute uses, and names read elsewhere.
(call function: (identifier) @name.reference.call)
(call function: (attribute attribute: (identifier) @name.reference.call))
(attribute attribute: (identifier) @name.reference.member)
; Classes before plain names: a base class is also an argument_list entry.
(type (identifier) @name.reference.class)
(class_definition superclasses: (argument_list (identifier) @name.reference.class))
(argument_list (identifier) @name.reference.name)
