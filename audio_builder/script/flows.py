"""The script fields of a flow (#25): a group of movements repeated for rounds, each
movement taking one breath phase.

    - flow: Sun Salutation A
      rounds: 3..5          # the full length takes 5; a shorter one fewer
      sides: [right, left]  # optional: rounds alternate sides (rounds then come in pairs)
      chime: bell           # optional: one chime at the start and one at the end
      movements:
        - name: Reach up
          breath: in        # in | out | N breaths
          cues:             # one per round; the last repeats (round 1 teaches)
            - "Inhale, and if it feels right, sweep your arms up."
            - "Inhale, reach up."

Kept apart from loader.py so the fields of one feature read together. Every refusal is
one ScriptError at the line of the node that causes it, before any speech is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from ..errors import ScriptError, Where
from .model import Cue, Hold
from .yaml_nodes import Ctx, is_null, mapping, sound_name, text_value

FLOW_KEYS = ("flow", "rounds", "sides", "chime", "movements")
MOVEMENT_KEYS = ("name", "breath", "cues")
MAX_ROUNDS = 50
MAX_MOVEMENTS = 60
MAX_MOVEMENT_BREATHS = 10
PAIRS = (("right", "left"), ("left", "right"))

CueParser = Callable[[Ctx, yaml.Node, str, bool], tuple[Cue, ...]]
"""The loader's cue-list reader, given to parse_flow (so flows.py needs no loader)."""


@dataclass(frozen=True)
class Movement:
    """One movement of a flow: it starts with its breath phase and lasts it."""

    name: str
    phase: str
    """"in", "out", or "breaths" (whole breaths, starting on an inhale)."""
    breaths: int
    """How many whole breaths for phase "breaths"; 0 for "in" and "out"."""
    cues: tuple[Cue, ...]
    """One per round; rounds past the last cue repeat the last one."""
    line: int

    def cue_for(self, round_index: int) -> Cue:
        """The cue of round `round_index` (0-based): the first teaches, the last repeats."""
        return self.cues[min(round_index, len(self.cues) - 1)]


@dataclass(frozen=True)
class Flow:
    name: str
    min_rounds: int
    max_rounds: int
    movements: tuple[Movement, ...]
    line: int
    sides: tuple[str, ...] = ()
    """Empty, or a pair: round r is done on sides[r % 2]."""
    chime: str | None = None
    """Sounded once as the flow begins and once as it ends; None for none."""

    @property
    def round_step(self) -> int:
        """Rounds are taken or given up this many at a time (two when sides alternate)."""
        return 2 if self.sides else 1

    def side_of(self, round_index: int) -> str | None:
        return self.sides[round_index % 2] if self.sides else None


def is_flow(node: yaml.Node) -> bool:
    """A `poses:` item that starts a flow (it has a `flow:` key)."""
    return isinstance(node, yaml.MappingNode) and any(
        isinstance(k, yaml.ScalarNode) and k.value == "flow" for k, _ in node.value)


def parse_rounds(ctx: Ctx, node: yaml.Node) -> tuple[int, int]:
    """`rounds: 4` or `rounds: 3..5`."""
    if isinstance(node, yaml.SequenceNode):
        raise ctx.error(node, "'rounds' is one value: write a range as 3..5, not a list")
    if is_null(node):
        raise ctx.error(node, "'rounds' is empty; write 4 or 3..5")
    text = text_value(ctx, node, "rounds").lower()
    parts = [p.strip() for p in text.split("..")]
    if len(parts) > 2 or not all(re.fullmatch(r"\d{1,3}", p) for p in parts):
        raise ctx.error(node, f"'rounds: {text}' is not a number of rounds; write 4 or 3..5")
    lo, hi = int(parts[0]), int(parts[-1])
    if lo < 1:
        raise ctx.error(node, f"'rounds: {text}': a flow needs at least 1 round")
    if hi < lo:
        raise ctx.error(node, f"'rounds: {text}': the range goes from fewer rounds to more")
    if hi > MAX_ROUNDS:
        raise ctx.error(node, f"'rounds: {text}' is more than the limit of {MAX_ROUNDS}")
    return lo, hi


