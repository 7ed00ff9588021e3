"""Who holds the stance: actor mentions from a gazetteer, and the who-said-it rule.

No model: a gazetteer (configs/gazetteer/default.yaml) lists actors with the strings that
name them; every alias is matched case-sensitively on word boundaries by one trie-shaped
regular expression (longest alias first). The holder of a sentence is, in this order:

1. the actor named after "according to" ("..., according to Iran's foreign ministry");
2. the actor naming the speaker of a trailing attribution ("..., the Kremlin said.",
   "..., said a Chinese spokesman");
3. the actor in the subject of the first reporting or stance verb ("Tehran dismissed the
   offer", "The EU's foreign policy chief warned Minsk ..."), the first actor of that clause;
4. else the first actor mentioned. A sentence that names no actor has no holder.

Aliases shared by entries with year ranges (Moscow: Soviet Union until 1991, Russia since
1992) resolve by the first year the sentence names, else the row's year, else to the entry
that is still current. Everything here is a pure function of the text and the gazetteer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Optional, Sequence

from stance.errors import StanceError

KINDS = ("country", "organisation", "armed_group", "other")


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str = "country"
    since: Optional[int] = None
    until: Optional[int] = None

    def valid_in(self, year: int) -> bool:
        return (self.since is None or year >= self.since) and (self.until is None or year <= self.until)

    def distance(self, year: int) -> int:
        """Years between `year` and the entry's validity (0 when valid)."""
        if self.since is not None and year < self.since:
            return self.since - year
        if self.until is not None and year > self.until:
            return year - self.until
        return 0


class Mention(NamedTuple):
    start: int
    end: int
    actor: str
    demonym: bool = False  # matched by an adjectival form ("Iranian"), not a name


def _trie_pattern(strings: Iterable[str]) -> str:
    """One regex alternation for many literal strings, shaped as a trie (fast to match).

    Optional branches are greedy, so the longest string that also passes the word-boundary
    check wins ("Niger Delta Avengers" over "Niger Delta" over "Niger")."""
    trie: dict = {}
    for s in strings:
        node = trie
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return emit(trie)


class Gazetteer:
    """Actors and their aliases; finds actor mentions in text."""

    def __init__(self, actors: Mapping[str, Mapping], ignore: Iterable[str] = (), source: str = "gazetteer"):
        self.source = source
        self.actors: dict[str, Actor] = {}
        self._aliases: dict[str, list[str]] = {}
        self._demonyms: set[str] = set()
        for name, entry in actors.items():
            entry = dict(entry or {})
            kind = entry.get("kind", "country")
            if kind not in KINDS:
                raise StanceError(f"actor {name!r} has kind {kind!r}, not one of {', '.join(KINDS)}",
                                  where=source, fix="fix the entry's `kind`")
            since, until = entry.get("since"), entry.get("until")
            self.actors[name] = Actor(name, kind, since, until)
            demonyms = [str(d).strip() for d in entry.get("demonyms") or []]
            self._demonyms.update(demonyms)
            for alias in [name, *(entry.get("aliases") or []), *demonyms]:
                alias = str(alias).strip()
                if not alias:
                    raise StanceError(f"actor {name!r} has an empty alias", where=source)
                names = self._aliases.setdefault(alias, [])
                if name not in names:
                    names.append(name)
        self._ignore = {str(s).strip() for s in ignore if str(s).strip()} - set(self._aliases)
        self.ambiguous = sorted(a for a, names in self._aliases.items()
                                if sum(self.actors[n].until is None for n in names) > 1)
        words = sorted(set(self._aliases) | self._ignore)
        # not after a hyphen: "one-China", "Mercosur-EU" name the first part only
        self._regex = re.compile(r"(?<![\w-])(?:" + _trie_pattern(words) + r")(?!\w)") if words else None

    def __len__(self) -> int:
        return len(self.actors)

    def resolve(self, alias: str, year: Optional[int] = None) -> Optional[str]:
        """The actor an alias names in `year` (None: the current entry), or None."""
        names = self._aliases.get(alias)
        if not names:
            return None
        if len(names) == 1:
            return names[0]
        cands = [self.actors[n] for n in names]
        if year is None:
            current = [a for a in cands if a.until is None]
            return current[0].name if len(current) == 1 else None
        best = min(a.distance(year) for a in cands)
        closest = [a for a in cands if a.distance(year) == best]
        return closest[0].name if len(closest) == 1 else None

    def canonical(self, name: str) -> Optional[str]:
        """A name or alias as the gazetteer's canonical name (None if unknown or ambiguous)."""
        if name in self.actors:
            return name
        return self.resolve(name)

    def mentions(self, text: str, year: Optional[int] = None) -> list[Mention]:
        """Actor mentions in order of appearance (aliases resolved for `year`)."""
        if self._regex is None or not text:
            return []
        out = []
        for m in self._regex.finditer(text):
            alias = m.group(0)
            if alias in self._ignore:
                continue
            name = self.resolve(alias, year)
            if name is not None:
                out.append(Mention(m.start(), m.end(), name, alias in self._demonyms))
        return out


