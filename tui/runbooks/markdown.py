"""markdown-it's token stream turned into blocks and a tree of heading sections.

The importer reasons about a runbook's structure (which heading is a procedure, which
bold label starts a phase, which code block belongs to which item), so the flat token
stream is first folded into plain blocks with their source lines: paragraphs with their
rendered text and inline code, lists of items, code, tables, HTML and quotes. The text
here is not yet sanitised; the importer sanitises what it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"maxNesting": 20}).enable("table")


@dataclass
class Inline:
    """A paragraph's or heading's text as plain lines, with its inline code and bold label.

    ``lines`` holds the rendered text split at the source's line breaks, ``hard`` which of
    those breaks were hard ones; ``raw`` is the unparsed source of the same lines.
    ``label``/``rest`` are set when the text opens with bold ("**Symptoms**: ...").
    """

    lines: list[str]
    hard: list[bool]
    raw: list[str]
    line: int
    codes: list[tuple[str, int]] = field(default_factory=list)
    label: str | None = None
    rest: str = ""
    colon: bool = False
    link_only: bool = False

    @property
    def text(self) -> str:
        """Lines joined as a reader sees them: soft breaks as spaces."""
        out = ""
        for index, line in enumerate(self.lines):
            if index:
                out += "\n" if self.hard[index - 1] else " "
            out += line
        return out.strip()

    @property
    def is_label(self) -> bool:
        """True when the whole paragraph is a bold label, maybe with ": value" after it."""
        return self.label is not None


@dataclass
class Paragraph:
    inline: Inline
    line: int


@dataclass
class Item:
    blocks: list[Block]
    line: int


@dataclass
class ListBlock:
    ordered: bool
    items: list[Item]
    line: int


@dataclass
class Code:
    language: str
    content: str
    line: int
    closed: bool = True

    @property
    def first_line(self) -> int:
        """The file line of the code's first line (the fence is on ``line``)."""
        return self.line + 1


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    line: int
    row_lines: list[int] = field(default_factory=list)


@dataclass
class Html:
    content: str
    line: int


@dataclass
class Quote:
    blocks: list[Block]
    line: int


@dataclass
class Heading:
    level: int
    inline: Inline
    line: int


Block = Paragraph | ListBlock | Code | Table | Html | Quote | Heading


def _line(token: Token, default: int) -> int:
    return token.map[0] + 1 if token.map else default


def _render_inline(token: Token, line: int) -> Inline:
    """Plain text of an inline token: emphasis dropped, links as "text <url>", code kept."""
    lines: list[str] = [""]
    hard: list[bool] = []
    codes: list[tuple[str, int]] = []
    label: str | None = None
    label_parts: list[str] | None = None
    strong_depth = 0
    children = token.children or []
    first_meaningful = next(
        (i for i, c in enumerate(children) if not (c.type == "text" and not c.content.strip())),
        None,
    )
    hrefs: list[str] = []
    link_count = 0
    plain_outside_links = False
    for index, child in enumerate(children):
        kind = child.type
        piece = ""
        if kind == "text":
            piece = child.content
            if not hrefs and piece.strip():
                plain_outside_links = True
        elif kind == "code_inline":
            piece = f"`{child.content}`"
            codes.append((child.content, line + len(lines) - 1))
            plain_outside_links = plain_outside_links or not hrefs
        elif kind in ("softbreak", "hardbreak"):
            lines.append("")
            hard.append(kind == "hardbreak")
            continue
        elif kind == "link_open":
            hrefs.append(str(child.attrs.get("href", "")))
            link_count += 1
        elif kind == "link_close":
            href = hrefs.pop() if hrefs else ""
            if href.startswith(("http://", "https://")) and href not in lines[-1]:
                piece = f" <{href}>"
        elif kind == "image":
            piece = child.content
        elif kind == "strong_open":
            if index == first_meaningful and label_parts is None:
                label_parts = []
            strong_depth += 1
        elif kind == "strong_close":
            strong_depth -= 1
            if strong_depth == 0 and label_parts is not None and label is None:
                label = "".join(label_parts)
        if label_parts is not None and label is None and strong_depth > 0:
            label_parts.append(piece)
        lines[-1] += piece
    raw = token.content.split("\n")
    inline = Inline([ln.strip() for ln in lines], hard, raw, line, codes)
    inline.link_only = link_count == 1 and not plain_outside_links
    if label is not None:
        label_text = " ".join(label.split())
        full = " ".join(inline.text.split())
        rest = full[len(label_text):].strip() if full.startswith(label_text) else ""
        if not label_text:
            return inline
        colon = label_text.endswith(":") or rest.startswith(":")
        if rest.startswith(":") or not rest or rest.startswith("("):
            inline.label = label_text.rstrip(":").strip()
            inline.rest = rest.lstrip(":").strip()
            inline.colon = colon
    return inline


