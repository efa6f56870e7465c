"""Flows (#25): the fields of a flow, refused with one line at the right place, and the
plan's arithmetic of movements on breath phases, to the sample.

Bad flows are tables of input -> exact one-line error, like tests/test_loader.py. The
parser is fed the loader's own cue reader, so cue markers and pace read as in any pose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_builder import RATE
from audio_builder.errors import ScriptError
from audio_builder.plan.flow import (
    breath_split,
    check_cue_fits,
    flow_samples,
    give_up_rounds,
    place,
)
from audio_builder.script import loader
from audio_builder.script.flows import Flow, is_flow, parse_flow
from audio_builder.script.model import Text
from audio_builder.script.yaml_nodes import Ctx, compose

BREATH_MS = 6000

SALUTE = """\
title: T
poses:
  - flow: Sun Salutation A
    rounds: 3..5
    movements:
      - name: Reach up
        breath: in
        cues:
          - "Inhale, and if it feels right, sweep your arms up."
          - "Inhale, reach up."
      - name: Fold
        breath: out
        cues: ["Exhale, fold."]
      - name: Plank
        breath: 2 breaths
        cues: ["Step back to plank, or knees down."]
"""


def read_flow(tmp_path: Path, text: str) -> Flow:
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    ctx = Ctx(path, text.split("\n"))
    root = compose(path, text)
    poses = next(v for k, v in root.value if k.value == "poses")
    item = poses.value[0]
    assert is_flow(item)

    def cues(c: Ctx, node, field: str, two: bool):  # type: ignore[no-untyped-def]
        return loader._cues(c, node, field, BREATH_MS, two)

    return parse_flow(ctx, item, cues)


def test_flow_fields(tmp_path: Path) -> None:
    flow = read_flow(tmp_path, SALUTE)
    assert (flow.name, flow.min_rounds, flow.max_rounds, flow.line) == (
        "Sun Salutation A", 3, 5, 3)
    assert [(m.name, m.phase, m.breaths, m.line) for m in flow.movements] == [
        ("Reach up", "in", 0, 6), ("Fold", "out", 0, 11), ("Plank", "breaths", 2, 14)]
    reach = flow.movements[0]
    # the first round teaches; every later round repeats the last cue
    assert reach.cue_for(0).tokens == (Text("Inhale, and if it feels right, sweep your arms up."),)
    assert reach.cue_for(1).tokens == reach.cue_for(4).tokens == (Text("Inhale, reach up."),)
    assert flow.chime is None and flow.sides == () and flow.round_step == 1


HEAD = "title: T\nposes:\n  - flow: F\n"  # lines 1-3; flow keys go on 4
MOVE = "    movements:\n      - name: M\n        breath: in\n        cues: [\"Inhale.\"]\n"

BAD = [
    # rounds that do not parse or are empty
    (HEAD + "    rounds: three\n" + MOVE,
     4, "'rounds: three' is not a number of rounds; write 4 or 3..5"),
    (HEAD + "    rounds: 3..\n" + MOVE,
     4, "'rounds: 3..' is not a number of rounds; write 4 or 3..5"),
    (HEAD + "    rounds: -2\n" + MOVE,
     4, "'rounds: -2' is not a number of rounds; write 4 or 3..5"),
    (HEAD + "    rounds: 0..3\n" + MOVE, 4, "'rounds: 0..3': a flow needs at least 1 round"),
    (HEAD + "    rounds: 5..3\n" + MOVE,
     4, "'rounds: 5..3': the range goes from fewer rounds to more"),
    (HEAD + "    rounds:\n" + MOVE, 4, "'rounds' is empty; write 4 or 3..5"),
    (HEAD + "    rounds: [3, 5]\n" + MOVE,
     4, "'rounds' is one value: write a range as 3..5, not a list"),
    (HEAD + "    rounds: 3\n    movements: []\n",
     5, "'movements' must be a list of one or more movements (- name: ...)"),
    (HEAD + "    rounds: 3\n", 3, "flow needs 'movements'"),
    # a flow inside a flow
    (HEAD + "    rounds: 3\n    movements:\n      - flow: Inner\n        rounds: 2\n",
     6, "a flow cannot hold another flow; write the inner flow's movements here, or put it "
        "after this flow in 'poses'"),
    # a movement with a hold
    (HEAD + "    rounds: 3\n    movements:\n      - name: M\n        breath: in\n"
            "        hold: 30s\n        cues: [\"Inhale.\"]\n",
     8, "a movement lasts its breath, not a hold; write 'breath: 2 breaths' for a longer "
        "movement, or hold the pose after the flow"),
    (HEAD + "    rounds: 3\n    movements:\n      - name: M\n        breath: in\n"
            "        cues:\n          - \"Inhale. [hold]\"\n",
     9, "movement 'M' has a [hold] marker; a movement lasts its breath, so hold the pose "
        "after the flow"),
    (HEAD + "    rounds: 3\n    movements:\n      - name: M\n        breath: sideways\n"
            "        cues: [\"Inhale.\"]\n",
     7, "'breath: sideways' is not a breath for a movement; write in, out, or a whole number "
        "of breaths from 1 to 10 (e.g. 2 breaths)"),
    (HEAD + "    rounds: 3\n    movements:\n      - name: M\n        cues: [\"Inhale.\"]\n",
     6, "a movement needs 'breath'"),
    # sides that do not pair
    (HEAD + "    rounds: 2\n    sides: [right]\n" + MOVE,
     5, "a flow's 'sides' alternate round by round, so they come as a pair: [right, left] "
        "or [left, right]"),
    (HEAD + "    rounds: 2\n    sides: [right, right]\n" + MOVE,
     5, "a flow's 'sides' alternate round by round, so they come as a pair: [right, left] "
        "or [left, right]"),
    (HEAD + "    rounds: 3..5\n    sides: [right, left]\n" + MOVE,
     4, "'rounds: 3..5' with sides ['right', 'left']: each side needs as many rounds as the "
        "other, so write an even number of rounds (e.g. 2..4)"),
    (HEAD + "    rounds: 2\n    hold: 3s\n" + MOVE,
     5, "unknown field 'hold' in a flow; known: flow, rounds, sides, chime, movements"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_bad_flows(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(ScriptError) as caught:
        read_flow(tmp_path, text)
    assert caught.value.one_line() == f"{tmp_path / 'flow.yaml'}:{line}: {message}"


def test_sides_alternate_by_round(tmp_path: Path) -> None:
    flow = read_flow(tmp_path, HEAD + "    rounds: 2..4\n    sides: [left, right]\n" + MOVE)
    assert flow.round_step == 2
    assert [flow.side_of(r) for r in range(4)] == ["left", "right", "left", "right"]
    placed, _ = place(flow, 4, 2500, 3500)
    assert [p.side for p in placed] == ["left", "right", "left", "right"]


def test_movements_start_on_their_phase_to_the_sample(tmp_path: Path) -> None:
    flow = read_flow(tmp_path, SALUTE)
    in_ms, out_ms = breath_split(5800, 2600)  # an odd split: 2.6s in, 3.2s out
    placed, total = place(flow, 5, in_ms, out_ms)
    # one round: in (2.6s), out (3.2s), 2 breaths (11.6s) = 17.4s; five rounds 87s
    assert total == 87 * RATE
    assert len(placed) == 15
    for p in placed:
        breath_at = p.round * 17_400  # ms where this round's first inhale begins
        start_ms = breath_at + {0: 0, 1: 2600, 2: 5800}[p.movement]
        assert p.start == start_ms * RATE // 1000
        assert p.length == {0: 2600, 1: 3200, 2: 11_600}[p.movement] * RATE // 1000
    # the phases tile the flow: each movement begins where the one before ends
    assert all(a.start + a.length == b.start for a, b in zip(placed, placed[1:]))
    assert placed[-1].start + placed[-1].length == total


def test_same_phase_twice_waits_out_the_other(tmp_path: Path) -> None:
    text = SALUTE.replace("breath: out", "breath: in")
    flow = read_flow(tmp_path, text)
    placed, total = place(flow, 1, 3000, 3000)
    # in at 0; the next "in" waits out the exhale (3..6s); the 2 breaths wait out the
    # exhale after it (9..12s), so they run from 12s to 24s
    assert [(p.start, p.length) for p in placed] == [
        (0, 3 * RATE), (6 * RATE, 3 * RATE), (12 * RATE, 12 * RATE)]
    assert total == 24 * RATE


def test_no_drift_over_many_rounds(tmp_path: Path) -> None:
    flow = read_flow(tmp_path, SALUTE.replace("rounds: 3..5", "rounds: 50"))
    placed, total = place(flow, 50, 2333, 3337, rate=RATE)
    last = placed[-1]
    start_ms = 49 * (2333 + 3337 + 2 * 5670) + 2333 + 3337
    assert last.start == (start_ms * RATE + 500) // 1000
    assert total == (50 * (2333 + 3337 + 2 * 5670) * RATE + 500) // 1000


def test_shorter_lengths_take_fewer_rounds_first(tmp_path: Path) -> None:
    salute = read_flow(tmp_path, SALUTE)  # 3..5 rounds of 17.4s at 2.6/3.2
    sides = read_flow(tmp_path, HEAD + "    rounds: 2..6\n    sides: [right, left]\n" + MOVE)
    in_ms, out_ms = 2600, 3200
    one = flow_samples(salute, 1, in_ms, out_ms)
    assert one == round(17.4 * RATE)
    flows = [salute, sides]
    assert give_up_rounds(flows, 0, in_ms, out_ms) == [5, 6]
    # the flow with more rounds to spare gives up first; sides go two rounds at a time
    assert give_up_rounds(flows, 1, in_ms, out_ms) == [5, 4]
    # a sided round is one inhale then a wait through the exhale: two rounds save 11.6s
    pair = flow_samples(sides, 6, in_ms, out_ms) - flow_samples(sides, 4, in_ms, out_ms)
    assert pair == round(11.6 * RATE)
    assert give_up_rounds(flows, pair, in_ms, out_ms) == [5, 4]
    assert give_up_rounds(flows, pair + 1, in_ms, out_ms) == [5, 2]  # a tie: the later flow
    assert give_up_rounds(flows, 2 * pair + 1, in_ms, out_ms) == [4, 2]
    assert give_up_rounds(flows, 2 * pair + one + 1, in_ms, out_ms) == [3, 2]
    assert give_up_rounds(flows, 10 ** 9, in_ms, out_ms) == [3, 2]  # then the holds give


def test_a_cue_longer_than_its_phase_is_one_line(tmp_path: Path) -> None:
    flow = read_flow(tmp_path, SALUTE)
    placed, _ = place(flow, 3, 3000, 3000)
    check_cue_fits(tmp_path / "flow.yaml", flow, placed[0], placed[0].length)  # just fits
    with pytest.raises(ScriptError) as caught:
        check_cue_fits(tmp_path / "flow.yaml", flow, placed[3], round(3.4 * RATE))
    assert caught.value.one_line() == (
        f"{tmp_path / 'flow.yaml'}:10: the cue of 'Reach up' (flow 'Sun Salutation A', "
        "round 2) takes 3.40s to say, but its inhale lasts 3.00s; give the flow a slower "
        "'breath:', shorten the cue, or give this movement 'breath: 2 breaths'")
