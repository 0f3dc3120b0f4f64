"""Read a YAML file safely and remember the line of every key, so errors can point at it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_NODES = 100_000  # far above any real policy; stops alias bombs before pydantic walks them


@dataclass
class Source:
    """A parsed YAML document plus the 1-based line of each key path."""

    data: Any = None
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    problems: list[tuple[Loc, int | None, str]] = field(default_factory=list)

    def line_of(self, loc: Sequence[Any]) -> int | None:
        """The line of `loc`, or of its nearest ancestor present in the file."""
        parts = tuple(str(p) for p in loc)
        for end in range(len(parts), -1, -1):
            if parts[:end] in self.lines:
                return self.lines[parts[:end]]
        return None


def read_yaml(text: str) -> Source:
    """Parse `text` with SafeLoader; problems (syntax, unsafe tags, duplicate keys) are collected, never raised."""
    source = Source()
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            source.problems.append(((), None, "file is empty"))
            return source
        source.lines[()] = node.start_mark.line + 1
        _walk(node, (), source, set())
        if _expanded_size(node, {}) > MAX_NODES:
            source.problems.append(((), None, f"more than {MAX_NODES} values once aliases are expanded"))
        if not source.problems:
            source.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        source.problems.append(((), line, f"invalid YAML: {exc.problem or exc.context}"))
    except RecursionError:
        source.problems.append(((), None, "YAML nests too deeply"))
    finally:
        loader.dispose()
    source.problems = list(dict.fromkeys(source.problems))  # a merged anchor is walked twice
    return source


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    # Memoised per node, so counting the expansion costs the size of the file, not of the expansion.
    if id(node) not in memo:
        memo[id(node)] = 1
        if isinstance(node, SequenceNode):
            memo[id(node)] += sum(_expanded_size(item, memo) for item in node.value)
        elif isinstance(node, MappingNode):
            memo[id(node)] += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    return memo[id(node)]


def _walk(node: Node, path: tuple[str, ...], source: Source, seen: set[int]) -> None:
    # Aliases reuse a node: walking it once is enough and stops "billion laughs" blow-ups.
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.tag not in yaml.SafeLoader.yaml_constructors:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        message = f"YAML tag {tag} is not allowed: policies are plain data"
        source.problems.append((path, node.start_mark.line + 1, message))
        return
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            source.lines.setdefault((*path, str(index)), item.start_mark.line + 1)
            _walk(item, (*path, str(index)), source, seen)
    elif isinstance(node, MappingNode):
        _walk_mapping(node, path, source, seen)


def _walk_mapping(node: MappingNode, path: tuple[str, ...], source: Source, seen: set[int]) -> None:
    first_line: dict[str, int] = {}
    merged: list[Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            merged.append(value_node)
            continue
        if not isinstance(key_node, ScalarNode):
            source.problems.append((path, key_node.start_mark.line + 1, "keys must be plain scalars"))
            continue
        key, line = key_node.value, key_node.start_mark.line + 1
        if key in first_line:
            message = f"duplicate key {key!r} (first defined on line {first_line[key]})"
            source.problems.append(((*path, key), line, message))
            continue
        first_line[key] = line
        source.lines[(*path, key)] = line
        _walk(value_node, (*path, key), source, seen)
    # `<<: *defaults` keys keep the anchor's lines unless the mapping overrides them.
    for merge in merged:
        for item in merge.value if isinstance(merge, SequenceNode) else [merge]:
            before = dict(source.lines)
            _walk(item, path, source, set())
            source.lines.update(before)