def parse_breath(ctx: Ctx, node: yaml.Node) -> tuple[str, int]:
    """`breath: in`, `breath: out`, `breath: 2 breaths` -> (phase, breaths)."""
    text = text_value(ctx, node, "breath").lower()
    if text in ("in", "out"):
        return text, 0
    found = re.fullmatch(r"(\d{1,2})\s*breaths?", text)
    if found and 1 <= int(found.group(1)) <= MAX_MOVEMENT_BREATHS:
        return "breaths", int(found.group(1))
    raise ctx.error(node, f"'breath: {text}' is not a breath for a movement; write in, out, "
                          f"or a whole number of breaths from 1 to {MAX_MOVEMENT_BREATHS} "
                          "(e.g. 2 breaths)")


def parse_flow(ctx: Ctx, node: yaml.Node, parse_cues: CueParser) -> Flow:
    """A `- flow: NAME` item of `poses:`; parse_cues reads a cue list as the loader does."""
    fields = mapping(ctx, node, FLOW_KEYS, "a flow")
    for required in ("rounds", "movements"):
        if required not in fields:
            raise ctx.error(node, f"flow needs '{required}'")
    name = text_value(ctx, fields["flow"][1], "flow")
    lo, hi = parse_rounds(ctx, fields["rounds"][1])
    sides: tuple[str, ...] = ()
    if "sides" in fields:
        snode = fields["sides"][1]
        got = (tuple(text_value(ctx, s, "sides").lower() for s in snode.value)
               if isinstance(snode, yaml.SequenceNode) else ())
        if got not in PAIRS:
            raise ctx.error(snode, "a flow's 'sides' alternate round by round, so they come "
                                   "as a pair: [right, left] or [left, right]")
        if lo % 2 or hi % 2:
            rnode = fields["rounds"][1]
            raise ctx.error(rnode, f"'rounds: {rnode.value}' with sides {list(got)}: each "
                                   "side needs as many rounds as the other, so write an even "
                                   "number of rounds (e.g. 2..4)")
        sides = got
    chime = sound_name(ctx, fields["chime"][1], "chime") if "chime" in fields else None
    mnode = fields["movements"][1]
    if not isinstance(mnode, yaml.SequenceNode) or not mnode.value:
        raise ctx.error(mnode, "'movements' must be a list of one or more movements "
                               "(- name: ...)")
    if len(mnode.value) > MAX_MOVEMENTS:
        raise ctx.error(mnode, f"a flow can have at most {MAX_MOVEMENTS} movements")
    movements = tuple(_movement(ctx, m, bool(sides), parse_cues) for m in mnode.value)
    return Flow(name, lo, hi, movements, node.start_mark.line + 1, sides, chime)


def _movement(ctx: Ctx, node: yaml.Node, two_sided: bool, parse_cues: CueParser) -> Movement:
    if is_flow(node):
        knode = next(k for k, _ in node.value if k.value == "flow")
        raise ctx.error(knode, "a flow cannot hold another flow; write the inner flow's "
                               "movements here, or put it after this flow in 'poses'")
    if isinstance(node, yaml.MappingNode):
        hold = next((k for k, _ in node.value
                     if isinstance(k, yaml.ScalarNode) and k.value == "hold"), None)
        if hold is not None:
            raise ctx.error(hold, "a movement lasts its breath, not a hold; write "
                                  "'breath: 2 breaths' for a longer movement, or hold the "
                                  "pose after the flow")
    fields = mapping(ctx, node, MOVEMENT_KEYS, "a movement")
    for required in ("name", "breath", "cues"):
        if required not in fields:
            raise ctx.error(node, f"a movement needs '{required}'")
    name = text_value(ctx, fields["name"][1], "name")
    phase, breaths = parse_breath(ctx, fields["breath"][1])
    cues = parse_cues(ctx, fields["cues"][1], "cues", two_sided)
    for cue in cues:
        if any(isinstance(t, Hold) for t in cue.tokens):
            raise ScriptError(f"movement '{name}' has a [hold] marker; a movement lasts its "
                              "breath, so hold the pose after the flow", Where(ctx.path,
                                                                               cue.line))
    return Movement(name, phase, breaths, cues, node.start_mark.line + 1)
