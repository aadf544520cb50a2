"""Safe YAML loading with limits, so an abusive file is refused instead of eating memory."""

from __future__ import annotations

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

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRefused(Exception):
    """The file is not loaded; `line` and `column` are 1-based where known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Document:
    """A loaded YAML document: the plain value and its node tree (for line numbers)."""

    value: Any
    node: yaml.Node | None


def load_yaml_file(path: Path) -> Document:
    """Load one YAML file safely; raise YamlRefused with a clear message."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlRefused(
            f"file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB — split it into smaller files"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlRefused(f"file is not valid UTF-8 (byte {exc.start})") from exc
    return load_yaml_text(text)


def load_yaml_text(text: str) -> Document:
    """Load YAML text safely (no Python tags, bounded aliases, size and depth)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, None)
        _check_graph(node)
        _demote_bad_scalars(loader, node)
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{problem} ({exc.context})"
        raise YamlRefused(
            f"YAML syntax error: {problem}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlRefused(f"YAML error: {exc}") from exc
    finally:
        loader.dispose()
    return Document(value, node)


def _check_graph(root: yaml.Node) -> None:
    """Refuse alias bombs and deep nesting, walking the node graph without recursion."""
    expanded: dict[int, int] = {}
    seen_twice = 0
    # Post-order walk: (node, depth, children_done)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlRefused(
                f"nesting deeper than {MAX_DEPTH} levels is refused", node.start_mark.line + 1
            )
        key = id(node)
        if not done:
            if key in expanded:
                seen_twice += 1
                if seen_twice > MAX_ALIASES:
                    raise YamlRefused(
                        f"more than {MAX_ALIASES} aliases: refused", node.start_mark.line + 1
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
                "aliases expand to more than "
                f"{MAX_EXPANDED_NODES:,} values (an alias bomb?): refused",
                node.start_mark.line + 1,
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
