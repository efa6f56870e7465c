"""pronounce: and the tone check: what the engine reads, what check warns about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHIPPED, write_script

from audio_builder.cli import main
from audio_builder.script.model import Pronunciation
from audio_builder.script.speech_fields import say

HEAD = "title: T\nposes:\n  - name: Rest\n    cues:\n      - \"{cue}\"\n"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def entries(**pairs: str) -> tuple[Pronunciation, ...]:
    out = []
    for n, (written, said) in enumerate(pairs.items()):
        ipa = said.startswith("/")
        out.append(Pronunciation(written.replace("_", " "), said.strip("/"), ipa, n + 1))
    return tuple(out)


SAY = [
    ("Rest in Savasana.", dict(Savasana="shah-VAH-sah-nah"), False, "Rest in shah-VAH-sah-nah."),
    ("rest in SAVASANA now", dict(Savasana="shah-VAH-sah-nah"), False,
     "rest in shah-VAH-sah-nah now"),
    ("Savasanas and Savasana", dict(Savasana="X"), False, "Savasanas and X"),
    ("Baddha Konasana, then Konasana", dict(Konasana="koh-NAH", Baddha_Konasana="BUD-ah koh"),
     False, "BUD-ah koh, then koh-NAH"),
    ("Baddha\n  Konasana", dict(Baddha_Konasana="BUD-ah koh"), False, "BUD-ah koh"),
    ("Rest in Savasana.", dict(Savasana="/ʃəˈvɑːsənə/"), True, "Rest in [[ ʃəˈvɑːsənə ]]."),
    ("psoas", dict(psoas="SO-az"), True, "SO-az"),
    ("no match here", dict(psoas="SO-az"), True, "no match here"),
]


@pytest.mark.parametrize(("text", "pairs", "phonemes", "spoken"), SAY)
def test_say_whole_words_any_case_longest_first(text, pairs, phonemes, spoken):
    assert say(text, entries(**pairs), phonemes) == spoken


BAD = [
    ('pronounce:\n  Savasana: ""\n', 7, "'pronounce: Savasana' is empty"),
    ("pronounce:\n  Savasana: '[pause 1s]'\n", 7, "has a marker character"),
    ("pronounce:\n  '{side}': left\n", 7, "has a marker character"),
    ("pronounce:\n  Savasana: " + "a" * 121 + "\n", 7, "longer than 120 characters"),
    ("pronounce:\n  " + "a" * 61 + ": b\n", 7, "longer than 60 characters"),
    ("pronounce:\n  Savasana: /ʃəˈvɑːsənə\n", 7, "write IPA between two slashes"),
    ("pronounce:\n  Savasana: a\n  savasana: b\n", 8, "is given twice (also on line 7)"),
    ("pronounce:\n  '...': b\n", 7, "has no word in it"),
    ("pronounce: [Savasana]\n", 6, "'pronounce' must be a mapping"),
    ("tone:\n  deny: [must]\n", 7, "unknown field 'deny' in 'tone'"),
]


@pytest.mark.parametrize(("extra", "line", "message"), BAD)
def test_check_refuses_bad_entries_with_their_line(tmp_path, extra, line, message):
    script = write_script(tmp_path, HEAD.format(cue="Rest here.") + extra)
    result = run("check", script)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:{line}: ")
    assert message in result.output
    assert "Traceback" not in result.output


def test_ipa_is_refused_for_an_engine_that_cannot_read_it(tmp_path):
    script = write_script(tmp_path, HEAD.format(cue="Rest in Savasana.")
                          + "pronounce:\n  Savasana: /ʃəˈvɑːsənə/\n")
    result = run("check", script, "--engine", "gtts")
    assert result.exit_code == 1
    assert f"error: {script}:7: pronounce: Savasana: the gtts engine cannot read IPA" \
        in result.output


def test_piper_says_the_respelling_and_the_plan_keeps_the_written_words(tmp_path):
    """The same cue with and without pronunciations: the plan shows the written words, and
    the real voice speaks something else (its length changes)."""
    cue = "Rest in Savasana, then Baddha Konasana."
    plain = write_script(tmp_path, HEAD.format(cue=cue), "plain.yaml")
    said = write_script(tmp_path, HEAD.format(cue=cue) + (
        "pronounce:\n  Savasana: shah-VAH-sah-nah\n  Baddha Konasana: /bˈɑːdə koʊnˈɑːsənə/\n"),
        "said.yaml")
    plans = []
    for script in (plain, said):
        result = run("plan", script, "--json")
        assert result.exit_code == 0, result.output
        plans.append(json.loads(result.output))
    speech = [[e for e in p["events"] if e["kind"] == "speech"] for p in plans]
    assert speech[0][0]["text"] == speech[1][0]["text"] == cue
    assert speech[0][0]["duration_s"] != speech[1][0]["duration_s"]


TONE = [
    ("You must keep your back flat.", ["'must'"]),
    ("Push your hips down and don't stop.", ["'don't'", "'push'"]),
    ("You should feel no pain.", ["'should'", "'no pain'"]),
    ("You don't have to do anything.", []),
    ("There's nothing you need to do; stay if you like.", []),
    ("Don’t worry if your mind wanders.", []),
    ("Make sure it is correct.", ["'make sure'", "'correct'"]),
]


@pytest.mark.parametrize(("cue", "words"), TONE)
def test_check_warns_where_a_cue_commands(tmp_path, cue, words):
    script = write_script(tmp_path, HEAD.format(cue=cue))
    result = run("check", script)
    assert result.exit_code == 0
    warnings = [ln for ln in result.output.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == len(words)
    for warning in warnings:
        assert warning.startswith(f"warning: {script}:5: ")
        assert "consider" in warning
    said = [w.split(": ", 2)[2].split(" commands")[0] for w in warnings]
    assert sorted(said) == sorted(words)
    strict = run("check", script, "--strict")
    assert strict.exit_code == (1 if words else 0)


def test_tone_allow_silences_what_the_script_means(tmp_path):
    script = write_script(tmp_path, HEAD.format(cue="You must rest. Never push.")
                          + "tone:\n  allow: [must, Push]\n")
    result = run("check", script, "--strict")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_the_shipped_scripts_invite():
    scripts = SHIPPED
    result = run("check", "--strict", *scripts)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_the_word_list_is_data_a_teacher_can_read():
    import yaml

    from audio_builder.script.speech_fields import TONE_FILE

    rules = yaml.safe_load(Path(TONE_FILE).read_text(encoding="utf-8"))
    assert {"must", "have to", "should", "don't", "push", "force", "no pain"} <= {
        r["say"] for r in rules}
    assert all(r["instead"] for r in rules)


def test_render_gives_the_same_tone_warnings_and_renders(tmp_path):
    script = write_script(tmp_path, HEAD.format(cue="You must keep your back flat."))
    result = run("render", script, "-o", tmp_path / "out.mp3")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.mp3").is_file()
    warnings = [ln for ln in result.output.splitlines() if ln.startswith("warning:")]
    assert warnings == [ln for ln in run("check", script).output.splitlines()
                        if ln.startswith("warning:")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {script}:5: 'must'")
