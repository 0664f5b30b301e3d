; Definitions that enclose code, for the prefix window (coder/context/scope_window.py).
; @scope is the whole definition, @body the part after its header: the lines from
; the definition's start up to the body are what the window keeps when it elides.

(class_definition body: (block) @body) @scope
(function_definition body: (block) @body) @scope
