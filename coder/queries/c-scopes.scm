; Definitions that enclose code, for the prefix window (coder/context/scope_window.py).
; @scope is the whole definition, @body the part after its header.

(function_definition body: (compound_statement) @body) @scope
(struct_specifier body: (field_declaration_list) @body) @scope
(union_specifier body: (field_declaration_list) @body) @scope
(enum_specifier body: (enumerator_list) @body) @scope
