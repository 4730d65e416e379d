"""ccbench's plotting package: load results, analyse them, draw them.

Python only reads result files; it never runs ccbench."""
