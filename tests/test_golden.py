"""Golden plans: `plan --json` of the shipped scripts at full, short and 20m.

The real voice measures the speech (cached for the whole run), so a change in wording,
timing rules or fitting shows up here as a readable JSON diff. After an intended change:
    .venv/bin/python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import ROOT

from audio_builder.cli import main

GOLDEN = ROOT / "tests" / "golden"
CASES = [(script, length) for script in ("deep-psoas-release", "evening-wind-down")
         for length in ("full", "short", "20m")]
CASES += [("morning-flow", length) for length in ("full", "short", "12m")]


def _plan(script: str, length: str) -> CliRunner:
    return CliRunner().invoke(main, ["plan", str(ROOT / "scripts" / f"{script}.yaml"),
                                     "--length", length, "--json"])


@pytest.mark.parametrize(("script", "length"), CASES)
def test_golden_plan(script, length, request):
    result = _plan(script, length)
    golden = GOLDEN / f"{script}-{length}.json"
    if request.config.getoption("--update-golden"):
        golden.write_text(result.output.replace(str(ROOT) + "/", ""), encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if expected.startswith("error:"):
        assert result.exit_code == 1
        assert result.output.replace(str(ROOT) + "/", "") == expected
        return
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(expected)


def test_ten_minutes_keeps_what_matters():
    plan = json.loads(_plan("deep-psoas-release", "10m").output)
    titles = [c["title"] for c in plan["chapters"]]
    assert plan["length_s"] == 600.0
    assert titles[0] == "Welcome" and titles[-1] == "Closing"
    for required in ("Constructive Rest", "Low Lunge", "Child's Pose"):
        assert required in titles
    assert "Supported Bridge" in plan["dropped"]
