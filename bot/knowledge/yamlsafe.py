"""Safe YAML loading with limits, so an abusive file is refused instead of eating memory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_EXPANDED_NODES = 1_000_000
MAX_ALIASES = 1_000
MAX_DEPTH = 50

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

#: Where an anchor (`&name`) could start; see `_fast_value`.
_ANCHOR_RE = re.compile(r"(?<!\w)&")

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRefused(Exception):
    """The file is not loaded; `line` and `column` are 1-based where known.

    `key` names the catalogue message `kbp_<key>` (bot/messages.py) with its `values`;
    `message` is its English text.
    """

    def __init__(self, key: str, line: int | None = None, column: int | None = None, **values: Any):
        from bot.messages import t

        message = t(f"kbp_{key}", "en", **values)
        super().__init__(message)
        self.key = key
        self.values = values
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Document:
    """A loaded YAML document: the plain value and its node tree (for line numbers)."""

    value: Any
    node: yaml.Node | None


def load_yaml_file(path: Path, strings: dict[str, str] | None = None) -> Document:
    """Load one YAML file safely; raise YamlRefused with a clear message."""
    return load_yaml_bytes(read_yaml_bytes(path), strings)


def read_yaml_bytes(path: Path) -> bytes:
    """The bytes of a YAML file, refused (unread) when it is over the size limit."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlRefused(
            "too_big", size=f"{size / 1024 / 1024:.1f}", limit=MAX_FILE_BYTES // 1024 // 1024
        )
    return path.read_bytes()


def load_yaml_bytes(raw: bytes, strings: dict[str, str] | None = None) -> Document:
    """Load a YAML file's bytes (as `read_yaml_bytes` returns them) safely."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlRefused("not_utf8", byte=exc.start) from exc
    return load_yaml_text(text, strings)


def load_yaml_text(text: str, strings: dict[str, str] | None = None) -> Document:
    """Load YAML text safely (no Python tags, bounded aliases, size and depth).

    `strings`, when given, shares equal string values (one object per distinct text)
    across the documents loaded with the same dict: knowledge files repeat a lot of text.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, None)
        value = _fast_value(loader, node, text, {} if strings is None else strings)
        if value is _SLOW:
            _check_graph(node)
            _demote_bad_scalars(loader, node)
            value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from exc
    except yaml.YAMLError as exc:
        raise YamlRefused("yaml_error", error=str(exc)) from exc
    finally:
        loader.dispose()
    return Document(value, node)


def _syntax_error(exc: yaml.MarkedYAMLError) -> YamlRefused:
    """The refusal for a syntax error, at the line where the trouble starts.

    For a token the scanner could not finish (`while scanning a quoted scalar`, a simple
    key, a block scalar…), PyYAML's context mark is where it starts — an unclosed quote's
    opening quote — and its problem mark is where the scanner gave up, often many lines
    below (the end of the file). For a parser error (`while parsing a block mapping`) the
    problem mark is the spot and the context mark only the start of the enclosing block.
    """
    problem = exc.problem or str(exc)
    context = exc.context or ""
    start, stop = exc.context_mark, exc.problem_mark
    scanning = context.startswith("while scanning") and "next token" not in context
    if scanning and start is not None:
        where = stop.line + 1 if stop is not None else start.line + 1
        if "quoted scalar" in context:
            return YamlRefused(
                "unclosed_quote", start.line + 1, start.column + 1, problem=problem, stop=where
            )
        return YamlRefused(
            "syntax_from",
            start.line + 1,
            start.column + 1,
            problem=problem,
            context=context,
            stop=where,
        )
    mark = stop or start
    if context and start is not None:
        return YamlRefused(
            "syntax_in",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            problem=problem,
            context=context,
            start=start.line + 1,
        )
    return YamlRefused(
        "syntax",
        mark.line + 1 if mark else None,
        mark.column + 1 if mark else None,
        problem=problem,
    )


#: `_fast_value` could not build the value: take the general path.
_SLOW: Any = object()

_SCALAR_TAGS = frozenset(
    {
        _STR_TAG,
        _INT_TAG,
        _TIMESTAMP_TAG,
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:float",
    }
)
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class _Slow(Exception):
    """Raised inside `_fast_value` to give up on the fast path."""


