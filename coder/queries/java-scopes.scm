; Definitions that enclose code, for the prefix window (coder/context/scope_window.py).
; @scope is the whole definition, @body the part after its header.

(class_declaration body: (class_body) @body) @scope
(interface_declaration body: (interface_body) @body) @scope
(enum_declaration body: (enum_body) @body) @scope
(record_declaration body: (class_body) @body) @scope
(method_declaration body: (block) @body) @scope
(constructor_declaration body: (constructor_body) @body) @scope
(lambda_expression body: (block) @body) @scope
