"""Triage: is a message an emergency (110/119/120/122) or a matter for another channel?

Run by the dialogue core on every text message, before matching and before a form step
takes it. The rules are data: `bot/defaults/triage.yaml` (signals and markers, as regular
expressions) and the knowledge base's `triage:` rules (plain phrases: `emergency` adds
signals; every other rule — court, arbitration, review, petition — is a channel with its
message). How the decision is made: docs/triage.md.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

from bot.knowledge.model import KnowledgeBase, LocalText
from bot.knowledge.yamlsafe import load_yaml_text
from bot.messages import t
from bot.replies import Block, Button, Heading, Paragraph, Reply, text_reply
from bot.text import has_han, normalize

#: The KB triage rule whose phrases are emergency signals (all other rules are channels).
EMERGENCY_RULE = "emergency"
#: The services a KB's own emergency phrases call for (the kind is not known).
GENERAL_SERVICES = ("police", "fire", "medical")
_LATIN_RE = re.compile("[a-z]")
#: The regular expression parser and its opcodes (private to `re`: if they move, patterns
#: are compiled without a prefilter, as correct and slower).
try:
    _sre_parser: Any = importlib.import_module("re._parser")
    _sre: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - another Python
    _sre_parser = _sre = None
_MARKERS = ("idioms", "figurative", "urgent", "past", "hazard", "question", "present")
#: Dialect sentence-final particles read as 了 (烧着咧, 起火嘞, 着火哩).
_DIALECT_LE = re.compile("[咧嘞哩]")
#: Interjections, which say nothing about what happened (救命啊啊啊 is bare panic).
_INTERJECTIONS = re.compile("[啊呀哇呜啦吧呢嘛哦喂哎唉呐嗷]")
#: What is left of a message once its signals are cut out: Han characters, Latin words.
_HAN_RE = re.compile(r"[\u3400-\u9fff]")
_WORD_RE = re.compile(r"[a-z]+")
#: A message that says this much besides its emergency words is an account, not a topic
#: (房子着火了 烟好大 is; a bare 车祸 or "drowning" may be a topic to ask about).
ACCOUNT_HAN = 3
ACCOUNT_WORDS = 2


class Outcome(Enum):
    """What triage found."""

    #: A present emergency: the numbers, and nothing else is done with the message.
    EMERGENCY = "emergency"
    #: Maybe an emergency: the numbers first, then the message is handled as usual.
    DOUBT = "doubt"
    #: A matter for a court, arbitration, administrative review or 信访.
    CHANNEL = "channel"


@dataclass(frozen=True)
class Triage:
    """The outcome for one message."""

    outcome: Outcome
    #: Emergency kinds found, in the order they occur in the message (fire, medical…).
    kinds: tuple[str, ...] = ()
    #: Services to call, the most fitting first (keys of `Rules.numbers`).
    services: tuple[str, ...] = ()
    #: The KB triage rule: a channel's id, or `emergency` for a KB's own phrase.
    rule: str | None = None
    #: A channel named with one of the rule's own phrases (起诉, 仲裁, 信访): the channel
    #: is the reply. False when only bot/defaults/triage.yaml's patterns found the matter
    #: described (借了我钱不还, 把我开了): the channel's message, then the usual reply.
    named: bool = True

    @property
    def label(self) -> str:
        """What is stored with the logged question, e.g. `emergency:fire+medical`."""
        detail = self.rule if self.outcome is Outcome.CHANNEL else "+".join(self.kinds)
        return f"{self.outcome.value}:{detail}"


@dataclass(frozen=True)
class Signal:
    """An emergency kind and the patterns that reveal it."""

    kind: str
    services: tuple[str, ...]
    #: The patterns with Chinese characters, and the others (Latin): a message is only
    #: searched with the ones its script can match.
    han: re.Pattern[str] | None
    latin: re.Pattern[str] | None
    #: Counted only when no other signal is found (救命 alone: every number).
    fallback: bool = False
    #: Kinds this signal comes before, wherever they are in the message (traffic leads
    #: medical: a crash with an injury is called in to 122 first).
    leads: tuple[str, ...] = ()

    def cut(self, norm: str, han: bool, latin: bool) -> str:
        """The message with every match of this signal replaced by a space."""
        for pattern, wanted in ((self.han, han), (self.latin, latin)):
            if wanted and pattern is not None:
                norm = pattern.sub(" ", norm)
        return norm

    def search(self, norm: str, han: bool, latin: bool) -> re.Match[str] | None:
        """The first match in a normalised message that has Han and/or Latin letters."""
        found = [
            m
            for pattern, wanted in ((self.han, han), (self.latin, latin))
            if wanted and pattern is not None and (m := pattern.search(norm)) is not None
        ]
        return min(found, key=lambda m: m.start()) if found else None


@dataclass(frozen=True)
class Rules:
    """The packaged triage rules (bot/defaults/triage.yaml), compiled."""

    numbers: Mapping[str, str]
    signals: tuple[Signal, ...]
    markers: Mapping[str, re.Pattern[str]]
    #: Packaged patterns of a channel (by rule id), beside the KB rule's plain phrases.
    channels: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    #: Cut out before channels are looked for (告诉 holds 告, 报告 holds 告).
    channel_idioms: re.Pattern[str] | None = None
    #: A channel phrase right after one of these is not asked for (不想去打官司).
    channel_negation: re.Pattern[str] | None = None
    #: Dialect words read as their Mandarin (Cantonese 咗 → 了, 冇 → 没), and their pattern.
    dialect: Mapping[str, str] = field(default_factory=dict)
    dialect_re: re.Pattern[str] | None = None
    #: A change of subject (算了, 不对, "actually"): what follows it is what is decided on.
    pivot: re.Pattern[str] | None = None

    def read_dialect(self, norm: str) -> str:
        """The message with its dialect words in Mandarin."""
        if self.dialect_re is None:
            return norm
        return self.dialect_re.sub(lambda m: self.dialect[m.group(0)], norm)


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return _prefiltered("|".join(f"(?:{p})" for p in patterns))


def _prefiltered(source: str) -> re.Pattern[str]:
    """A pattern led by a lookahead for the characters its matches can start with.

    Python's engine then skips to those characters instead of trying every branch at
    every position: a 300-character message with no emergency word is read about 5
    times faster (docs/triage.md, Measured). Patterns whose first character can be
    anything (., a range) are compiled as they are.
    """
    try:
        first = _first_chars(list(_sre_parser.parse(source)))
    except Exception:  # an engine whose parser differs: the plain pattern is as good
        first = None
    if not first:
        return re.compile(source)
    chars = "".join(re.escape(c) for c in sorted(first))
    return re.compile(f"(?=[{chars}])(?:{source})")


def _first_chars(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The characters a parsed sequence can start with (None: any, or it may be empty)."""
    out: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            return out | {chr(av)}
        if op is _sre.IN:
            if any(o is not _sre.LITERAL for o, _ in av):
                return None
            return out | {chr(a) for _, a in av}
        if op is _sre.BRANCH or op is _sre.SUBPATTERN:
            alternatives = av[1] if op is _sre.BRANCH else [av[3]]
            for alternative in alternatives:
                found = _first_chars(list(alternative))
                if found is None:
                    return None
                out |= found
            return out
        if op is _sre.MAX_REPEAT or op is _sre.MIN_REPEAT:
            low, _, sub = av
            found = _first_chars(list(sub))
            if found is None:
                return None
            out |= found
            if low > 0:
                return out
            continue  # it may be absent: what follows may come first
        if op is _sre.AT or op is _sre.ASSERT or op is _sre.ASSERT_NOT:
            continue  # zero width
        return None
    return None