class _Reader:
    """Folds the flat token list into nested blocks (recursion bounded by maxNesting)."""

    def __init__(self, tokens: list[Token], lines: list[str]) -> None:
        self.tokens = tokens
        self.lines = lines
        self.pos = 0

    def blocks(self, until: str | None = None) -> list[Block]:
        out: list[Block] = []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if until is not None and token.type == until:
                self.pos += 1
                return out
            block = self.block(token)
            if block is not None:
                out.append(block)
        return out

    def block(self, token: Token) -> Block | None:
        kind = token.type
        line = _line(token, 1)
        self.pos += 1
        if kind == "paragraph_open":
            inline = self.inline(line)
            self.skip("paragraph_close")
            return Paragraph(inline, line)
        if kind == "heading_open":
            inline = self.inline(line)
            self.skip("heading_close")
            return Heading(int(token.tag[1:] or 1), inline, line)
        if kind in ("bullet_list_open", "ordered_list_open"):
            return self.list_block(kind == "ordered_list_open", line)
        if kind in ("fence", "code_block"):
            return Code(token.info.strip().split(" ")[0].lower() if token.info else "",
                        token.content, line, self.fence_closed(token))
        if kind == "html_block":
            return Html(token.content, line)
        if kind == "blockquote_open":
            return Quote(self.blocks("blockquote_close"), line)
        if kind == "table_open":
            return self.table(line)
        return None

    def inline(self, line: int) -> Inline:
        if self.pos < len(self.tokens) and self.tokens[self.pos].type == "inline":
            token = self.tokens[self.pos]
            self.pos += 1
            return _render_inline(token, _line(token, line))
        return Inline([""], [], [""], line)

    def skip(self, kind: str) -> None:
        if self.pos < len(self.tokens) and self.tokens[self.pos].type == kind:
            self.pos += 1

    def list_block(self, ordered: bool, line: int) -> ListBlock:
        close = "ordered_list_close" if ordered else "bullet_list_close"
        items: list[Item] = []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            if token.type == close:
                break
            if token.type == "list_item_open":
                items.append(Item(self.blocks("list_item_close"), _line(token, line)))
        return ListBlock(ordered, items, line)

    def table(self, line: int) -> Table:
        header: list[str] = []
        rows: list[list[str]] = []
        row_lines: list[int] = []
        current: list[str] = []
        in_head = False
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            if token.type == "table_close":
                break
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                current = []
                if not in_head:
                    row_lines.append(_line(token, line))
            elif token.type == "tr_close":
                if in_head:
                    header = current
                else:
                    rows.append(current)
            elif token.type == "inline":
                current.append(_render_inline(token, _line(token, line)).text)
        return Table(header, rows, line, row_lines)

    def fence_closed(self, token: Token) -> bool:
        if token.type != "fence" or not token.map:
            return True
        start, end = token.map
        if end - start < 2 or end > len(self.lines):
            return False
        last = self.lines[end - 1].strip()
        marker = token.markup[:1]
        return bool(last) and last.startswith(token.markup) and set(last) == {marker}


def parse_blocks(text: str) -> list[Block]:
    """The blocks of a Markdown document, in order (headings included, flat)."""
    tokens = _PARSER.parse(text)
    return _Reader(tokens, text.split("\n")).blocks()


@dataclass
class Section:
    """A heading and what follows it up to the next heading of the same or a higher level."""

    title: str
    level: int
    line: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def has_content(self) -> bool:
        """True when it or a descendant holds any block."""
        return bool(self.blocks) or any(c.has_content() for c in self.children)

    def walk(self) -> list[Section]:
        """This section and every descendant, in document order."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def build_sections(blocks: list[Block]) -> Section:
    """A tree of sections under a root of level 0 that holds the blocks before any heading."""
    root = Section("", 0, 1)
    stack = [root]
    for block in blocks:
        if isinstance(block, Heading):
            section = Section(block.inline.text, block.level, block.line)
            while stack[-1].level >= block.level:
                stack.pop()
            stack[-1].children.append(section)
            stack.append(section)
        else:
            stack[-1].blocks.append(block)
    return root