def _fast_value(
    loader: yaml.SafeLoader, root: yaml.Node, text: str, strings: dict[str, str]
) -> Any:
    """The document's value in one pass, for the common case; `_SLOW` otherwise.

    The general path (`_check_graph`, `_demote_bad_scalars`, then PyYAML's constructor)
    walks the node graph three times. Without an anchor the graph is a tree: no alias
    can repeat a node. (An anchor `&a` starts a token, so a `&` right after a letter or a
    digit, as in `Q&A`, cannot be one; any other `&` takes the general path.) Then one
    recursive pass checks the depth and the node count, keeps bad dates and integers as
    strings and builds the same plain values the constructor would (dicts, lists, str,
    int, float, bool, None, dates). Anything else — a deeper tree, too many nodes, another
    tag, a key that is not a scalar, any exception — returns `_SLOW`, and the general
    path decides, so refusals and errors stay exactly what they were.
    """
    if "&" in text and _ANCHOR_RE.search(text):
        return _SLOW
    constructors = loader.yaml_constructors
    count = 1

    def build(node: yaml.Node, depth: int) -> Any:
        nonlocal count
        cls = node.__class__
        tag = node.tag
        if cls is yaml.ScalarNode:
            if tag == _STR_TAG:
                value: str = node.value
                return strings.setdefault(value, value)
            if tag not in _SCALAR_TAGS:
                raise _Slow
            if tag in (_TIMESTAMP_TAG, _INT_TAG):
                try:
                    data = constructors[tag](loader, node)
                    if tag == _INT_TAG:
                        str(data)  # 0xfff… parses, but cannot print
                except ValueError:
                    node.tag = _STR_TAG
                    return strings.setdefault(node.value, node.value)
                return data
            return constructors[tag](loader, node)
        items = node.value
        if not items:
            if (cls is yaml.SequenceNode and tag == _SEQ_TAG) or (
                cls is yaml.MappingNode and tag == _MAP_TAG
            ):
                return [] if cls is yaml.SequenceNode else {}
            raise _Slow
        if depth >= MAX_DEPTH:
            raise _Slow
        depth += 1
        if cls is yaml.SequenceNode and tag == _SEQ_TAG:
            count += len(items)
            return [build(item, depth) for item in items]
        if cls is yaml.MappingNode and tag == _MAP_TAG:
            count += 2 * len(items)
            mapping: dict[Any, Any] = {}
            for key_node, value_node in items:
                if key_node.__class__ is not yaml.ScalarNode:
                    raise _Slow  # PyYAML refuses or merges such keys
                key = build(key_node, depth)
                mapping[key] = build(value_node, depth)
            return mapping
        raise _Slow

    try:
        value = build(root, 1)
    except Exception:
        return _SLOW
    if count > MAX_EXPANDED_NODES:
        return _SLOW
    return value


def _check_graph(root: yaml.Node) -> None:
    """Refuse alias bombs and deep nesting, walking the node graph without recursion."""
    expanded: dict[int, int] = {}
    seen_twice = 0
    # Post-order walk: (node, depth, children_done)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlRefused("too_deep", node.start_mark.line + 1, limit=MAX_DEPTH)
        key = id(node)
        if not done:
            if key in expanded:
                seen_twice += 1
                if seen_twice > MAX_ALIASES:
                    raise YamlRefused(
                        "too_many_aliases", node.start_mark.line + 1, limit=MAX_ALIASES
                    )
                continue
            expanded[key] = -1  # in progress; a cycle meets -1 and counts as 1
            stack.append((node, depth, True))
            for child in _children(node):
                stack.append((child, depth + 1, False))
            continue
        total = 1 + sum(max(expanded.get(id(c), 1), 1) for c in _children(node))
        if total > MAX_EXPANDED_NODES:
            raise YamlRefused(
                "alias_bomb", node.start_mark.line + 1, limit=f"{MAX_EXPANDED_NODES:,}"
            )
        expanded[key] = total


def _demote_bad_scalars(loader: yaml.SafeLoader, root: yaml.Node) -> None:
    """Keep as strings the scalars that look like a date or an integer but are not one.

    `2026-13-45` or a 5,000-digit number would make the constructor raise ValueError;
    as strings, the parser reports them where they are (file, line, entry id).
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode) and node.tag in (_TIMESTAMP_TAG, _INT_TAG):
            try:
                if node.tag == _TIMESTAMP_TAG:
                    loader.construct_yaml_timestamp(node)
                else:
                    str(loader.construct_yaml_int(node))  # 0xfff… parses, but cannot print
            except ValueError:
                node.tag = _STR_TAG
        stack.extend(_children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def node_line(node: yaml.Node | None) -> int | None:
    """Return the 1-based line where `node` starts."""
    return node.start_mark.line + 1 if node is not None else None


def mapping_child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """Return the value node under `key` in a mapping node, if any."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
            return v
    return None


def sequence_item(node: yaml.Node | None, index: int) -> yaml.Node | None:
    """Return item `index` of a sequence node, if any."""
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        item: yaml.Node = node.value[index]
        return item
    return None