def _scripts(norm: str) -> tuple[bool, bool]:
    """Whether a normalised message has Chinese characters, and Latin letters."""
    return has_han(norm), _LATIN_RE.search(norm) is not None


def _compile_some(patterns: list[str]) -> re.Pattern[str] | None:
    return _compile(patterns) if patterns else None


def rules_from(doc: Mapping[str, Any]) -> Rules:
    """Compile a triage document (the shape of bot/defaults/triage.yaml)."""
    numbers = {str(k): str(v) for k, v in doc["services"].items()}
    signals = []
    for kind, spec in doc["signals"].items():
        services = tuple(str(s) for s in spec["services"])
        unknown = [s for s in services if s not in numbers]
        if unknown:
            raise ValueError(f"triage signal {kind}: unknown services {unknown}")
        patterns = [str(p) for p in spec["patterns"]]
        han = _compile_some([p for p in patterns if has_han(p)])
        latin = _compile_some([p for p in patterns if not has_han(p)])
        fallback = bool(spec.get("fallback", False))
        leads = tuple(str(k) for k in spec.get("leads", ()))
        signals.append(Signal(str(kind), services, han, latin, fallback, leads))
    markers = {name: _compile(list(doc[name])) for name in _MARKERS}
    channels = {str(k): _compile([str(p) for p in v]) for k, v in doc.get("channels", {}).items()}
    idioms = _compile_some([str(p) for p in doc.get("channel_idioms", ())])
    negation = doc.get("channel_negation", ())
    # Anchored at the end: the cue must come right before the phrase (spaces allowed).
    negated = _compile([f"(?:{p}) ?$" for p in negation]) if negation else None
    dialect = {normalize(str(k)): normalize(str(v)) for k, v in doc.get("dialect", {}).items()}
    # Longest first, so a word wins over the character it starts with (点算 before 点).
    words = sorted(dialect, key=len, reverse=True)
    dialect_re = _prefiltered("|".join(map(re.escape, words))) if words else None
    pivot = _compile_some([str(p) for p in doc.get("pivot", ())])
    return Rules(
        numbers, tuple(signals), markers, channels, idioms, negated, dialect, dialect_re, pivot
    )


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The packaged rules, read and compiled once."""
    text = resources.files("bot.defaults").joinpath("triage.yaml").read_text("utf-8")
    doc = load_yaml_text(text).value
    if not isinstance(doc, dict):
        raise ValueError("bot/defaults/triage.yaml must be a mapping")
    return rules_from(doc)


@dataclass(frozen=True)
class Channel:
    """A KB triage rule for another channel: its phrases (normalised) and message.

    `packaged` is bot/defaults/triage.yaml's pattern for the rule's id, if any.
    """

    id: str
    phrases: tuple[str, ...]
    message: LocalText
    packaged: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", _phrases_pattern(self.phrases))

    def found_in(self, norm: str, negation: re.Pattern[str] | None = None) -> bool | None:
        """Whether a normalised message holds one of the phrases, not negated: True for
        the rule's own phrases, False for the packaged pattern only, None for neither."""
        pattern: re.Pattern[str] | None = self.__dict__["_pattern"]
        for p, named in ((pattern, True), (self.packaged, False)):
            if p is None:
                continue
            for m in p.finditer(norm):
                if negation is None or negation.search(norm, 0, m.start()) is None:
                    return named
        return None


