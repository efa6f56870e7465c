"""Flows (#25): the fields of a flow, refused with one line at the right place, and the
plan's arithmetic of movements on breath phases, to the sample.

Bad flows are tables of input -> exact one-line error, like tests/test_loader.py. The
parser is fed the loader's own cue reader, so cue markers and pace read as in any pose.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_builder import RATE
from audio_builder.errors import ScriptError
from audio_builder.plan.flow import (
    breath_split,
    check_cue_fits,
    flow_samples,
    place,
    round_steps,
)
from audio_builder.script import loader
from audio_builder.script.flows import Flow, is_flow, parse_flow
from audio_builder.script.model import Text
from audio_builder.script.yaml_nodes import Ctx, compose
from audio_builder.sound.clips import KEEP_MS

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
    # the flow with more rounds to spare gives up first (a tie: the later flow); sides
    # go two rounds at a time
    assert round_steps(flows) == [[5, 6], [5, 4], [5, 2], [4, 2], [3, 2]]
    # a sided round is one inhale then a wait through the exhale: two rounds save 11.6s
    pair = flow_samples(sides, 6, in_ms, out_ms) - flow_samples(sides, 4, in_ms, out_ms)
    assert pair == round(11.6 * RATE)


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


# -- wired in: the loader, the plan, the render --------------------------------------------
FLOW_SCRIPT = """\
title: Flow
breath: {in: 3s, out: 4s}
chime: bell
intro:
  - "Welcome."
poses:
  - name: Seat
    hold: 20s..60s
    cues: ["Find a comfortable seat."]
  - flow: Salute
    rounds: 2..4
    chime: bowl
    movements:
      - name: Reach
        breath: in
        cues: ["Inhale, arms up.", "Inhale, reach."]
      - name: Fold
        breath: out
        cues: ["Exhale, fold."]
      - name: Stay
        breath: 1 breath
        cues: ["Stay for a breath."]
outro:
  - "Thank you."
