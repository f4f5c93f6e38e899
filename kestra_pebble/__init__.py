"""Kestra's expression language: Pebble's templates with the operators, filters and
functions Kestra adds, with Java's semantics (integer arithmetic, `+` that concatenates,
`true`/`false` printed). Pure Python: no Django, no portal or emulator imports, so the
portal's blocks and the emulator's flows evaluate expressions the same way."""