def _phrases_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """Plain phrases as one pattern; a Latin phrase matches whole words only."""
    parts = []
    for phrase in phrases:
        part = re.escape(phrase)
        if phrase[:1].isascii() and phrase[:1].isalnum():
            part = r"(?<![a-z0-9])" + part
        if phrase[-1:].isascii() and phrase[-1:].isalnum():
            part += r"(?![a-z0-9])"
        parts.append(part)
    return _prefiltered("|".join(parts)) if parts else None


class Triager:
    """Triage for one knowledge base (its own emergency phrases and channel rules)."""

    def __init__(self, kb: KnowledgeBase, rules: Rules | None = None):
        self.kb = kb
        self.rules = rules or default_rules()
        extra: list[str] = []
        channels: list[Channel] = []
        for rule in kb.triage:
            phrases = tuple(
                normalize(p) for values in rule.phrases.values() for p in values if p.strip()
            )
            if rule.id == EMERGENCY_RULE:
                extra.extend(phrases)
            else:
                packaged = self.rules.channels.get(rule.id)
                channels.append(Channel(rule.id, phrases, rule.message, packaged))
        self.kb_emergency = _phrases_pattern(tuple(p for p in extra if p))
        self.channels = tuple(channels)

    def channel(self, channel_id: str) -> Channel | None:
        """The channel rule with this id."""
        return next((c for c in self.channels if c.id == channel_id), None)

    def triage(self, text: str, channels: bool = True) -> Triage | None:
        """The outcome for a message, or None when it is neither emergency nor channel.

        With `channels` False only emergencies are looked for (a form step such as the
        place or the time, where "法院对面" is an address, not a lawsuit).
        """
        norm = normalize(text)
        if not norm:
            return None
        found = self.emergency(norm)
        if found is not None and found.outcome is Outcome.EMERGENCY:
            return found
        if channels:
            hit = self._channel_in(norm)
            if hit is not None:
                # In doubt too (a past injury, a lawsuit now): the channel, with the
                # numbers shown first (the doubt's kinds and services are kept).
                kinds, services = (found.kinds, found.services) if found else ((), ())
                return Triage(Outcome.CHANNEL, kinds, services, hit[0].id, hit[1])
        return found

    def _channel_in(self, norm: str) -> tuple[Channel, bool] | None:
        """The first channel named in a message (a rule's phrase), else the first one
        described (a packaged pattern); idioms are cut out and negated phrases skipped."""
        rules = self.rules
        if rules.channel_idioms is not None:
            norm = rules.channel_idioms.sub(" ", norm)
        described: Channel | None = None
        for channel in self.channels:
            named = channel.found_in(norm, rules.channel_negation)
            if named:
                return channel, True
            if named is False and described is None:
                described = channel
        return (described, False) if described is not None else None

    def emergency(self, norm: str) -> Triage | None:
        """Emergency or doubt for a normalised message (docs/triage.md, the decision)."""
        markers = self.rules.markers
        norm = self.rules.read_dialect(_DIALECT_LE.sub("了", norm))
        if not self._any_signal(norm):  # the common case: no idiom can matter
            return None
        norm = self._after_pivot(norm)
        rest = markers["idioms"].sub(" ", norm)
        han, latin = _scripts(rest)
        hits: list[tuple[int, Signal]] = []
        for signal in self.rules.signals:
            match = signal.search(rest, han, latin)
            if match is not None:
                hits.append((match.start(), signal))
        kb_hit = self.kb_emergency.search(rest) if self.kb_emergency else None
        if any(not s.fallback for _, s in hits) or kb_hit is not None:
            hits = [(at, s) for at, s in hits if not s.fallback]
        if not hits and kb_hit is None:
            return None
        ordered = _ordered([s for _, s in sorted(hits, key=lambda hit: hit[0])])
        kinds = [s.kind for s in ordered]
        services: list[str] = []
        for signal in ordered:
            services.extend(s for s in signal.services if s not in services)
        rule = None
        if kb_hit is not None:
            rule = EMERGENCY_RULE
            kinds.append(EMERGENCY_RULE)
            services.extend(s for s in GENERAL_SERVICES if s not in services)
        outcome: Outcome | None
        if all(s.fallback for s in ordered) and kb_hit is None:
            outcome = self._panic_only(rest, markers, han, latin)
        else:
            outcome = self._decide(rest, markers, self._is_account(rest, han, latin))
        if outcome is None:
            return None
        return Triage(outcome, tuple(kinds), tuple(services), rule)

    def _after_pivot(self, norm: str) -> str:
        """What follows the last change of subject, when the danger is said there:
        俺想问问户口迁移的事 哎 不对 外面有人在砸窗户 is decided on 外面有人在砸窗户, so the
        question before it does not make the emergency a doubt."""
        pivot = self.rules.pivot
        if pivot is None:
            return norm
        ends = [m.end() for m in pivot.finditer(norm)]
        if not ends:
            return norm
        tail = norm[ends[-1] :]
        return tail if self._any_signal(tail) else norm

    def _any_signal(self, norm: str) -> bool:
        if self.kb_emergency is not None and self.kb_emergency.search(norm):
            return True
        han, latin = _scripts(norm)
        return any(signal.search(norm, han, latin) for signal in self.rules.signals)

    def _is_account(self, rest: str, han: bool, latin: bool) -> bool:
        """Whether the message says more than its emergency words (docs/triage.md, 7)."""
        for signal in self.rules.signals:
            rest = signal.cut(rest, han, latin)
        if self.kb_emergency is not None:
            rest = self.kb_emergency.sub(" ", rest)
        return (
            len(_HAN_RE.findall(rest)) >= ACCOUNT_HAN
            or len(_WORD_RE.findall(rest)) >= ACCOUNT_WORDS
        )

    def _panic_only(
        self, rest: str, markers: Mapping[str, re.Pattern[str]], han: bool, latin: bool
    ) -> Outcome:
        """救命 with no kind of danger named (docs/triage.md, the decision, 8).

        Bare (救命啊, "help!"), or with another urgent word, it is an emergency; said
        before an account that names no danger (救命 这个网上申报我弄了一下午也弄不好) it
        may be a figure of speech: the numbers first, then the usual reply.
        """
        cut = rest
        for signal in self.rules.signals:
            if signal.fallback:
                cut = signal.cut(cut, han, latin)
        if markers["figurative"].search(cut) is not None:
            return Outcome.DOUBT
        if markers["urgent"].search(cut) is not None:
            return Outcome.EMERGENCY
        cut = _INTERJECTIONS.sub(" ", cut)
        if markers["question"].search(cut) is not None or self._is_account(cut, han, latin):
            return Outcome.DOUBT
        return Outcome.EMERGENCY

    @staticmethod
    def _decide(rest: str, markers: Mapping[str, re.Pattern[str]], account: bool) -> Outcome | None:
        def has(name: str) -> bool:
            return markers[name].search(rest) is not None

        if has("figurative"):
            return Outcome.DOUBT
        if has("urgent"):
            return Outcome.EMERGENCY
        if has("question"):
            return None if has("past") else Outcome.DOUBT
        if has("past") or has("hazard"):
            return Outcome.DOUBT
        if has("present") or account:
            return Outcome.EMERGENCY
        return Outcome.DOUBT


