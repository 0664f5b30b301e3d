; Definitions that enclose code, for the prefix window (coder/context/scope_window.py).
; @scope is the whole definition, @body the part after its header.

(mod_item body: (declaration_list) @body) @scope
(impl_item body: (declaration_list) @body) @scope
(trait_item body: (declaration_list) @body) @scope
(struct_item body: (field_declaration_list) @body) @scope
(enum_item body: (enum_variant_list) @body) @scope
(function_item body: (block) @body) @scope
(closure_expression body: (block) @body) @scope
