; Definitions and references in shell scripts: functions and top-level variables.

(function_definition name: (word) @name.definition.function) @definition.function
(program (variable_assignment name: (variable_name) @name.definition.variable) @definition.variable)
(command name: (command_name (word) @name.reference.call))
(simple_expansion (variable_name) @name.reference.name)
(expansion (variable_name) @name.reference.name)