"""
ROUND_MS = 3000 + 4000 + 7000


def flow_plan(tmp_path: Path, text: str = FLOW_SCRIPT, target: int | None = None,
              each: int = RATE):
    """The plan with every text spoken in `each` samples (pure: no voice needed)."""
    from audio_builder.plan import make_plan, texts_to_speak

    path = tmp_path / "flow.yaml"
    path.write_text(text)
    script = loader.load_script(path)
    speech = {t: each for t in texts_to_speak(script)}
    return make_plan(script, speech, {"bell": RATE, "bowl": RATE}, target), script


def test_a_flow_is_one_chapter_with_its_movements_on_the_breath(tmp_path: Path) -> None:
    plan, _ = flow_plan(tmp_path)
    chapter = next(c for c in plan.chapters if c.title == "Salute")
    inside = [e for e in plan.events if e.section == chapter.section]
    assert inside[0].kind == "chime" and inside[-1].kind == "chime"  # asked: start and end
    begin = inside[1].start  # the first inhale begins after the opening chime
    said = [e for e in inside if e.kind == "speech"]
    assert [(e.round, e.movement) for e in said] == [
        (r, m) for r in range(4) for m in ("Reach", "Fold", "Stay")]
    for e in said:
        phase_ms = e.round * ROUND_MS + {"Reach": 0, "Fold": 3000, "Stay": 7000}[e.movement]
        assert e.start == begin + phase_ms * RATE // 1000  # to the sample
        assert e.rounds == 4
    assert [e.text for e in said[:4]] == ["Inhale, arms up.", "Exhale, fold.",
                                          "Stay for a breath.", "Inhale, reach."]
    assert not any(e.kind == "chime" for e in inside[1:-1])  # no chime between movements
    # the movements tile the flow exactly: four rounds of 14 s
    assert inside[-1].start - begin == 4 * ROUND_MS * RATE // 1000
    data = json.loads(plan.to_json())
    marked = [e for e in data["events"] if e.get("movement")]
    assert marked[0]["round"] == 1 and marked[-1]["round"] == 4 and marked[0]["rounds"] == 4


def test_a_shorter_length_gives_up_rounds_before_anything_else(tmp_path: Path) -> None:
    full, _ = flow_plan(tmp_path)
    one_round = ROUND_MS * RATE // 1000

    def fitted(target: int) -> tuple[int, float, int]:
        plan, _ = flow_plan(tmp_path, target=target)
        rounds = next(e.rounds for e in plan.events if e.rounds)
        hold = next(h.length for h in plan.holds)
        rests = sum(e.length for e in plan.events if e.kind == "rest")
        assert plan.total == target
        return rounds, hold / RATE, rests

    full_rests = sum(e.length for e in full.events if e.kind == "rest")
    # one round less, exactly: holds and rests untouched
    assert fitted(full.total - one_round) == (3, 60.0, full_rests)
    # a second more: a round cannot go in part, and two would leave the session short
    # with every hold at its longest, so one goes and the rests give the second
    rounds, hold, rests = fitted(full.total - one_round - RATE)
    assert (rounds, hold) == (3, 60.0) and abs(rests - (full_rests - RATE)) < RATE // 1000
    # two rounds less, exactly: the least; holds and rests untouched again
    assert fitted(full.total - 2 * one_round) == (2, 60.0, full_rests)
    # past the least rounds: the rests, then the hold shrinks
    rounds, hold, rests = fitted(full.total - 2 * one_round - 30 * RATE)
    assert rounds == 2 and hold < 60.0 and rests < full_rests


def test_the_plan_table_shows_the_rounds(tmp_path: Path) -> None:
    from audio_builder.plan.table import plan_table

    plan, _ = flow_plan(tmp_path, target=None)
    row = next(r for r in plan_table(plan).splitlines() if r.endswith("Salute"))
    assert " 4 rounds " in row


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ('cues: ["Exhale, fold."]', 'cues: ["Exhale, fold. [pause 2s]"]', 19,
     "movement 'Fold': a movement's cue is said on its breath, so it cannot hold a pause"),
    ('cues: ["Exhale, fold."]', 'cues: ["Exhale, fold. [chime]"]', 19,
     "movement 'Fold': a movement's cue is said on its breath, so it cannot hold a chime"),
    ("rounds: 2..4", "rounds:", 11, "'rounds' is empty"),
    ("rounds: 2..4", "rounds: many", 11, "'rounds: many' is not a number of rounds"),
    ("        breath: out\n", "        breath: out\n        hold: 4s\n", 19,
     "a movement lasts its breath, not a hold"),
    ("    chime: bowl\n", "    chime: bowl\n    sides: [right]\n", 13,
     "a flow's 'sides' alternate round by round"),
])
def test_bad_flows_are_one_line_before_any_speech(tmp_path: Path, old, new, line, message):
    from click.testing import CliRunner

    from audio_builder.cli import main

    path = tmp_path / "flow.yaml"
    path.write_text(FLOW_SCRIPT.replace(old, new, 1))
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    (only,) = result.output.splitlines()
    assert only.startswith(f"error: {path}:{line}: {message}"), only


def test_a_cue_longer_than_its_breath_fails_render_at_its_line(tmp_path: Path) -> None:
    text = FLOW_SCRIPT.replace('"Exhale, fold."', '"Exhale, and if it feels right, fold '
                               'forward slowly, softening your knees and your neck."')
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    result = subprocess.run([sys.executable, "-m", "audio_builder", "render", str(path),
                             "-o", str(tmp_path / "out.mp3")], capture_output=True, text=True)
    assert result.returncode == 1
    assert re.fullmatch(rf"error: {re.escape(str(path))}:19: the cue of 'Fold' \(flow "
                        r"'Salute', round 1\) takes \d\.\d\ds to say, but its exhale lasts "
                        r"4\.00s; give the flow a slower 'breath:', shorten the cue, or give "
                        r"this movement 'breath: 2 breaths'\n", result.stderr), result.stderr
    assert not (tmp_path / "out.mp3").exists()
    check = subprocess.run([sys.executable, "-m", "audio_builder", "check", str(path)],
                           capture_output=True, text=True)  # its speech is cached now
    assert check.returncode == 1 and ":19: the cue of 'Fold'" in check.stderr


def test_in_the_decoded_render_each_cue_begins_on_its_breath(tmp_path: Path) -> None:
    from audio_builder.ffmpeg import decode_file

    path = tmp_path / "flow.yaml"
    path.write_text(FLOW_SCRIPT.replace("rounds: 2..4", "rounds: 2"))
    out = tmp_path / "flow.mp3"
    subprocess.run([sys.executable, "-m", "audio_builder", "render", str(path), "-o",
                    str(out)], check=True, capture_output=True)
    plan = json.loads(subprocess.run([sys.executable, "-m", "audio_builder", "plan",
                                      str(path), "--json"], check=True, capture_output=True,
                                     text=True).stdout)
    audio = decode_file(out, RATE)
    assert len(audio) == plan["total"]
    said = [e for e in plan["events"] if e["kind"] == "speech" and e.get("movement")]
    assert len(said) == 6
    air = KEEP_MS[0] * RATE // 1000  # a clip keeps 15 ms of air before its first sound
    for e in said:
        window = np.abs(audio[e["start"] - RATE // 10: e["start"] + RATE // 10])
        onset = int(np.argmax(window > 0.002)) - RATE // 10  # first sample above -54 dBFS
        # silent until the phase begins (3 ms for the codec), heard within its clip's air
        assert -3 * RATE // 1000 <= onset <= air + 3 * RATE // 1000, (e["text"], onset / RATE)


def test_the_practice_page_shows_the_movement_and_the_round(tmp_path: Path, browser,
                                                             speech_cache: Path) -> None:
    from browser import until

    from audio_builder.publish.server import serving
    from audio_builder.publish.site import publish
    from audio_builder.speech.cache import Cache

    path = tmp_path / "flow.yaml"
    path.write_text(FLOW_SCRIPT.replace("rounds: 2..4", "rounds: 2"))
    site = tmp_path / "site"
    publish([path], site, Cache(speech_cache))
    data = json.loads((site / "flow" / "full.json").read_text())
    fold = next(e for e in data["events"] if e.get("movement") == "Fold" and e["round"] == 2
                and e["kind"] == "speech")
    chapter = next(c for c in data["chapters"] if c["title"] == "Salute")
    assert sum(1 for c in data["chapters"] if c["title"] == "Salute") == 1
    with serving(site) as base:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(base + "flow/full.html")
        until(page, "document.getElementById('audio').readyState >= 1")
        page.evaluate(f"document.getElementById('audio').currentTime = {fold['start_s'] + 0.5}")
        until(page, "document.getElementById('now-hold').textContent === "
                    "'Fold · round 2 of 2'")
        assert page.inner_text("#now-pose") == "Salute"
        assert page.inner_text("#now-cues") == "Exhale, fold."
        reach = next(e for e in data["events"] if e.get("movement") == "Reach")
        before = {e["kind"] for e in data["events"]
                  if chapter["start_s"] <= e["start_s"] < reach["start_s"]}
        assert before == {"chime"}  # the flow's opening chime, then its first inhale
        page.evaluate(f"document.getElementById('audio').currentTime = {reach['start_s'] + 2}")
        until(page, "document.getElementById('now-hold').textContent === "
                    "'Reach · round 1 of 2'")
        assert page.inner_text("#now-cues") == "Inhale, arms up."
        context.close()
