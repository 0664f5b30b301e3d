; Definitions that enclose code, for the prefix window (coder/context/scope_window.py).
; @scope is the whole definition, @body the part after its header.

(function_definition body: (compound_statement) @body) @scope