def _ordered(signals: list[Signal]) -> list[Signal]:
    """Signals in message order, each moved before the first kind it leads."""
    result: list[Signal] = []
    for signal in signals:
        led = [i for i, s in enumerate(result) if s.kind in signal.leads]
        result.insert(led[0] if led else len(result), signal)
    return result


# -- replies ------------------------------------------------------------------------------


def numbers(found: Triage, rules: Rules, lang: str) -> str:
    """The numbers to call, the most fitting first: "119、120" or "119 and 120"."""
    listed = [rules.numbers[s] for s in found.services]
    if lang == "zh":
        return "、".join(listed)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]


def emergency_reply(
    found: Triage,
    rules: Rules,
    lang: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    extra: str | None = None,
) -> Reply:
    """Call these numbers now: one line per service, safety first, every number at the end.

    `extra` is the KB's own emergency message (for a phrase the KB added).
    """
    blocks: list[Block] = [
        Heading(t("triage_emergency", lang, numbers=numbers(found, rules, lang)))
    ]
    blocks.extend(Paragraph(t(f"triage_call_{s}", lang)) for s in found.services)
    if extra:
        blocks.append(Paragraph(extra))
    blocks.append(Paragraph(t("triage_safety", lang)))
    blocks.append(Paragraph(t("triage_all_numbers", lang)))
    if buttons:
        blocks.append(Paragraph(t("triage_not_emergency", lang)))
    return Reply(tuple(blocks), buttons)


def doubt_reply(found: Triage, rules: Rules, lang: str) -> Reply:
    """In doubt: one line with the numbers, before the usual reply."""
    sep = "、" if lang == "zh" else ", "
    what = sep.join(f"{t(f'triage_service_{s}', lang)} {rules.numbers[s]}" for s in found.services)
    return text_reply(t("triage_doubt", lang, numbers=numbers(found, rules, lang), what=what))


def channel_reply(channel: Channel, lang: str, buttons: tuple[tuple[Button, ...], ...]) -> Reply:
    """The proper channel for the matter, and a way on."""
    blocks = (Paragraph(channel.message.get(lang)), Paragraph(t("triage_channel_way_on", lang)))
    return Reply(blocks, buttons)
