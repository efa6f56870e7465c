"""The planner with numbers: synthetic speech durations, exact sample arithmetic."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from audio_builder import RATE
from audio_builder.errors import LengthError
from audio_builder.plan import length_bounds, make_plan, plan_dict, reachable, texts_to_speak
from audio_builder.script.loader import load_script

S = RATE  # one second in samples


@pytest.fixture
def script(tiny):
    """tiny.yaml without a pace: the numbers here are of cues spoken whole (the pace's
    sentences and rests are tested in test_pace.py)."""
    return replace(load_script(tiny), pace_wpm=None)


@pytest.fixture
def durations(script):
    """Every text lasts 1 s, the bell 2 s."""
    return {t: S for t in texts_to_speak(script)}, {"bell": 2 * S}


def test_texts_fill_in_sides(script):
    assert texts_to_speak(script) == [
        "Welcome.", "Rest here.", "Lie down softly.", "Hug your right knee.", "Change sides.",
        "Hug your left knee.", "Thank you.",
    ]


def test_full_plan_in_numbers(script, durations):
    plan = make_plan(script, *durations)
    # Welcome: chime 2 + speech 1 + pause 0.5 + speech 1 + gap 1.2 before the next chime
    # Lying Rest: chime 2 + speech 1 + hold 6
    # Knee Hug: chime 2 + (speech 1 + hold 4) + switch 1 + gap 1.2 + (speech 1 + hold 4)
    # Closing: speech 1 + gap 1.2 + closing chime 2
    assert plan.total == round(33.1 * S)
    assert [(c.title, c.start, c.end) for c in plan.chapters] == [
        ("Welcome", 0, round(5.7 * S)),
        ("Lying Rest", round(5.7 * S), round(14.7 * S)),
        ("Knee Hug", round(14.7 * S), round(28.9 * S)),
        ("Closing", round(28.9 * S), round(33.1 * S)),
    ]
    kinds = [(e.kind, e.length / S) for e in plan.events]
    assert kinds[:6] == [("chime", 2), ("speech", 1), ("silence", 0.5), ("speech", 1),
                         ("gap", 1.2), ("chime", 2)]
    assert [(h.pose, h.side, h.length) for h in plan.holds] == [
        ("Lying Rest", None, 6 * S), ("Knee Hug", 0, 4 * S), ("Knee Hug", 1, 4 * S)]
    for n, h in enumerate(plan.holds):  # a hold's events carry its index and tile it
        mine = [e for e in plan.events if e.hold == n]
        assert mine[0].start == h.start and sum(e.length for e in mine) == h.length
    assert plan.dropped == ()


def test_events_tile_the_timeline(script, durations):
    plan = make_plan(script, *durations)
    t = 0
    for e in plan.events:
        assert e.start == t and e.length > 0
        t += e.length
    assert t == plan.total


def test_fit_shrinks_holds_evenly(script, durations):
    plan = make_plan(script, *durations, target=30 * S, length_name="30s")
    assert plan.total == 30 * S
    # 3.1 s to give from 7 s of room (3 s in Lying Rest, 2 s x 2 sides in Knee Hug):
    # every pose gives the same fraction of its room.
    lying, knee_right, knee_left = (h.length for h in plan.holds)
    assert lying == pytest.approx(6 * S - 3 * S * 3.1 / 7, abs=1)
    assert knee_right == knee_left == pytest.approx(4 * S - 2 * S * 3.1 / 7, abs=1)


def test_fit_leaves_out_optional_pose(script, durations):
    plan = make_plan(script, *durations, target=17 * S, length_name="17s")
    assert plan.total == 17 * S
    assert plan.dropped == ("Knee Hug",)
    assert [c.title for c in plan.chapters] == ["Welcome", "Lying Rest", "Closing"]


def test_reachable_ranges_and_error(script, durations):
    assert [(r.shortest / S, r.longest / S) for r in reachable(script, *durations)] == [
        (pytest.approx(15.9), pytest.approx(18.9)), (pytest.approx(26.1), pytest.approx(33.1))]
    b = length_bounds(script, *durations)
    assert (b.shortest, b.longest) == (round(15.9 * S), round(33.1 * S))
    with pytest.raises(LengthError) as err:
        make_plan(script, *durations, target=20 * S)
    assert err.value.message == ("this script cannot last 20s: with this voice it can last "
                                 "between 15.9s and 18.9s or between 26.1s and 33.1s")
    with pytest.raises(LengthError, match="cannot last 1m00s"):
        make_plan(script, *durations, target=60 * S)


def test_json_has_the_spec_shape(script, durations):
    d = json.loads(make_plan(script, *durations).to_json())
    assert set(d) == {"title", "length_s", "rate", "total", "chapters", "events", "holds",
                      "dropped"}
    assert d["length_s"] == 33.1 and d["total"] == round(33.1 * S) and d["rate"] == S
    assert d["chapters"][0] == {"title": "Welcome", "start_s": 0.0, "end_s": 5.7,
                                "start": 0, "end": round(5.7 * S), "section": 0}
    assert d["events"][1] == {"kind": "speech", "start_s": 2.0, "duration_s": 1.0,
                              "start": 2 * S, "length": S, "section": 0, "text": "Welcome."}
    assert {e["kind"] for e in d["events"]} == {"speech", "silence", "gap", "hold", "chime"}
    assert d["holds"][1] == {"pose": "Knee Hug", "section": 2, "side": 0,
                             "start_s": d["holds"][1]["start_s"], "duration_s": 4.0,
                             "start": d["holds"][1]["start"], "length": 4 * S, "breaths": 4.0}
    for e in d["events"]:  # samples are exact; seconds are those samples, rounded
        assert e["start_s"] == round(e["start"] / S, 3)
    assert plan_dict(make_plan(script, *durations)) == d
