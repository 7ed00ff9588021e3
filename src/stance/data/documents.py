"""The document corpus: written documents labelled sentence by sentence.

Writers keep documents in a plain-text source format (`data/documents/src/<slice>/*.txt`):

    === wire-001
    register: wire
    date: 1994-03-03
    title: A short title
    countries: Ethiopia; Eritrea

    [-] SUBJECT: a line of the document that is no sentence
    [neutral] {1.} The first sentence, after a paragraph number that is no part of it.
    [refusal +threat @Ethiopia] A sentence with a secondary stance and its holder.

    [openness @Eritrea] A blank line above starts a new paragraph.

`parse_source` turns that into documents with the full text and every labelled
sentence's character offsets; `assign_split` puts whole documents in one split. Only the
standard library is used, so writers can check their files with a bare `python3`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stance.errors import StanceError

LABELS = ("refusal", "openness", "threat", "reassurance", "neutral")
REGISTERS = ("wire", "briefing", "cable", "encyclopedic", "analysis", "statement")
HEADER_KEYS = ("register", "date", "title", "countries")
SPLIT_SHARES = (("train", 0.8), ("validation", 0.1), ("test", 0.1))

_DOC = re.compile(r"^===\s+(\S+)\s*$")
_HEADER = re.compile(r"^(\w+):\s*(.*?)\s*$")
_SENT = re.compile(r"^\[(?P<tag>[^\]]*)\]\s*(?:\{(?P<prefix>[^}]*)\}\s*)?(?P<text>.*?)\s*$")
_TAG = re.compile(r"^(?P<label>[a-z]+)(?:\s*\+(?P<secondary>[a-z]+))?(?:\s*@(?P<actor>.+?))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_END = re.compile(r"""[.?!…]["'”’)\]]*$""")


@dataclass
class Sentence:
    start: int
    end: int
    label: str
    secondary: str | None = None
    actor: str | None = None


@dataclass
class Document:
    id: str
    register: str
    date: str
    title: str
    countries: list[str]
    source: str  # "<file>:<line>" of the document's `===` line
    text: str = ""
    sentences: list[Sentence] = field(default_factory=list)

    def to_record(self) -> dict:
        rec = asdict(self)
        rec["sentences"] = [asdict(s) for s in self.sentences]
        return rec


class _Builder:
    """Accumulates one document's text: paragraphs of sentences and non-sentence lines."""

    def __init__(self, doc: Document):
        self.doc, self.paragraph_open = doc, False
        self.parts: list[str] = []

    def _sep(self) -> None:
        if self.paragraph_open:
            self.parts.append(" ")

    def paragraph_break(self) -> None:
        if self.parts and self.paragraph_open:
            self.parts.append("\n\n")
        self.paragraph_open = False

    def line(self, text: str) -> None:  # a `[-]` line stands alone
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")
        self.parts.append(text + "\n")
        self.paragraph_open = False

    def sentence(self, prefix: str | None, text: str, **labels) -> None:
        self._sep()
        if prefix:
            self.parts.append(prefix + " ")
        start = sum(len(p) for p in self.parts)
        self.parts.append(text)
        self.doc.sentences.append(Sentence(start, start + len(text), **labels))
        self.paragraph_open = True

    def finish(self) -> Document:
        self.doc.text = "".join(self.parts).rstrip()
        return self.doc


