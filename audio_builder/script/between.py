"""The script fields for what sounds between the words: the sound bed (`ambience`), the
breath's pace and split (`breath`), and the breath guide (`breath_guide`).

Kept apart from loader.py so the fields of one feature read together; the loader calls
these with the nodes it has.
"""

from __future__ import annotations

import yaml

from .model import Ambience
from .yaml_nodes import Ctx, duration, mapping, number, sound_name

AMBIENCE_KEYS = ("sound", "level", "duck")
BREATH_KEYS = ("in", "out")
LEVEL_RANGE = (-40.0, -12.0)
"""The bed's level in LU relative to the voice: from a trace (-40) to rain chosen to be
heard (-12, still 12 LU under the words and ducked further while they are said). The
voice sets the file's level, so a loud bed no longer pulls the voice down."""
DUCK_RANGE = (0.0, 30.0)
MAX_BREATH_MS = 60_000


def ambience(ctx: Ctx, node: yaml.Node) -> Ambience | None:
    """`ambience: rain`, `ambience: none`, or `{sound: rain, level: -16, duck: 8}`."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        fields = mapping(ctx, node, AMBIENCE_KEYS, "'ambience'")
        if "sound" not in fields:
            raise ctx.error(node, "'ambience' needs 'sound' (the name of the bed, e.g. rain)")
        name = _bed_name(ctx, fields["sound"][1])
        if name is None:
            return None
        bed = Ambience(name, line=fields["sound"][1].start_mark.line + 1)
        if "level" in fields:
            bed = Ambience(bed.sound, number(ctx, fields["level"][1], "level", *LEVEL_RANGE),
                           bed.duck_db, bed.line)
        if "duck" in fields:
            bed = Ambience(bed.sound, bed.level_lu,
                           number(ctx, fields["duck"][1], "duck", *DUCK_RANGE), bed.line)
        return bed
    name = _bed_name(ctx, node)
    return None if name is None else Ambience(name, line=line)


def _bed_name(ctx: Ctx, node: yaml.Node) -> str | None:
    return sound_name(ctx, node, "ambience")


def breath(ctx: Ctx, node: yaml.Node) -> tuple[int, int | None]:
    """`breath: 5s` -> (5000, None); `breath: {in: 2s, out: 3s}` -> (5000, 2000)."""
    if not isinstance(node, yaml.MappingNode):
        return duration(ctx, node, "breath", MAX_BREATH_MS), None
    fields = mapping(ctx, node, BREATH_KEYS, "'breath'")
    missing = [k for k in BREATH_KEYS if k not in fields]
    if missing:
        raise ctx.error(node, f"'breath' split into in and out needs both; '{missing[0]}' is "
                              "missing (e.g. breath: {in: 2s, out: 3s})")
    inhale = duration(ctx, fields["in"][1], "breath: in", MAX_BREATH_MS)
    exhale = duration(ctx, fields["out"][1], "breath: out", MAX_BREATH_MS)
    if inhale + exhale > MAX_BREATH_MS:
        raise ctx.error(node, f"'breath': in and out add up to {(inhale + exhale) / 1000:g}s; "
                              "one breath can last at most 1m")
    return inhale + exhale, inhale
