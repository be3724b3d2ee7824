"""The health engine: probes, body classification, conditions, debounced monitoring.

``model`` (verdicts, results, states), ``probe`` (one bounded request), ``classify``
(body formats), ``conditions`` (gatus-style checks), ``monitor`` (intervals and debounce),
``check`` (`onduty check`). No Textual here. Modules are imported directly, never through
this package, so that importing a result type does not load httpx.
"""
