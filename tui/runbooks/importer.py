"""Markdown runbooks as teams write them, turned into procedures onduty can walk.

The importer reads markdown-it's token stream (via :mod:`tui.runbooks.markdown`), never
regexes over raw lines, and decides structure the way a reader would:

- the only H1 at the top is the runbook's title; headings below it are grouped into
  sections. A section whose sub-headings read like phases ("1. Initial Response
  (0-15 minutes)", "Investigation") is one procedure with those phases; otherwise every
  section with steps or commands is a procedure of its own.
- inside a procedure, a bold label ending in a colon ("**Immediate Actions (0-5
  minutes):**") starts a phase; a bold label without one ("**High Error Rate Alert**")
  starts a procedure of its own; "**Symptoms:**" and the like list the triggers.
- list items are steps (nested items stay nested, ``- [ ]`` boxes dropped); a fenced
  block inside an item or right after a list belongs to that step, otherwise to the phase;
  a block written as a commented checklist ("# 1. Pre-deployment checks") becomes steps.
- sections about severity, escalation and communication templates fill the runbook's
  severity scale, escalation schedules and templates; reference sections (Overview,
  Architecture, Contacts, Appendix) are skipped and reported.

Anything skipped or ambiguous becomes a warning with its line. Importing never raises.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from tui.runbooks import infer
from tui.runbooks.frontmatter import FrontMatter, parse_front_matter, split_front_matter
from tui.runbooks.markdown import (
    Block,
    Code,
    Html,
    Inline,
    Item,
    ListBlock,
    Paragraph,
    Quote,
    Section,
    Table,
    build_sections,
    parse_blocks,
)
from tui.runbooks.model import (
    Command,
    EscalationSchedule,
    EscalationStep,
    ImportWarning,
    Phase,
    Procedure,
    Runbook,
    SeverityLevel,
    Step,
    Template,
    Variable,
    parse_check,
)
from tui.runbooks.steps import code_checklist, code_commands, make_command, make_step
from tui.sanitize import sanitize

_CHECK_LINE = re.compile(r"^\s*`?\s*check\s*:\s*(.+?)\s*`?\s*$", re.I)
_CHECKBOX = re.compile(r"^\[[ xX]\]\s+")
_EMPTY_CELL = frozenset({"", "-", "–", "—", "n/a", "none", "x"})
_LEVEL_IN_TITLE = re.compile(r"\b(P[0-5]|SEV[-\s]?[0-5])\b", re.I)


def import_markdown(text: str, source: str = "<text>") -> Runbook:
    """The runbook in ``text``; problems become warnings, never exceptions."""
    try:
        return _Importer(text, source).run()
    except Exception as exc:  # a bug here must not take the console down with it
        return Runbook(
            title=sanitize(Path(source).stem or source),
            source=sanitize(source),
            warnings=(ImportWarning(0, f"internal error while importing "
                                       f"({type(exc).__name__}: {sanitize(str(exc))[:200]})"),),
        )


@dataclass
class _PhaseDraft:
    title: str
    line: int
    steps: list[Step] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.steps or self.commands or self.notes)

    def build(self) -> Phase:
        return Phase(
            title=sanitize(infer.clean_title(self.title)),
            line=self.line,
            budget_seconds=infer.phase_budget(self.title),
            steps=tuple(self.steps),
            commands=tuple(self.commands),
            notes=tuple(sanitize(n, multiline=True) for n in self.notes),
        )


@dataclass
class _ProcedureDraft:
    title: str
    line: int
    section: tuple[str, ...]
    phases: list[_PhaseDraft] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)

    @property
    def phase(self) -> _PhaseDraft:
        return self.phases[-1]

    def new_phase(self, title: str, line: int) -> None:
        if self.phases and self.phase.empty() and not self.phase.title:
            self.phases.pop()
        self.phases.append(_PhaseDraft(title, line))


def _with_commands(step: Step, commands: list[Command], notes: list[str]) -> Step:
    """``step`` with more commands (a block that followed its list), danger recomputed."""
    all_commands = (*step.commands, *commands)
    reason = step.destructive_reason or next(
        (c.destructive_reason for c in commands if c.destructive_reason), ""
    )
    names = dict.fromkeys(step.variables)
    for command in commands:
        names.update(dict.fromkeys(command.variables))
    extra = tuple(sanitize(n, multiline=True) for n in notes)
    return dataclasses.replace(
        step, commands=all_commands, notes=(*step.notes, *extra),
        destructive_reason=reason, variables=tuple(names),
    )


def _label_title(inline: Inline) -> str:
    label = inline.label or ""
    return f"{label} {inline.rest}" if not inline.colon and inline.rest else label


def _is_toc(block: ListBlock) -> bool:
    """A list of links only: a table of contents."""
    paragraphs = [b for item in block.items for b in item.blocks if isinstance(b, Paragraph)]
    return bool(paragraphs) and all(p.inline.link_only for p in paragraphs)


def _item_texts(block: ListBlock) -> list[str]:
    out: list[str] = []
    for item in block.items:
        for inner in item.blocks:
            if isinstance(inner, Paragraph) and inner.inline.text:
                out.append(inner.inline.text)
            elif isinstance(inner, ListBlock):
                out.extend(_item_texts(inner))
    return out


def _looks_like_table(inline: Inline) -> bool:
    rows = [r.strip() for r in inline.raw if r.strip()]
    return len(rows) >= 2 and all(r.startswith("|") and r.endswith("|") for r in rows)


class _Importer:
    """One import: walks the section tree once, collecting into drafts and warnings."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.warnings: list[ImportWarning] = []
        self.procedures: list[Procedure] = []
        self.levels: list[SeverityLevel] = []
        self.schedules: list[EscalationSchedule] = []
        self.templates: list[Template] = []
        self.description: list[str] = []

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ImportWarning(line, sanitize(message)))

    # -- the whole document -------------------------------------------------------------

    def run(self) -> Runbook:
        text = re.sub(r"\r\n?", "\n", self.text).removeprefix("\ufeff")
        text = infer.repair_mojibake(text)
        yaml_text, body, _ = split_front_matter(text)
        facts = parse_front_matter(yaml_text) if yaml_text is not None else FrontMatter()
        for line, message in facts.problems:
            self.warn(line, message)
        root = build_sections(parse_blocks(body))
        title = self.walk_document(root, facts.title)
        self.resolve_severities(facts)
        self.apply_checks(facts)
        if not (self.procedures or self.levels or self.schedules or self.templates):
            self.warn(0, "no procedures found: no headed section with list steps or "
                         "shell/SQL code blocks")
        description = facts.description or " ".join(self.description)
        return Runbook(
            title=sanitize(title),
            source=sanitize(self.source),
            procedures=tuple(self.procedures),
            description=sanitize(description, multiline=True),
            severity_scale=tuple(self.levels),
            escalation=tuple(self.schedules),
            templates=tuple(self.templates),
            variables=self.variables(facts),
            warnings=tuple(sorted(dict.fromkeys(self.warnings), key=lambda w: w.line)),
        )

    def walk_document(self, root: Section, stated_title: str | None) -> str:
        """Visit every section; return the runbook's title (front matter, H1 or file name)."""
        fallback = Path(self.source).stem if self.source != "<text>" else "Untitled runbook"
        h1s = [c for c in root.children if c.level == 1]
        top: list[Section] = root.children
        title = fallback
        intro = root.blocks
        if len(h1s) == 1 and root.children[0] is h1s[0] and not root.blocks:
            doc = h1s[0]
            title = infer.clean_title(doc.title) or fallback
            intro, top = doc.blocks, doc.children
        title = stated_title or title
        if intro and self.actionable(intro):
            self.procedures_from_blocks(title, 1, intro, ())
        else:
            self.description.extend(
                b.inline.text for b in intro if isinstance(b, Paragraph) and b.inline.text
            )
            self.warn_unused(intro)
        for section in top:
            self.visit(section, ())
        return title

    def visit(self, section: Section, path: tuple[str, ...]) -> None:
        title = section.title
        if infer.is_escalation_title(title):
            self.escalation_section(section)
            return
        if infer.is_template_title(title):
            self.template_section(section)
            return
        if infer.is_severity_title(title) and self.severity_section(section):
            return
        if infer.is_info_title(title):
            self.info_section(section)
            return
        name = infer.clean_title(title)
        if section.children and self.phase_children(section):
            draft = _ProcedureDraft(title, section.line, path)
            draft.phases.append(_PhaseDraft("", section.line))
            self.fill(draft, section.blocks)
            for child in section.children:
                draft.new_phase(child.title, child.line)
                self.fill(draft, child.blocks)
            self.finish(draft)
            return
        if section.blocks:
            if self.actionable(section.blocks):
                self.procedures_from_blocks(title, section.line, section.blocks, path)
            elif not section.children:
                self.warn(section.line, f"skipped '{name}': no steps or commands")
            else:
                self.warn_unused(section.blocks)
        elif not section.children:
            self.warn(section.line, f"skipped '{name}': empty section")
        for child in section.children:
            self.visit(child, (*path, name) if name else path)

    def phase_children(self, section: Section) -> bool:
        """True when the sub-headings are this section's phases, not procedures of their own."""
        children = section.children
        if any(c.children for c in children):
            return False
        special = (infer.is_escalation_title, infer.is_template_title, infer.is_severity_title)
        if any(test(c.title) for c in children for test in special):
            return False
        phase_like = sum(1 for c in children if infer.is_phase_title(c.title))
        return phase_like * 2 > len(children)

    def info_section(self, section: Section) -> None:
        """Skip a reference section, but read any escalation/severity/template inside it."""
        special = (infer.is_escalation_title, infer.is_template_title, infer.is_severity_title)
        skipped = bool(section.blocks)
        for child in section.children:
            if any(test(child.title) for test in special):
                self.visit(child, ())
            elif child.has_content():
                skipped = True
                for inner in child.walk()[1:]:
                    if any(test(inner.title) for test in special):
                        self.visit(inner, ())
        if skipped:
            self.warn(section.line, f"skipped '{infer.clean_title(section.title)}': "
                                    "reference section, not a procedure")

    def warn_unused(self, blocks: list[Block]) -> None:
        for block in blocks:
            if isinstance(block, Table) and not self.table(block, ""):
                self.warn(block.line, "table skipped: not a severity or escalation table")
            elif isinstance(block, Code) and block.content.strip():
                self.warn(block.line, "code block outside any procedure skipped")
            elif isinstance(block, Html):
                self.html(block)

    # -- procedures ----------------------------------------------------------------------

    def actionable(self, blocks: list[Block]) -> bool:
        """True when ``blocks`` give at least one step or runnable command."""
        for block in blocks:
            if isinstance(block, ListBlock) and not _is_toc(block):
                return True
            if isinstance(block, Code):
                commands, _ = code_commands(block.language, block.content, block.first_line)
                if any(c.runnable for c in commands):
                    return True
                if code_checklist(block.language, block.content, block.first_line):
                    return True
            if isinstance(block, Quote) and self.actionable(block.blocks):
                return True
        return False

    def procedures_from_blocks(self, title: str, line: int, blocks: list[Block],
                               path: tuple[str, ...]) -> None:
        """One procedure, or several when bold labels without a colon split the blocks."""
        groups: list[tuple[str, int, list[Block]]] = [(title, line, [])]
        for block in blocks:
            if isinstance(block, Paragraph) and block.inline.is_label:
                label = _label_title(block.inline)
                if not (block.inline.colon or infer.is_phase_title(label)
                        or infer.is_trigger_label(label)):
                    groups.append((label, block.line, []))
                    continue
            groups[-1][2].append(block)
        name = infer.clean_title(title)
        for index, (group_title, group_line, group_blocks) in enumerate(groups):
            inner = path if index == 0 else (*path, name)
            if self.actionable(group_blocks):
                draft = _ProcedureDraft(group_title, group_line, inner)
                draft.phases.append(_PhaseDraft("", group_line))
                self.fill(draft, group_blocks)
                self.finish(draft)
            elif index and group_blocks:
                self.warn(group_line, f"skipped '{infer.clean_title(group_title)}': "
                                      "no steps or commands")

    def fill(self, draft: _ProcedureDraft, blocks: list[Block]) -> None:
        """Add ``blocks`` to the draft: phases, steps, commands, triggers, notes."""
        triggers = False
        previous: Block | None = None
        for block in blocks:
            if isinstance(block, Paragraph):
                inline = block.inline
                if inline.is_label and infer.is_trigger_label(inline.label or ""):
                    if inline.rest:
                        draft.triggers.append(inline.rest)
                    triggers = True
                elif inline.is_label:
                    triggers = False
                    if inline.colon and inline.rest:
                        draft.phase.notes.append(f"{inline.label}: {inline.rest}")
                    else:
                        draft.new_phase(_label_title(inline), block.line)
                elif triggers:
                    draft.triggers.append(inline.text)
                elif _looks_like_table(inline):
                    self.warn(block.line, "table without a delimiter row (|---|) read as text")
                    draft.phase.notes.append(inline.text)
                elif inline.text:
                    draft.phase.notes.append(inline.text)
            elif isinstance(block, ListBlock):
                if triggers:
                    draft.triggers.extend(_item_texts(block))
                elif not _is_toc(block):
                    draft.phase.steps.extend(self.item_step(item) for item in block.items)
                triggers = False
            elif isinstance(block, Code):
                triggers = False
                self.code(draft.phase, block, attach=isinstance(previous, ListBlock))
            elif isinstance(block, Table):
                triggers = False
                if not self.table(block, draft.title):
                    self.warn(block.line, "table skipped: not a severity or escalation table")
            elif isinstance(block, Html):
                self.html(block)
            elif isinstance(block, Quote):
                self.fill_quote(draft, block)
            previous = block

    def fill_quote(self, draft: _ProcedureDraft, quote: Quote) -> None:
        """A blockquote's lists are steps; its paragraphs are notes ("> **Note:** ...")."""
        for block in quote.blocks:
            if isinstance(block, ListBlock):
                draft.phase.steps.extend(self.item_step(item) for item in block.items)
            elif isinstance(block, Paragraph) and block.inline.text:
                draft.phase.notes.append(block.inline.text)
            elif isinstance(block, Code):
                self.code(draft.phase, block, attach=False)
            elif isinstance(block, Quote):
                self.fill_quote(draft, block)

    def code(self, phase: _PhaseDraft, block: Code, *, attach: bool) -> None:
        """A code block: the previous list's last step gets it, else the phase does."""
        if not block.closed:
            self.warn(block.line, "code block is never closed: read to the end of the file")
        if attach and phase.steps:
            commands, notes = code_commands(block.language, block.content, block.first_line)
            phase.steps[-1] = _with_commands(phase.steps[-1], commands, notes)
            return
        if not phase.steps:
            checklist = code_checklist(block.language, block.content, block.first_line)
            if checklist is not None:
                steps, loose = checklist
                phase.commands.extend(loose)
                phase.steps.extend(steps)
                return
        commands, notes = code_commands(block.language, block.content, block.first_line)
        phase.commands.extend(commands)
        phase.notes.extend(notes)

    def item_step(self, item: Item) -> Step:
        """A list item as a step: first paragraph is its text, nested lists its children."""
        main: Inline | None = None
        children: list[Step] = []
        commands: list[Command] = []
        notes: list[str] = []
        for block in item.blocks:
            if isinstance(block, Paragraph):
                if main is None:
                    main = block.inline
                elif block.inline.text:
                    notes.append(block.inline.text)
            elif isinstance(block, ListBlock):
                children.extend(self.item_step(inner) for inner in block.items)
            elif isinstance(block, Code):
                if not block.closed:
                    self.warn(block.line, "code block is never closed: read to the end of "
                                          "the file")
                found, extra = code_commands(block.language, block.content, block.first_line)
                commands.extend(found)
                notes.extend(extra)
            elif isinstance(block, Html):
                self.html(block)
            elif isinstance(block, Table):
                if not self.table(block, ""):
                    self.warn(block.line, "table inside a step skipped")
            elif isinstance(block, Quote):
                notes.extend(t for q in block.blocks if isinstance(q, Paragraph)
                             for t in [q.inline.text] if t)
        text, check, inline_commands = self.step_text(main, item.line)
        if not text:
            text = next((c.comment for c in commands if c.comment), "") or "(step without text)"
        return make_step(text, item.line, children=tuple(children),
                         commands=(*inline_commands, *commands), notes=tuple(notes),
                         check=check)

    def step_text(self, inline: Inline | None, line: int
                  ) -> tuple[str, str | None, list[Command]]:
        """The step's text without its ``check:`` line, the check, and its inline commands."""
        if inline is None:
            return "", None, []
        check = None
        for offset, raw in enumerate(inline.raw):
            match = _CHECK_LINE.match(raw)
            if match:
                check = match.group(1).strip("` ")
                try:
                    parse_check(check)
                except ValueError as exc:
                    self.warn(inline.line + offset, str(exc))
        kept = Inline([], [], [], inline.line)
        for index, text in enumerate(inline.lines):
            if _CHECK_LINE.match(text):
                continue
            kept.lines.append(text)
            kept.hard.append(inline.hard[index] if index < len(inline.hard) else False)
        text = _CHECKBOX.sub("", kept.text)
        commands = []
        for code, code_line in inline.codes:
            language = infer.command_language(code)
            if language and not _CHECK_LINE.match(code):
                commands.append(make_command(language, code, code_line, inline=True))
        return text, check, commands

    def finish(self, draft: _ProcedureDraft) -> None:
        phases: list[Phase] = []
        for phase in draft.phases:
            if phase.empty():
                if phase.title:
                    self.warn(phase.line, f"phase '{infer.clean_title(phase.title)}' has no "
                                          "steps or commands")
                continue
            phases.append(phase.build())
        if not any(p.steps or p.commands for p in phases):
            self.warn(draft.line, f"skipped '{infer.clean_title(draft.title)}': no steps or "
                                  "commands")
            return
        title = infer.procedure_title(draft.title) or "Untitled procedure"
        match = _LEVEL_IN_TITLE.search(title)
        self.procedures.append(Procedure(
            title=sanitize(title),
            line=draft.line,
            phases=tuple(phases),
            section=tuple(sanitize(s) for s in draft.section),
            triggers=tuple(sanitize(t) for t in dict.fromkeys(draft.triggers) if t),
            severity=re.sub(r"[\s-]", "", match.group(1)).upper() if match else None,
        ))

    def html(self, block: Html) -> None:
        if not block.content.lstrip().startswith("<!--"):
            self.warn(block.line, "HTML block skipped")

    # -- severity, escalation, templates -------------------------------------------------

    def level(self, level: str, rest: str, line: int, *, examples: tuple[str, ...] = (),
              description: str = "", response: int | None = None) -> None:
        """Add a severity level from "Critical (15 min response)" and what else is known."""
        parens = re.findall(r"\(([^()]*)\)", rest)
        bare = re.sub(r"\([^()]*\)", " ", rest)
        parts = re.split(r"\s[-–—]\s|:\s", bare, maxsplit=1)
        name = parts[0].strip(" -–—:")
        tail = parts[1].strip() if len(parts) > 1 else ""
        extra: list[str] = []
        for text in (*parens, tail):
            seconds = infer.response_time(text)
            if seconds is not None and response is None:
                response = seconds
            elif text:
                extra.append(text)
        if not description:
            description = "; ".join(extra)
        if any(existing.level == level for existing in self.levels):
            self.warn(line, f"severity {level} is defined twice; the first one is kept")
            return
        self.levels.append(SeverityLevel(
            level=sanitize(level), name=sanitize(name), line=line, response_seconds=response,
            description=sanitize(description), examples=tuple(sanitize(e) for e in examples),
        ))

    def severity_section(self, section: Section) -> bool:
        """Read levels from tables, "P0 - Critical (15 min)" headings, labels or items."""
        before = len(self.levels)
        for sec in section.walk():
            if sec is not section and (found := infer.severity_level(sec.title)):
                lists = [b for b in sec.blocks if isinstance(b, ListBlock)]
                self.level(*found, sec.line,
                           examples=tuple(t for lst in lists for t in _item_texts(lst)))
            blocks = sec.blocks
            for index, block in enumerate(blocks):
                if isinstance(block, Table):
                    self.table(block, sec.title)
                elif isinstance(block, Paragraph) and block.inline.is_label:
                    found = infer.severity_level(_label_title(block.inline))
                    if found is None:
                        continue
                    following = blocks[index + 1] if index + 1 < len(blocks) else None
                    examples = tuple(_item_texts(following)) if isinstance(
                        following, ListBlock) else ()
                    rest = found[1] + (f": {block.inline.rest}" if block.inline.colon
                                       and block.inline.rest else "")
                    self.level(found[0], rest, block.line, examples=examples)
                elif isinstance(block, ListBlock):
                    for item, text in zip(block.items, _item_texts(block), strict=False):
                        if found := infer.severity_level(text):
                            self.level(*found, item.line)
        return len(self.levels) > before

    def table(self, table: Table, context: str) -> bool:
        """Read a severity or escalation table; False when it is neither."""
        header, rows = table.header, table.rows
        row_lines = table.row_lines
        if header and not any(cell.strip() for cell in header):
            header = []
        elif header and infer.severity_level(header[0]):
            rows, header, row_lines = [header, *rows], [], [table.line, *row_lines]
        times = [infer.parse_duration(cell) for cell in header[1:]]
        if header and times and all(t is not None for t in times):
            for row, line in zip(rows, row_lines, strict=False):
                if not row or not row[0].strip():
                    continue
                steps = tuple(
                    EscalationStep(after, sanitize(cell.strip()))
                    for after, cell in zip(times, row[1:], strict=False)
                    if cell.strip().lower() not in _EMPTY_CELL
                )
                self.schedules.append(EscalationSchedule(
                    severity=sanitize(row[0].strip()), title=sanitize(infer.clean_title(context)),
                    line=line, steps=steps,
                ))
            return True
        if any(row and infer.severity_level(row[0]) for row in rows):
            self.severity_rows(header, rows, row_lines)
            return True
        if infer.is_escalation_title(context) and rows:
            self.warn(table.line, "escalation table without times in its header row: "
                                  "kept in order without timers")
            for row, line in zip(rows, row_lines, strict=False):
                steps = tuple(EscalationStep(None, sanitize(c.strip())) for c in row[1:]
                              if c.strip().lower() not in _EMPTY_CELL)
                self.schedules.append(EscalationSchedule(
                    sanitize(row[0].strip()), sanitize(infer.clean_title(context)), line, steps,
                ))
            return True
        return False

    def severity_rows(self, header: list[str], rows: list[list[str]],
                      row_lines: list[int]) -> None:
        """Levels from table rows; columns are found by header words or by their content."""
        names = [h.lower() for h in header]

        def column(*words: str) -> int | None:
            return next((i for i, h in enumerate(names) if i and any(w in h for w in words)),
                        None)

        response_col = column("response", "time", "sla", "ack")
        description_col = column("description", "impact", "definition", "meaning", "criteria")
        examples_col = column("example")
        name_col = column("name", "label", "title")
        for row, line in zip(rows, row_lines, strict=False):
            found = infer.severity_level(row[0]) if row else None
            if found is None:
                continue
            cells = [c.strip() for c in row]
            if not found[1] and name_col is not None and name_col < len(cells):
                found = (found[0], cells[name_col])
            response = None
            if response_col is not None and response_col < len(cells):
                response = infer.response_time(cells[response_col])
            elif not header:
                response = next((infer.response_time(c) for c in cells[1:]
                                 if infer.response_time(c) is not None), None)
            description = ""
            if description_col is not None and description_col < len(cells):
                description = cells[description_col]
            elif not header:
                description = next((c for c in cells[1:] if c and infer.response_time(c) is None),
                                   "")
            examples: tuple[str, ...] = ()
            if examples_col is not None and examples_col < len(cells):
                examples = tuple(e.strip() for e in cells[examples_col].split(",") if e.strip())
            self.level(*found, line, examples=examples, description=description,
                       response=response)

    def escalation_section(self, section: Section) -> None:
        """Schedules from tables, "Name: 15 minutes" lists and "Level 1: Who" headings.

        Below an escalation heading, a sub-section that is not about escalation itself
        ("On-Call Rotation", "Support Contacts") counts only when its items give times.
        """
        own = infer.is_escalation_title(section.title)
        title = infer.clean_title(section.title) or "Escalation"
        tiers = [c for c in section.children if re.match(r"^(?:level|tier|l)\s*\d+\s*[:\-–]",
                                                         infer.clean_title(c.title), re.I)]
        used = False
        for block in section.blocks:
            if isinstance(block, Table):
                used = self.table(block, section.title) or used
            elif isinstance(block, ListBlock) and (own or any(
                    infer.escalation_entry(t)[0] is not None for t in _item_texts(block))):
                used = self.escalation_list(title, block) or used
        if section.blocks and not used:
            self.warn(section.line, f"skipped '{title}': reference section, not a procedure")
        if tiers:
            steps = []
            for tier in tiers:
                _, who, note = infer.escalation_entry(infer.clean_title(tier.title))
                steps.append(EscalationStep(None, sanitize(who), sanitize(note)))
            self.schedules.append(EscalationSchedule("", sanitize(title), tiers[0].line,
                                                     tuple(steps)))
        for child in section.children:
            if child not in tiers:
                self.escalation_section(child)

    def escalation_list(self, title: str, block: ListBlock) -> bool:
        steps: list[EscalationStep] = []
        for text in _item_texts(block):
            after, who, note = infer.escalation_entry(text)
            steps.append(EscalationStep(after, sanitize(who), sanitize(note)))
        if not steps:
            return False
        if all(s.after_seconds is None for s in steps):
            self.warn(block.line, f"escalation '{title}' gives no times: kept in order "
                                  "without timers")
        self.schedules.append(EscalationSchedule("", sanitize(title), block.line, tuple(steps)))
        return True

    def template_section(self, section: Section) -> None:
        """Templates: each fenced block under a heading or bold label names one."""
        for sec in section.walk():
            label: str | None = None
            for block in sec.blocks:
                if isinstance(block, Paragraph) and block.inline.is_label:
                    label = _label_title(block.inline)
                elif isinstance(block, Code) and block.content.strip():
                    name = infer.clean_title(label or sec.title) or "Template"
                    text = block.content.rstrip("\n")
                    self.templates.append(Template(
                        name=sanitize(name), text=sanitize(text, multiline=True),
                        line=block.line,
                        placeholders=tuple(sanitize(p) for p in infer.find_placeholders(text)),
                    ))
                    label = None

    # -- what the front matter states, and the variables ---------------------------------

    def resolve_severities(self, facts: FrontMatter) -> None:
        """Front matter severity wins; else a level in the title; else "<Name> Outage"."""
        resolved: list[Procedure] = []
        stated = {p.title.casefold(): p for p in facts.procedures}
        used: set[str] = set()
        for procedure in self.procedures:
            severity = procedure.severity
            triggers = procedure.triggers
            if severity is None:
                for level in self.levels:
                    pattern = rf"\b{re.escape(level.name)}\s+(?:outage|incident|severity)\b"
                    if level.name and re.search(pattern, procedure.title, re.I):
                        severity = level.level
                        break
            if facts.severity is not None:
                severity = sanitize(facts.severity)
            if facts.triggers is not None:
                triggers = tuple(sanitize(t) for t in facts.triggers)
            key = self.stated_key(procedure.title, stated)
            if key is not None:
                used.add(key)
                own = stated[key]
                if own.severity is not None:
                    severity = sanitize(own.severity)
                if own.triggers is not None:
                    triggers = tuple(sanitize(t) for t in own.triggers)
            resolved.append(dataclasses.replace(procedure, severity=severity,
                                                triggers=triggers))
        for key, own in stated.items():
            if key not in used:
                self.warn(1, f"front matter names procedure '{own.title}' but there is none "
                             "with that title")
        self.procedures = resolved

    @staticmethod
    def stated_key(title: str, stated: dict[str, object]) -> str | None:
        folded = title.casefold()
        if folded in stated:
            return folded
        return next((key for key in stated if key and key in folded), None)

    def apply_checks(self, facts: FrontMatter) -> None:
        """Checks from the front matter replace inline ones on the steps they name."""
        stated = {p.title.casefold(): p for p in facts.procedures}
        matched: set[str] = set()
        updated: list[Procedure] = []
        for procedure in self.procedures:
            checks = dict(facts.checks)
            key = self.stated_key(procedure.title, stated)
            if key is not None:
                checks.update(stated[key].checks)
            if checks:
                phases = tuple(
                    dataclasses.replace(phase, steps=tuple(
                        self.checked(step, checks, matched) for step in phase.steps))
                    for phase in procedure.phases
                )
                procedure = dataclasses.replace(procedure, phases=phases)
            updated.append(procedure)
        self.procedures = updated
        every = list(facts.checks) + [c for p in facts.procedures for c in p.checks]
        for prefix, check in every:
            try:
                parse_check(check)
            except ValueError as exc:
                self.warn(1, f"front matter: {exc}")
            if prefix.casefold() not in matched:
                self.warn(1, f"front matter check for '{prefix}' matches no step")

    def checked(self, step: Step, checks: dict[str, str], matched: set[str]) -> Step:
        children = tuple(self.checked(child, checks, matched) for child in step.children)
        text = step.text.casefold()
        for prefix, check in checks.items():
            if prefix and text.startswith(sanitize(prefix).casefold()):
                matched.add(prefix.casefold())
                names = dict.fromkeys((*step.variables, *infer.find_variables(check)))
                return dataclasses.replace(step, children=children, check=sanitize(check),
                                           variables=tuple(names))
        return dataclasses.replace(step, children=children)

    def variables(self, facts: FrontMatter) -> tuple[Variable, ...]:
        """Every variable used, first use first, then those only the front matter names."""
        first: dict[str, int] = {}
        for procedure in self.procedures:
            for phase in procedure.phases:
                for command in phase.commands:
                    for name in command.variables:
                        first.setdefault(name, command.line)
                for step in phase.walk():
                    for name in step.variables:
                        first.setdefault(name, step.line)
        declared = {sanitize(name): sanitize(desc) for name, desc in facts.variables}
        out = [Variable(name, line, declared.get(name, ""), name in declared)
               for name, line in sorted(first.items(), key=lambda kv: kv[1])]
        out.extend(Variable(name, 0, desc, True) for name, desc in declared.items()
                   if name not in first)
        return tuple(out)
