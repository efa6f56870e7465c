"""Interval chimes in long holds (#21): `every: 5m` (or `every: 10 breaths`) rings the
pose's chime inside its hold, placed by the plan, never over a word, none near its end."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import write_script

from audio_builder import RATE
from audio_builder.cli import main

SIT = """title: Sit
chime: bowl
intro:
  - "Welcome."
poses:
  - name: Long Sit
    hold: HOLD
    every: EVERY
    cues: ["Rest here, as long as feels right."]
outro:
  - "Thank you."
"""


def plan(tmp_path, hold: str = "3m30s", every: str = "1m", *args: str) -> dict:
    script = write_script(tmp_path, SIT.replace("HOLD", hold).replace("EVERY", every))
    result = CliRunner().invoke(main, ["plan", str(script), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_chime_every_minute_inside_the_hold(tmp_path):
    p = plan(tmp_path)
    (hold,) = p["holds"]
    bells = [e for e in p["events"] if e["kind"] == "chime" and e.get("hold") == 0]
    assert [round((e["start"] - hold["start"]) / RATE, 3) for e in bells] == [60.0, 120.0,
                                                                               180.0]
    assert all(e["sound"] == "bowl" for e in bells)
    end = hold["start"] + hold["length"]
    assert all(e["start"] + e["length"] <= end - 5 * RATE for e in bells)  # none at the end
    words = [e for e in p["events"] if e["kind"] == "speech"]
    for b in bells:  # never over a word
        assert all(w["start"] + w["length"] <= b["start"] or w["start"] >= b["start"] +
                   b["length"] for w in words)
    # the hold keeps its length: the chimes sit inside it
    inside = [e for e in p["events"] if e.get("hold") == 0]
    assert sum(e["length"] for e in inside) == hold["length"] == 210 * RATE


def test_a_shorter_hold_rings_fewer(tmp_path):
    p = plan(tmp_path, "1m..3m30s", "1m", "--length", "2m")
    (hold,) = p["holds"]
    bells = [e for e in p["events"] if e["kind"] == "chime" and e.get("hold") == 0]
    assert len(bells) == max(0, int((hold["length"] / RATE - 5 - 3) // 60))


def test_every_in_breaths(tmp_path):
    text = SIT.replace("HOLD", "20..30 breaths").replace("EVERY", "10 breaths")
    script = write_script(tmp_path, "breath: 4s\n" + text)
    p = json.loads(CliRunner().invoke(main, ["plan", str(script), "--json"]).output)
    bells = [e for e in p["events"] if e["kind"] == "chime" and e.get("hold") == 0]
    (hold,) = p["holds"]
    assert [round((e["start"] - hold["start"]) / RATE) for e in bells] == [40, 80]


@pytest.mark.parametrize(("hold", "every", "message"), [
    ("3m", "5s", "'every: 5s' is too often"),
    ("3m", "often", "'every: often'"),
])
def test_bad_every_is_one_line(tmp_path, hold, every, message):
    script = write_script(tmp_path, SIT.replace("HOLD", hold).replace("EVERY", every))
    result = CliRunner().invoke(main, ["check", str(script)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:8: {message}"), result.output


def test_every_needs_a_hold_and_a_chime(tmp_path):
    no_hold = SIT.replace("    hold: HOLD\n", "").replace("EVERY", "1m")
    script = write_script(tmp_path, no_hold)
    result = CliRunner().invoke(main, ["check", str(script)])
    assert result.output.startswith(f"error: {script}:7: 'every' rings a chime inside the "
                                    "pose's hold; this pose has no 'hold'"), result.output
    silent = SIT.replace("chime: bowl", "chime: none").replace("HOLD", "3m").replace(
        "EVERY", "1m")
    script = write_script(tmp_path, silent, "silent.yaml")
    result = CliRunner().invoke(main, ["check", str(script)])
    assert "'every' rings the pose's chime, and this pose has none" in result.output
