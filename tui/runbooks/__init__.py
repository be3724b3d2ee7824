"""Runbooks: Markdown procedures imported into a model the incident checklist can walk.

``model`` holds the immutable types, ``importer.import_markdown`` reads Markdown,
``library`` loads the bundled library and configured folders, ``cli`` is
`onduty runbook lint|show`. No Textual here.
"""
