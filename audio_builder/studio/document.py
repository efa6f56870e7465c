"""The script as the studio's form sees it, and the form's edits applied to the YAML.

The YAML text stays the truth: every edit is applied to it by ruamel.yaml's round trip,
so the teacher's comments, order, quoting and indentation survive wherever she did not
change them, and `render` on the command line reads exactly what the page shows.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

POSE_FIELDS = ("name", "sides", "hold", "cues", "switch", "optional", "priority")
TOP_TEXT = ("title", "author", "description")
MAX_OPS = 50


class EditError(ValueError):
    """An edit the document cannot take (the page says so; nothing changes)."""


@dataclass(frozen=True)
class Document:
    """The parsed YAML and how it was indented (kept on dump)."""

    data: Any
    mapping: int
    sequence: int
    offset: int


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a teacher's long cue
    return yaml


def _mapping_indent(text: str) -> int:
    """How far the teacher indents a mapping inside a mapping (voice:, lengths:)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for above, line in zip(lines, lines[1:]):
        parent = re.fullmatch(r"[A-Za-z_][\w-]*:\s*(#.*)?", above)
        child = re.match(r"( +)[A-Za-z_][\w-]*:", line)
        if parent and child:
            return len(child[1])
    return 2


def parse(text: str) -> Document:
    """The round-trip document; EditError if the text is not YAML the form can edit."""
    try:
        _, sequence, offset = load_yaml_guess_indent(text)
        data = _yaml().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise EditError(f"{where}the text is not valid YAML; fix it in the text view") from None
    if not isinstance(data, CommentedMap):
        raise EditError("the script must be a mapping (title:, poses:, ...)")
    offset = offset or 0
    return Document(data, _mapping_indent(text), max(sequence or 2, offset + 2), offset)


def dump(doc: Document) -> str:
    yaml = _yaml()
    yaml.indent(mapping=doc.mapping, sequence=doc.sequence, offset=doc.offset)
    out = io.StringIO()
    yaml.dump(doc.data, out)
    return out.getvalue()