def parse_source(text: str, path: str = "<text>") -> tuple[list[Document], list[str]]:
    """Documents in a source file, and a problem line ("file:line: reason") for each error."""
    docs: list[Document] = []
    problems: list[str] = []
    builder: _Builder | None = None
    in_header = False

    def problem(line_no: int, reason: str) -> None:
        problems.append(f"{path}:{line_no}: {reason}")

    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if m := _DOC.match(line):
            if builder:
                docs.append(builder.finish())
            builder = _Builder(Document(m.group(1), "", "", "", [], f"{path}:{line_no}"))
            in_header = True
            continue
        if builder is None:
            if line:
                problem(line_no, "text before the first `=== <doc id>` line")
            continue
        if not line:
            if in_header:
                in_header = False
                _check_header(builder.doc, problem, line_no)
            else:
                builder.paragraph_break()
            continue
        if in_header:
            m = _HEADER.match(line)
            if not m or m.group(1) not in HEADER_KEYS:
                problem(line_no, f"expected a header line ({', '.join(HEADER_KEYS)}: ...) "
                                 "or a blank line before the sentences")
                continue
            key, value = m.groups()
            if key == "countries":
                builder.doc.countries = [c.strip() for c in value.split(";") if c.strip()]
            else:
                setattr(builder.doc, key, value)
            continue
        m = _SENT.match(line)
        if not m:
            problem(line_no, "a sentence line starts with [label], e.g. `[neutral] The talks ended.`")
            continue
        tag, body = m.group("tag").strip(), m.group("text")
        if tag == "-":
            builder.line(((m.group("prefix") and "{" + m.group("prefix") + "} ") or "") + body)
            continue
        t = _TAG.match(tag)
        if not t or t.group("label") not in LABELS:
            problem(line_no, f"unknown label in [{tag}]: use one of {', '.join(LABELS)} "
                             "(optionally +secondary and @Actor)")
            continue
        secondary = t.group("secondary")
        if secondary and (secondary not in LABELS or secondary in (t.group("label"), "neutral")):
            problem(line_no, f"secondary {secondary!r} must be another stance label")
            continue
        if not body:
            problem(line_no, "empty sentence")
            continue
        if not _END.search(body):
            problem(line_no, "a sentence ends in . ? ! (optionally followed by a closing quote)")
        if re.search(r"[.?!][\"'”’]?\s+[\"“‘(]?[A-Z]", body[:-1]) and _looks_like_two(body):
            problem(line_no, "this line seems to hold two sentences: one sentence per line")
        builder.sentence(m.group("prefix"), body, label=t.group("label"), secondary=secondary,
                         actor=(t.group("actor") or "").strip() or None)
    if builder:
        docs.append(builder.finish())
        if in_header:
            _check_header(builder.doc, problem, len(text.splitlines()))
    for doc in docs:
        if not doc.sentences:
            problems.append(f"{doc.source}: document {doc.id} has no labelled sentence")
    return docs, problems


_ABBREV = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Capt|Adm|Sgt|Sen|Rep|Gov|Amb|Pres|St|Jr|Sr|"
                     r"U\.S|U\.N|U\.K|U\.S\.S\.R|No|Nos|Vol|p|pp|Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|"
                     r"Nov|Dec|a\.m|p\.m|e\.g|i\.e|etc|vs|cf|[A-Z])\.\s*$")


def _looks_like_two(body: str) -> bool:
    """True when a sentence end inside the line is not an abbreviation's full stop."""
    for m in re.finditer(r"[.?!][\"'”’]?\s+[\"“‘(]?[A-Z]", body):
        if not _ABBREV.search(body[:m.start() + 1]):
            return True
    return False


def _check_header(doc: Document, problem, line_no: int) -> None:
    if doc.register not in REGISTERS:
        problem(line_no, f"document {doc.id}: register {doc.register!r} is not one of {', '.join(REGISTERS)}")
    if not _DATE.match(doc.date):
        problem(line_no, f"document {doc.id}: date {doc.date!r} is not YYYY-MM-DD")
    if not doc.title:
        problem(line_no, f"document {doc.id}: missing title")


def read_sources(src: Path) -> tuple[list[Document], list[str]]:
    """Every `*.txt` under `src` (a folder or one file), in path order; duplicate ids are problems."""
    src = Path(src)
    if not src.exists():
        raise StanceError("not found", where=str(src), fix="give a source folder or .txt file")
    files = [src] if src.is_file() else sorted(src.rglob("*.txt"))
    docs, problems = [], []
    for f in files:
        d, p = parse_source(f.read_text(encoding="utf-8"), str(f))
        docs += d
        problems += p
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.id in seen:
            problems.append(f"{doc.source}: document id {doc.id} already used at {seen[doc.id]}")
        seen.setdefault(doc.id, doc.source)
    return docs, problems


def assign_split(doc_id: str, seed: str = "corpus-v2") -> str:
    """Train / validation / test for a whole document, from a hash of its id (stable, ~80/10/10)."""
    u = int(hashlib.sha256(f"{seed}:{doc_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    edge = 0.0
    for split, share in SPLIT_SHARES:
        edge += share
        if u < edge:
            return split
    return SPLIT_SHARES[-1][0]


def sentence_rows(doc: dict) -> list[dict]:
    """A document record's labelled sentences as corpus rows (id, text, label, ...)."""
    rows = []
    for i, s in enumerate(doc["sentences"], start=1):
        rows.append({"id": f"{doc['id']}-s{i:02d}", "text": doc["text"][s["start"]:s["end"]],
                     "label": s["label"], "secondary": s.get("secondary"), "actor": s.get("actor"),
                     "register": doc["register"], "doc_id": doc["id"], "date": doc["date"],
                     "tags": [f"doc_{doc['register']}"]})
    return rows
