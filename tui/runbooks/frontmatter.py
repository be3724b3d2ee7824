"""Optional YAML front matter: what a team states instead of letting onduty infer it.

```yaml
---
title: Payments API
severity: P1                         # every procedure, unless stated per procedure
triggers: [checkout returns 502]     # every procedure, unless stated per procedure
variables:                           # name: description (or a plain list of names)
  app-name: the Fly app
checks:                              # step text (start of it, any case): live check
  Confirm the outage: "health: production"
procedures:                          # per procedure title (or part of it)
  Service down:
    severity: P0
    triggers: [health check fails]
    checks:
      Read the logs: "logs: production /error/ since 15m"
---
```

Only these keys are read (with PyYAML's safe loader); anything else is reported, never
executed or guessed at. Explicit always wins over what the importer infers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_FRONT_MATTER = 64 * 1024
_KEYS = ("title", "description", "severity", "triggers", "variables", "checks", "procedures")
_PROCEDURE_KEYS = ("severity", "triggers", "checks")


@dataclass(frozen=True)
class ProcedureFacts:
    """What the front matter states about one procedure."""

    title: str
    severity: str | None = None
    triggers: tuple[str, ...] | None = None
    checks: tuple[tuple[str, str], ...] = ()


@dataclass
class FrontMatter:
    """The facts a runbook's front matter states, and what was wrong with it."""

    title: str | None = None
    description: str | None = None
    severity: str | None = None
    triggers: tuple[str, ...] | None = None
    variables: tuple[tuple[str, str], ...] = ()
    checks: tuple[tuple[str, str], ...] = ()
    procedures: tuple[ProcedureFacts, ...] = ()
    problems: list[tuple[int, str]] = field(default_factory=list)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(YAML, body, closing line): the body keeps blank lines where the front matter was.

    Front matter opens with ``---`` on the first line and closes with ``---`` or ``...``;
    without a closing line there is none and the text is all Markdown.
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[1:index])
            body = "\n" * (index + 1) + "\n".join(lines[index + 1:])
            return yaml_text, body, index + 1
    return None, text, 0


def _strings(value: Any, where: str, problems: list[tuple[int, str]], line: int
             ) -> tuple[str, ...] | None:
    if isinstance(value, str | int | float):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    problems.append((line, f"front matter `{where}` must be a text or a list of texts"))
    return None


def _pairs(value: Any, where: str, problems: list[tuple[int, str]], line: int
           ) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict) and all(
        isinstance(v, str | int | float) for v in value.values()
    ):
        return tuple((str(k), str(v)) for k, v in value.items())
    problems.append((line, f"front matter `{where}` must map step text to a check"))
    return ()


def _variables(value: Any, problems: list[tuple[int, str]], line: int
               ) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict):
        return tuple((str(k), "" if v is None else str(v)) for k, v in value.items()
                     if isinstance(v, str | int | float | type(None)))
    if isinstance(value, list):
        out: list[tuple[str, str]] = []
        for entry in value:
            if isinstance(entry, str):
                out.append((entry, ""))
            elif isinstance(entry, dict) and len(entry) == 1:
                name, desc = next(iter(entry.items()))
                out.append((str(name), "" if desc is None else str(desc)))
        return tuple(out)
    problems.append((line, "front matter `variables` must be a list of names or a "
                           "mapping of name to description"))
    return ()


def _key_lines(yaml_text: str) -> dict[str, int]:
    """The line (within the YAML) of each top-level key, for messages."""
    node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line for k, _ in node.value
            if isinstance(k, yaml.ScalarNode)}


def parse_front_matter(yaml_text: str) -> FrontMatter:
    """The facts in ``yaml_text`` (the lines between the ``---``); never raises.

    Problems carry file lines (the YAML starts on line 2).
    """
    facts = FrontMatter()
    problems = facts.problems
    if len(yaml_text) > MAX_FRONT_MATTER:
        problems.append((1, f"front matter larger than {MAX_FRONT_MATTER // 1024} KiB ignored"))
        return facts
    try:
        data = yaml.load(yaml_text, Loader=yaml.SafeLoader)
        lines = _key_lines(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(((mark.line + 2) if mark else 1, f"front matter is not valid YAML: "
                         f"{exc.problem or exc}"))
        return facts
    except Exception as exc:  # deep nesting (RecursionError) and other YAML failures
        problems.append((1, f"front matter could not be read: {type(exc).__name__}"))
        return facts
    if data is None:
        return facts
    if not isinstance(data, dict):
        problems.append((1, "front matter must be a mapping of keys (title, severity, ...)"))
        return facts
    for key, value in data.items():
        line = lines.get(str(key), -1) + 2
        if key not in _KEYS:
            problems.append((line, f"front matter key `{key}` is not understood "
                                   f"(known: {', '.join(_KEYS)})"))
        elif key in ("title", "description", "severity"):
            if isinstance(value, str | int | float):
                setattr(facts, key, str(value))
            else:
                problems.append((line, f"front matter `{key}` must be a text"))
        elif key == "triggers":
            facts.triggers = _strings(value, key, problems, line)
        elif key == "variables":
            facts.variables = _variables(value, problems, line)
        elif key == "checks":
            facts.checks = _pairs(value, key, problems, line)
        else:
            facts.procedures = _procedures(value, problems, line)
    return facts


def _procedures(value: Any, problems: list[tuple[int, str]], line: int
                ) -> tuple[ProcedureFacts, ...]:
    if not isinstance(value, dict):
        problems.append((line, "front matter `procedures` must map procedure titles to facts"))
        return ()
    out: list[ProcedureFacts] = []
    for title, facts in value.items():
        if not isinstance(facts, dict):
            problems.append((line, f"front matter `procedures.{title}` must be a mapping"))
            continue
        unknown = [str(k) for k in facts if k not in _PROCEDURE_KEYS]
        if unknown:
            problems.append((line, f"front matter `procedures.{title}`: "
                                   f"{', '.join(unknown)} not understood"))
        severity = facts.get("severity")
        triggers = facts.get("triggers")
        checks = facts.get("checks")
        out.append(ProcedureFacts(
            title=str(title),
            severity=str(severity) if isinstance(severity, str | int) else None,
            triggers=None if triggers is None else _strings(
                triggers, f"procedures.{title}.triggers", problems, line),
            checks=() if checks is None else _pairs(
                checks, f"procedures.{title}.checks", problems, line),
        ))
    return tuple(out)
