"""A small Kestra server emulator: the subset of Kestra's REST API the portal uses.

It is a development and test tool (like a local cloud emulator), not a replacement for Kestra.
Start it with ``python -m kestra_emulator --flows DIR`` or build one with
:func:`kestra_emulator.server.create_app`.
"""
