"""The script stage: a pose script (YAML) read strictly into validated dataclasses.

model (the dataclasses), loader (YAML -> Script, with line numbers), markers (cue text ->
tokens), durations ("1m30s" -> exact samples).
"""