_FIELDS = {"kind", "aliases", "demonyms", "since", "until"}


def merge_entries(base: Mapping[str, Mapping], extra: Mapping[str, Mapping]) -> dict[str, dict]:
    """`base` actors with `extra` merged in: new names added; for known names, kind and years
    replaced when given, aliases and demonyms appended."""
    out = {name: {k: (list(v) if isinstance(v, list) else v) for k, v in dict(e or {}).items()}
           for name, e in base.items()}
    for name, entry in extra.items():
        old = out.setdefault(str(name), {})
        for key, value in dict(entry or {}).items():
            if key in ("aliases", "demonyms"):
                old[key] = list(old.get(key) or []) + [a for a in value or [] if a not in (old.get(key) or [])]
            else:
                old[key] = value
    return out


def read_gazetteer_file(path: str | Path) -> tuple[dict, list]:
    """(actors, ignore) of a gazetteer YAML file (the layout of configs/gazetteer/default.yaml),
    checked: a problem raises a StanceError naming the file and the line or actor."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise StanceError("gazetteer file not found", where=str(path), fix="check gazetteer.extra_files")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise StanceError(f"not valid YAML ({getattr(exc, 'problem', None) or exc})", where=where) from None
    if not isinstance(data, dict) or not isinstance(data.get("actors") or {}, dict):
        raise StanceError("a gazetteer file needs an `actors:` mapping of name -> {kind, aliases}",
                          where=str(path))
    actors = data.get("actors") or {}
    for name, entry in actors.items():
        where = f"{path}: actors.{name}"
        if not isinstance(entry, dict):
            raise StanceError(f"actor {name!r}: expected {{kind: ..., aliases: [...]}}", where=where)
        unknown = set(entry) - _FIELDS
        if unknown:
            raise StanceError(f"unknown field(s) {', '.join(sorted(unknown))}", where=where,
                              fix="use " + ", ".join(sorted(_FIELDS)))
        for key in ("aliases", "demonyms"):
            if not isinstance(entry.get(key) or [], list):
                raise StanceError(f"`{key}` must be a list of strings", where=where)
        for key in ("since", "until"):
            if entry.get(key) is not None and not isinstance(entry[key], int):
                raise StanceError(f"`{key}` must be a year (an integer), not {entry[key]!r}", where=where)
    ignore = data.get("ignore") or []
    if not isinstance(ignore, list):
        raise StanceError("`ignore` must be a list of strings", where=f"{path}: ignore")
    return actors, ignore


def load_gazetteer(cfg) -> Gazetteer:
    """The gazetteer of a `gazetteer` config node (configs/gazetteer/), plus its extra_files."""
    from omegaconf import OmegaConf

    actors: dict = OmegaConf.to_container(cfg.actors, resolve=True) if cfg.actors else {}  # type: ignore[assignment]
    ignore = list(cfg.ignore or [])
    sources = ["configs/gazetteer"]
    for path in cfg.get("extra_files") or []:
        more, more_ignore = read_gazetteer_file(path)
        actors, ignore = merge_entries(actors, more), ignore + list(more_ignore)
        sources.append(str(path))
    return Gazetteer(actors, ignore, source=", ".join(sources))


# ----------------------------------------------------------------------------- the holder rule

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def year_in(text: str) -> Optional[int]:
    """The first plausible year (1800-2099) written in the text."""
    m = _YEAR.search(text or "")
    return int(m.group(1)) if m else None


def year_of(value) -> Optional[int]:
    """The year of a date value (a date, a datetime or ISO-8601-like text), or None."""
    if value is None:
        return None
    year = getattr(value, "year", None)
    if isinstance(year, int):
        return year
    m = re.match(r"\s*(\d{4})(?!\d)", str(value))
    return int(m.group(1)) if m and 1000 <= int(m.group(1)) <= 2999 else None


def _words(*groups: str) -> frozenset:
    return frozenset(w for g in groups for w in g.split())


# A cable paragraph mark, a classification, a dateline or a Q/A mark before the sentence proper.
_PREFIX = re.compile(
    r"^\s*(?:(?:\d+\.\s*)?\((?:C|S|U|SBU|TS|LOU|NF)\)\s*"
    r"|(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|SUMMARY|COMMENT)\s*[.:]\s*"
    r"|[QA]:\s*"
    r"|[A-Z][A-Z .'-]{2,30},[^-\u2014]{0,40}(?:--|\u2014)\s*)+")
_TOKEN = re.compile(r"[\w\u00c0-\u024f][\w\u00c0-\u024f.'\u2019-]*|[^\w\s]")
# Conjunctions opening a leading clause whose actors do not hold the main stance ("If Pristina ..., ").
_SUBORDINATORS = _words("if should unless provided providing while whilst although though when whenever "
                        "once because whether even as lest")
_PREPOSITIONS = _words("in to with against on at from by of for into over toward towards between near across "
                       "via under onto upon about than among amongst behind beyond inside outside around "
                       "through throughout without within off like unlike including excluding versus vs "
                       "along alongside despite after before until since during per as")
# Verbs whose next noun phrase is their object ("warned Minsk", "told Washington").
_OBJECT_VERBS = _words(
    "told tell tells telling warned warn warns warning assured assure assures reassured reassure urged urge "
    "urges urging asked ask asks asking invited invite invites inviting accused accuse accuses accusing gave "
    "give gives giving sent send sends informed inform informs pressed presses pressing pressured pressuring "
    "criticised criticized criticise criticize condemned condemns blamed blames blame thanked thank "
    "congratulated met meet meets visited visit visits joined join joins called calls helped help helps "
    "allowed allow hit hits attacked attack attacks struck strike strikes seized sanctioned sanction expelled "
    "summoned recognised recognized supported supports backed backs opposed opposes defeated invaded invade "
    "threatened threaten threatens hosted host hosts fought fight fighting beat urging leave left persuade "
    "persuaded convince convinced reminded remind reminds offered offer offers promised promise promises "
    "pledged handed sold sell sells supplied supply supplies armed arming bombed shelled targeted target "
    "targets rebuffed snubbed outvoted defied defy defies pressured backing supporting praised praise notify "
    "notified notifies let lets briefed brief briefs")
# Agent nouns before "in X" that make X their affiliation ("officials in Ankara"), and nouns before
# "from X" that make X the sender ("the message from Pretoria").
_AFFILIATED = _words("officials official leaders authorities government ministers ministry policymakers "
                     "negotiators")
_SENT_FROM = _words("message signal signals warning word line view response reply answer note")
_FIRST_PERSON = re.compile(r"(?<![\w'-])(?:we|our|us|I)(?![\w'-])")
_PASSIVE_BY = re.compile(r"\b\w+(?:ed|en|wn|ld|ht|ft)\s+by\s+(?:the\s+)?$")
# Words between a preposition or verb and the actor that leave the actor its object ("to its American").
_SKIP = _words("the a an its their his her our your my this these those some any all every each both other "
               "another new former fellow neighbouring neighboring rival allied several many most two three four "
               "five six seven eight nine ten either neither no such which whose what so-called then western "
               "eastern northern southern central nearby distant friendly hostile")
# A demonym names the speaker only before one of these ("Iranian officials", "the Chinese side").
_AGENTS = _words(
    "government governments officials official minister ministers ministry ministries spokesman spokeswoman "
    "spokesperson spokespeople president presidents prime premier foreign defence defense interior army "
    "military navy naval air delegation delegations negotiators negotiator envoy envoys ambassador "
    "ambassadors authorities leader leaders leadership side diplomat diplomats mfa mod fm dfa mofa cabinet "
    "parliament chancellor king queen emir sultan junta regime administration team mission representative "
    "representatives commander commanders chief chiefs general generals agency embassy consulate court "
    "lawmakers legislators senators congress senate assembly presidency palace monarchy crown officer "
    "officers police guard guards coast security intelligence prosecutors regulator regulators deputy vice "
    "secretary chairman head heads director directorate command staff joint border state counterpart "
    "counterparts forces troops soldiers militia fighters rebels movement party leaders' media news "
    "statement communique communiqué readout note response reply warning offer proposal pledge assurance "
    "refusal rejection threat ultimatum decision position demand demands bid plan initiative depfm dfm dg ddg "
    "permsec moi nsa pm cos mil foreign-ministry chair")
# A name is a topic, not a speaker, before one of these ("the Minsk agreement", "the Bonn conference").
_TOPICS = _words(
    "conference summit agreement agreements accord accords treaty declaration process format protocol "
    "ceasefire cease-fire meeting meetings round initiative framework deadline communique pact charter "
    "convention memorandum channel formula club negotiations dialogue tribunal ruling judgment award "
    "resolution ii iii plan crisis affair war wars talks deal model doctrine commitments standard "
    "consensus group marathon climate")
_ACCORDING = re.compile(r"\baccording to\b", re.IGNORECASE)
_REPORTING = re.compile(
    r"(?<![\w'-])(?:said|says|say|saying|told|tells|added|adds|stated|states|announced|announces|declared|"
    r"declares|noted|notes|wrote|writes|reported|reports|quoted|insisted|insists|stressed|stresses|"
    r"confirmed|confirms|warned|warns|assured|assures|argued|argues|explained|explains|maintained|replied|"
    r"responded|tweeted|posted|indicated|indicates|signalled|signaled|vowed|vows|pledged|pledges|"
    r"promised|promises|threatened|threatens|declared|cautioned|asserted|asserts|retorted|countered)"
    r"(?![\w'-])")
# A closing quotation mark after punctuation: the words after it name the speaker ('...,' X said).
_QUOTE_END = re.compile(r"[,.?!\u2026][\"'\u201d\u2019]\s+")


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]


def _body_start(text: str) -> int:
    """Where the sentence proper starts, after a cable paragraph mark, dateline or "Q:"."""
    m = _PREFIX.match(text)
    return m.end() if m else 0


_CLAUSE_START = re.compile(r"(?:^|[.:;?!]\s+|,\s+(?:and|but)\s+)[\"'\u201c\u2018]?([A-Za-z]+)")


def _subordinate_spans(text: str) -> list[tuple[int, int]]:
    """Clauses opened by a subordinator, up to their comma ("If Pristina sends ..., ")."""
    spans = []
    for m in _CLAUSE_START.finditer(text):
        if m.group(1).lower() in _SUBORDINATORS:
            comma = text.find(",", m.end())
            if 0 <= comma - m.start(1) <= 200:
                spans.append((m.start(1), comma + 1))
    return spans


def _roles(text: str, mentions: list[Mention]) -> list[str]:
    """For each mention: "object" (of a preposition or verb, or inside a leading subordinate
    clause), "topic" (a name modifying a topic noun, or a demonym before a non-agent noun:
    "the Minsk agreement", "Pakistani commentators") or "subject"."""
    import bisect

    tokens = _tokens(text)
    words = [re.sub(r"['\u2019]s?$", "", t[2].lower()) for t in tokens]
    starts = [t[0] for t in tokens]
    body = _body_start(text)
    subordinate = _subordinate_spans(text[body:])
    roles: list[str] = []
    for n, m in enumerate(mentions):
        i = bisect.bisect_left(starts, m.start)
        j = i - 1
        while j >= 0 and words[j] in _SKIP:
            j -= 1
        before = words[j] if j >= 0 else ""
        before2 = words[j - 1] if j >= 1 else ""
        k = bisect.bisect_left(starts, m.end)
        after = [w for w in words[k:k + 5] if w]
        possessive = text[m.end:m.end + 2] in ("'s", "\u2019s") or text[m.end:m.end + 1] in ("'", "\u2019") \
            and text[m.end - 1:m.end] == "s"
        between = text[mentions[n - 1].end:m.start].strip() if n else None
        if between in (",", "and", "or", "nor", "and the", "or the", ", and", ", or", ", and the"):
            role = roles[-1]  # coordination: "to Sudan or Egypt", "Canada and the United States"
        elif any(a <= m.start - body < b for a, b in subordinate):
            role = "object"
        elif before == "for" and j == bisect.bisect_left(starts, body) and "," in text[m.end:m.end + 40]:
            role = "subject"  # "For Jakarta, the message ..."
        elif before == "in" and before2 in _AFFILIATED:
            role = "subject"  # "officials in Ankara"
        elif before == "from" and before2 in _SENT_FROM:
            role = "subject"  # "the message from Pretoria"
        elif before == "by" and _PASSIVE_BY.search(text[:m.start]):
            role = "subject"  # passive agent: "was regarded by the Turkish Republic"
        elif before in _PREPOSITIONS and not text[:m.start].lower().rstrip().endswith("according to"):
            role = "object"
        elif before in _OBJECT_VERBS:
            role = "object"
        elif possessive:
            role = "subject"
        elif m.demonym:
            nxt = [w for w in after if w not in ("-", "'s")][:3]
            role = "subject" if any(w in _AGENTS for w in nxt) or (nxt and _REPORTING.match(nxt[0])) else "topic"
        elif after and after[0] in _TOPICS:
            role = "topic"
        else:
            role = "subject"
        roles.append(role)
    return roles


def _first_in(mentions: list[Mention], start: int, end: int) -> Optional[str]:
    for m in mentions:
        if m.start >= start and m.end <= end:
            return m.actor
    return None


def _speaker_clause(text: str, mentions: list[Mention]) -> Optional[tuple[int, str]]:
    """A trailing attribution ("..., Ethiopia's water minister said, pledging ...") as (its
    start, the actor it names), or None."""
    for comma in [c.start() for c in re.finditer(",", text)][::-1]:
        stop = text.find(",", comma + 1)
        stop = len(text) if stop < 0 else stop
        if _REPORTING.search(text, comma, stop):
            found = _first_in(mentions, comma, stop)
            if found:
                return comma, found
    return None


def holder(text: str, gazetteer: Gazetteer, year: Optional[int] = None) -> Optional[str]:
    """The actor holding the stance of `text`, or None when it names no actor.

    `year` (the row's date) resolves aliases shared across eras; a year written in the
    sentence takes precedence."""
    if not text:
        return None
    mentions = gazetteer.mentions(text, year_in(text) or year)
    if not mentions:
        return None
    if len({m.actor for m in mentions}) == 1:
        return mentions[0].actor
    # 1. a quotation's speaker: '"...," the Turkish defence minister told parliament'
    for q in _QUOTE_END.finditer(text):
        stop = text.find(",", q.end())
        stop = len(text) if stop < 0 else stop
        if _REPORTING.search(text, q.end(), stop):
            found = _first_in(mentions, q.end(), stop)
            if found:
                return found
    roles = _roles(text, mentions)
    subjects = [m for m, r in zip(mentions, roles) if r == "subject"]
    # 2. a trailing attribution after a main clause in the first person ("We will not ..., X's
    #    minister said") or one with no actor as subject: the speaker holds it; after a reported
    #    event ("X fired ..., Y said") X does
    speaker = _speaker_clause(text, mentions)
    if speaker:
        at, who = speaker
        main = text[_body_start(text):at]
        main = main[:main.find(" that ")] if " that " in main else main
        if _FIRST_PERSON.search(main) or not any(m.start < at for m in subjects):
            return who
    # 3. the first actor in subject position
    if subjects:
        return subjects[0].actor
    # 4. the source: "according to X"
    for acc in _ACCORDING.finditer(text):
        found = _first_in(mentions, acc.end(), acc.end() + 60)
        if found:
            return found
    # 5. the first actor named as a topic, else the first mentioned
    for m, role in zip(mentions, roles):
        if role == "topic":
            return m.actor
    return mentions[0].actor


def holders(texts: Sequence[Optional[str]], gazetteer: Gazetteer,
            years: Sequence[Optional[int]] | None = None) -> list[Optional[str]]:
    """`holder` for many sentences (years: one per text, or None)."""
    years = years if years is not None else [None] * len(texts)
    return [holder(t, gazetteer, y) if isinstance(t, str) else None for t, y in zip(texts, years)]