def _line(container: Any, key: Any) -> int | None:
    try:
        if isinstance(container, CommentedSeq):
            return int(container.lc.item(key)[0]) + 1
        return int(container.lc.value(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def _cue(value: Any, line: int | None) -> dict:
    if isinstance(value, dict):
        return {"text": str(value.get("text") or ""), "recording": str(value.get("recording")
                                                                       or "") or None,
                "line": line}
    return {"text": "" if value is None else str(value), "recording": None, "line": line}


def _cues(node: Any) -> list[dict]:
    if not isinstance(node, list):
        return []
    return [_cue(v, _line(node, i)) for i, v in enumerate(node)]


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def model(doc: Document) -> dict:
    """What the form shows: the session as a list, each field with its line (so what
    `check` says of a line is shown at its field)."""
    data = doc.data
    poses: list[dict] = []
    for i, p in enumerate(data.get("poses") or []):
        if not isinstance(p, dict):
            poses.append({"name": str(p), "line": _line(data["poses"], i), "lines": {},
                          "cues": []})
            continue
        pose: dict[str, Any] = {"line": _line(data["poses"], i),
                                "lines": {k: _line(p, k) for k in p},
                                "cues": _cues(p.get("cues"))}
        if "flow" in p:  # a flow: its rounds and each movement's cues
            found = p.get("movements")
            moves: list = found if isinstance(found, list) else []
            pose |= {"flow": _scalar(p.get("flow")), "rounds": _scalar(p.get("rounds")),
                     "movements": [{"name": _scalar(m.get("name")),
                                    "breath": _scalar(m.get("breath")),
                                    "line": _line(moves, j),
                                    "cues": _cues(m.get("cues"))}
                                   for j, m in enumerate(moves) if isinstance(m, dict)]}
        for key in POSE_FIELDS:
            if key != "cues":
                pose[key] = _scalar(p.get(key))
        switch = p.get("switch")
        pose["switch"] = None if switch is None else _cue(switch, _line(p, "switch"))
        poses.append(pose)
    lengths = data.get("lengths")
    return {
        **{k: _scalar(data.get(k)) for k in TOP_TEXT},
        "lines": {k: _line(data, k) for k in data},
        "lengths": {str(k): str(v) for k, v in lengths.items()} if isinstance(lengths, dict)
        else {},
        "intro": _cues(data.get("intro")),
        "outro": _cues(data.get("outro")),
        "poses": poses,
    }


def _styled(old: Any, new: Any) -> Any:
    """A new text in the quoting of the one it replaces ("..." stays "...")."""
    if isinstance(new, str):
        if isinstance(old, DoubleQuotedScalarString):
            return DoubleQuotedScalarString(new)
        if isinstance(old, SingleQuotedScalarString):
            return SingleQuotedScalarString(new)
    return new


def _plain(value: Any) -> Any:
    """A value from the page as YAML: text, numbers, booleans, lists and mappings only."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        seq = CommentedSeq(_plain(v) for v in value)
        return seq
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[str(k)] = _plain(v)
        return m
    raise EditError("an edit may hold only text, numbers, yes/no, lists and mappings")


def _walk(data: Any, path: list) -> tuple[Any, Any]:
    """The container holding the last step of `path`, and that step."""
    if not path:
        raise EditError("an edit needs a path")
    node = data
    for step in path[:-1]:
        node = _step(node, step)
    last = path[-1]
    if isinstance(node, list) and not (isinstance(last, int) and not isinstance(last, bool)):
        raise EditError(f"'{last}' is not a position in a list")
    if isinstance(node, dict) and not isinstance(last, str):
        raise EditError(f"'{last}' is not a field name")
    if not isinstance(node, list | dict):
        raise EditError("that part of the script is not a list or a mapping")
    return node, last


def _step(node: Any, step: Any) -> Any:
    try:
        if isinstance(node, list) and isinstance(step, int) and not isinstance(step, bool):
            return node[step]
        if isinstance(node, dict) and isinstance(step, str):
            if step not in node:
                node[step] = CommentedSeq() if step in ("intro", "outro", "cues") else \
                    CommentedMap()
            return node[step]
    except IndexError:
        pass
    raise EditError(f"the script has no '{step}' there (reload the page?)")


def apply(doc: Document, ops: list[dict]) -> None:
    """Apply the form's edits in order: set (None removes a field), insert, remove, move."""
    if not isinstance(ops, list) or len(ops) > MAX_OPS:
        raise EditError(f"send a list of at most {MAX_OPS} edits")
    for op in ops:
        if not isinstance(op, dict):
            raise EditError("an edit is a mapping")
        kind, path = op.get("op"), op.get("path")
        if not isinstance(path, list):
            raise EditError("an edit needs a path (a list)")
        node, last = _walk(doc.data, path)
        if kind == "set":
            value = _plain(op.get("value"))
            if isinstance(node, dict) and value is None:
                node.pop(last, None)
            elif isinstance(node, dict):
                node[last] = _styled(node.get(last), value)
            elif 0 <= last < len(node):
                node[last] = _styled(node[last], value)
            else:
                raise EditError("there is no such item (reload the page?)")
        elif kind == "insert" and isinstance(node, list):
            if not 0 <= last <= len(node):
                raise EditError("there is no such place (reload the page?)")
            value = _plain(op.get("value"))
            if isinstance(value, str) and any(isinstance(v, DoubleQuotedScalarString)
                                              for v in node):
                value = DoubleQuotedScalarString(value)
            node.insert(last, value)
        elif kind == "remove" and isinstance(node, list):
            if not 0 <= last < len(node):
                raise EditError("there is no such item (reload the page?)")
            del node[last]
        elif kind == "move" and isinstance(node, list):
            to = op.get("to")
            if not (isinstance(to, int) and 0 <= last < len(node) and 0 <= to < len(node)):
                raise EditError("there is no such place (reload the page?)")
            node.insert(to, node.pop(last))
        else:
            raise EditError(f"unknown edit '{kind}'")


def edit(text: str, ops: list[dict]) -> str:
    """The text with the form's edits applied (EditError: nothing is changed)."""
    doc = parse(text)
    apply(doc, ops)
    return dump(doc)
