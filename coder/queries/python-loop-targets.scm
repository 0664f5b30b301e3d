; Functions the fix and optimize loops can replace (coder/loops/target.py).
; @function is the whole definition, @name its name; @parameters and @return_type are
; what a candidate's signature is compared on.

(function_definition
  name: (identifier) @name
  parameters: (parameters) @parameters
  return_type: (_)? @return_type) @function
