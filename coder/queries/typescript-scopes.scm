; Definitions that enclose code, for the prefix window (coder/context/scope_window.py).
; @scope is the whole definition, @body the part after its header. TSX uses this file.

(class_declaration body: (class_body) @body) @scope
(abstract_class_declaration body: (class_body) @body) @scope
(class body: (class_body) @body) @scope
(interface_declaration body: (interface_body) @body) @scope
(internal_module body: (statement_block) @body) @scope
(module body: (statement_block) @body) @scope
(function_declaration body: (statement_block) @body) @scope
(generator_function_declaration body: (statement_block) @body) @scope
(function_expression body: (statement_block) @body) @scope
(generator_function body: (statement_block) @body) @scope
(arrow_function body: (statement_block) @body) @scope
(method_definition body: (statement_block) @body) @scope
