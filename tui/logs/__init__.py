"""The log engine: sources (file, command, stdin), parsing, buffer, filters and the tail.

``sources``, ``parse``, ``buffer``, ``filters`` and ``tail`` are imported directly, never
through this package, so a widget importing ``LogLine`` loads nothing it does not need.
No Textual here.
"""
