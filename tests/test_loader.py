"""Table tests of loader.load_script: bad scripts beside the exact one-line message.

Each bad script is a small YAML text written to a temporary file; its expected message
is (LINE, TEXT), compared as "FILE:LINE: TEXT" against ScriptError.one_line(), the line
the CLI prints after "error: ". Scripts are written by hand by people who are not
programmers, and sometimes by someone hostile: no input may crash the loader with
anything but a ScriptError.

Cases marked xfail(strict=True) describe what SHOULD happen where the loader today gives
a wrong line, a misleading message or a traceback; their wording is a proposal, to be
updated with the final wording when the loader is fixed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import SHIPPED

from audio_builder.errors import ScriptError
from audio_builder.script.loader import load_script
from audio_builder.script.model import Chime, Cue, HoldRange, Pause, Script, Text, VoiceSpec

ROOT = Path(__file__).resolve().parent.parent

T = "title: T\n"  # line 1
POSE = 'poses:\n  - name: Rest\n    cues:\n      - "Rest."\n'  # lines 2-5; a pose key goes on 6
NOT_DURATION = "is not a duration (write e.g. 500ms, 3s, 1.5s, 2m, 1m30s)"
EMPTY = "the file is empty; a pose script needs at least 'title' and 'poses'"
NOT_MAPPING = ("a pose script is a mapping of fields (title:, poses:, ...), "
               "not a list or a single value")
SEVERAL = "the file holds several YAML documents ('---'); keep one script per file"
ANCHORS = "YAML anchors (&name) are not allowed in pose scripts"
NOT_UTF8 = "the file is not UTF-8 text; save it as UTF-8 in your editor"
TAB = "a tab character; indent with spaces"
CONTROL = ("a control character (U+{:04X}) that cannot be spoken, perhaps pasted from a "
           "word processor; delete it")
COLON_CUE = ("a cue in 'cues' was read as 'name: value' because of a ': ' in it; put the "
             "whole cue in \"double quotes\"")
NO_SOUND_PATH = ("is not a sound name; a sound is named (letters, digits, '-' or '_'), "
                 "never given as a path")


def write(folder: Path, text: str | bytes, name: str = "script.yaml") -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(folder: Path, text: str | bytes) -> Script:
    """Write the text as a script and load it."""
    return load_script(write(folder, text))


def error_line(folder: Path, text: str | bytes) -> str:
    """The one line a user sees for this script (it must be a ScriptError)."""
    path = write(folder, text)
    with pytest.raises(ScriptError) as err:
        load_script(path)
    return err.value.one_line()


def expected(folder: Path, line: int | None, message: str) -> str:
    where = f"{folder / 'script.yaml'}:{line}" if line else f"{folder / 'script.yaml'}"
    return f"{where}: {message}"


def _cue_pose(*cues: str, extra: str = "") -> str:
    """T + a pose named Rest whose cues are on lines 5, 6, ... ; extra keys follow."""
    return T + "poses:\n  - name: Rest\n    cues:\n" + "".join(
        f"      - {c}\n" for c in cues) + extra


def _many_poses(n: int) -> str:
    return T + "poses:\n" + "".join(f"  - name: Pose {i}\n    cues: [Rest.]\n" for i in range(n))


def _over_a_megabyte() -> str:
    text = T + POSE + "# "
    return text + "x" * (1_000_001 - len(text) - 1) + "\n"  # 1,000,001 bytes


# (id, script text, line, exact message)
BAD_SCRIPTS = [
    # --- the file as a whole
    ("empty file", "", 1, EMPTY),
    ("only whitespace", "  \n\n   \n", 1, EMPTY),
    ("only a comment", "# my yoga script\n", 1, EMPTY),
    ("list at top level", "- title: T\n- poses: []\n", 1, NOT_MAPPING),
    ("scalar at top level", "Deep Psoas Release\n", 1, NOT_MAPPING),
    ("several documents", T + POSE + "---\n" + T + POSE, 6, SEVERAL),
    ("non-UTF-8 latin-1", ("title: Caf\u00e9\n" + POSE).encode("latin-1"), 1, NOT_UTF8),
    ("non-UTF-8 on a later line",
     (T + POSE + "description: D\u00e9tente\n").encode("latin-1"), 6, NOT_UTF8),
    ("UTF-16", (T + POSE).encode("utf-16"), 1, NOT_UTF8),
    ("file over 1 MB", _over_a_megabyte(), None,
     "the file is 1,000,001 bytes; a pose script can be at most 1,000,000"),
    # --- YAML features refused
    ("anchor", "title: &t T\n" + POSE, 1, ANCHORS),
    ("billion laughs", T + 'a: &a ["lol", "lol", "lol"]\nb: &b [*a, *a, *a]\n'
     "c: &c [*b, *b, *b]\nd: [*c, *c, *c]\n" + POSE, 2, ANCHORS),
    ("alias", "title: *t\n" + POSE, 1,
     "YAML aliases (*name) are not allowed in pose scripts; write the value out"),
    ("python object tag", "title: !!python/object/apply:os.system ['echo hacked']\n" + POSE, 1,
     "YAML tags (!!python/object/apply:os.system) are not allowed in pose scripts"),
    ("custom tag", "title: !yoga T\n" + POSE, 1,
     "YAML tags (!yoga) are not allowed in pose scripts"),
    ("str tag as typed", "title: !!str 2024\n" + POSE, 1,
     "YAML tags (!!str) are not allowed in pose scripts"),
    # --- YAML syntax
    ("tab indentation", T + "poses:\n\t- name: Rest\n\t  cues: [Rest.]\n", 3, TAB),
    ("tab before a cue", T + "poses:\n  - name: Rest\n    cues:\n\t- Rest.\n", 5, TAB),
    ("unclosed quote", T + 'poses:\n  - name: "Rest\n    cues: [Rest.]\n', 3,
     "a quoted text is never closed: add its closing quote"),
    ("apostrophe in single quotes", _cue_pose("'It's a gentle stretch.'"), 5,
     ("this line does not fit the lines around it: check its indentation, or an apostrophe "
     "inside 'single quotes' (use \"double quotes\" around such a cue)")),
    ("raw NUL byte", _cue_pose('"Rest\x00 here."'), 5, CONTROL.format(0)),
    ("vertical tab pasted from a word processor", _cue_pose('"Rest.\x0bBreathe."'), 5,
     CONTROL.format(0x0B)),
    ("control character in a comment", T + "# note\x07\n" + POSE, 2, CONTROL.format(7)),
    # --- top-level fields
    ("duplicate key", T + POSE + "title: Other\n", 6,
     "'title' is given twice in the script (also on line 1)"),
    ("unknown key titel", "titel: T\n" + POSE, 1,
     "unknown field 'titel' in the script; did you mean 'title'?"),
    ("unknown key pose", T + "pose:\n  - name: Rest\n    cues: [Rest.]\n", 2,
     "unknown field 'pose' in the script; did you mean 'poses'?"),
    ("unknown key far from all", T + POSE + "music: calm\n", 6,
     ("unknown field 'music' in the script; known: title, author, description, language, "
     "voice, breath, chime, lengths, intro, poses, outro, cover, pronounce, tone, ambience, "
     "breath_guide, pace")),
    ("missing title", POSE, 1, "the script needs 'title'"),
    ("missing poses", T + "author: Me\n", 1, "the script needs 'poses'"),
    ("empty title", "title: ''\n" + POSE, 1, "'title' is empty"),
    ("title over 200 chars", "title: " + "a" * 201 + "\n" + POSE, 1,
     "'title' is longer than 200 characters"),
    ("language not a code", "title: T\nlanguage: english\n" + POSE, 2,
     "'language: english' is not a language code (e.g. en, en-GB, fr)"),
    ("breath 0s", T + "breath: 0s\n" + POSE, 2, "'breath' must be longer than 0"),
    ("breath 1:30", T + "breath: 1:30\n" + POSE, 2, f"'breath': '1:30' {NOT_DURATION}"),
    ("chime path", T + "chime: ../etc/passwd\n" + POSE, 2,
     f"'chime: ../etc/passwd' {NO_SOUND_PATH}"),
    # --- voice
    ("voice engine espeak", T + "voice:\n  engine: espeak\n" + POSE, 3,
     "unknown engine 'espeak'; known: piper, gtts, kokoro"),
    ("voice is a word", T + "voice: piper\n" + POSE, 2,
     "'voice' must be a mapping of fields (name: value)"),
    ("voice key typo", T + "voice:\n  engin: piper\n" + POSE, 3,
     "unknown field 'engin' in 'voice'; did you mean 'engine'?"),
    ("speed 3", T + "voice:\n  speed: 3\n" + POSE, 3, "'speed' must be between 0.5 and 2, not 3"),
    ("speed fast", T + "voice:\n  speed: fast\n" + POSE, 3, "'speed' must be a number, not 'fast'"),
    ("speed .nan", T + "voice:\n  speed: .nan\n" + POSE, 3, "'speed' must be a number, not '.nan'"),
    ("speed .inf", T + "voice:\n  speed: .inf\n" + POSE, 3, "'speed' must be a number, not '.inf'"),
    ("speed decimal comma", T + "voice:\n  speed: 0,9\n" + POSE, 3,
     "'speed' must be a number, not '0,9'"),
    # --- lengths
    ("lengths key full", T + "lengths:\n  full: 10m\n" + POSE, 3,
     "'full' always means every hold at its longest; choose another name"),
    ("lengths value abc", T + "lengths:\n  short: abc\n" + POSE, 3,
     f"'lengths: short': 'abc' {NOT_DURATION}"),
    ("lengths duplicate", T + "lengths:\n  short: 5m\n  short: 10m\n" + POSE, 4,
     "length 'short' is given twice (also on line 3)"),
    ("lengths as a list", T + "lengths: [10m]\n" + POSE, 2,
     "'lengths' must be a mapping of names to durations (short: 10m)"),
    # --- poses
    ("empty poses list", T + "poses: []\n", 2,
     "'poses' must be a list of one or more poses (- name: ...)"),
    ("poses with nothing", T + "poses:\n", 2,
     "'poses' must be a list of one or more poses (- name: ...)"),
    ("more than 200 poses", _many_poses(201), 3, "a script can have at most 200 poses"),
    ("pose is a word", T + "poses:\n  - Rest\n", 3,
     "a pose must be a mapping of fields (name: value)"),
    ("pose without name", T + 'poses:\n  - cues:\n      - "Rest."\n', 3, "a pose needs 'name'"),
    ("pose without cues", T + "poses:\n  - name: Rest\n    hold: 1m\n", 3, "a pose needs 'cues'"),
    ("unknown pose key cue", T + 'poses:\n  - name: Rest\n    cue:\n      - "Rest."\n', 4,
     "unknown field 'cue' in a pose; did you mean 'cues'?"),
    ("error in the second pose",
     T + POSE + "  - name: Tree\n    cues: [Stand.]\n    sied: [right]\n",
     8, "unknown field 'sied' in a pose; did you mean 'sides'?"),
    ("duplicate pose key", T + POSE + "    name: Again\n", 6,
     "'name' is given twice in a pose (also on line 3)"),
    ("cues empty list", T + "poses:\n  - name: Rest\n    cues: []\n", 4,
     "'cues' needs at least one cue"),
    ("empty cue string", _cue_pose('""'), 5, "an empty cue in 'cues'"),
    ("blank cue string", _cue_pose('"   "'), 5, "an empty cue in 'cues'"),
    ("cue with nothing", _cue_pose(""), 5, "each cue in 'cues' must be a text"),
    ("cue that is a mapping", _cue_pose("{say: Rest.}"), 5, COLON_CUE),
    ("cue with a colon", _cue_pose("Note: breathe slowly."), 5, COLON_CUE),
    ("cue that is a list", _cue_pose("[Rest, here]"), 5, "each cue in 'cues' must be a text"),
    ("cue over 2000 chars", _cue_pose('"' + "a" * 2001 + '"'), 5,
     "a cue in 'cues' is longer than 2000 characters"),
    ("more than 100 cues", _cue_pose(*["Rest."] * 101), 5, "'cues' has more than 100 cues"),
    ("bad marker on the second cue", _cue_pose('"Rest."', '"Now [pasue 3s] move."'), 6,
     "unknown marker [pasue 3s] (did you mean [pause ...]?)"),
    ("escaped NUL in a cue", _cue_pose('"Rest\\0 here."'), 5,
     "a control character (U+0000) in the cue"),
    ("escaped ESC in a cue", _cue_pose('"Rest\\e[2J here."'), 5,
     "a control character (U+001B) in the cue"),
    ("bad marker inside a literal block cue",
     _cue_pose("|\n        Lie down softly.\n        Now [pasue 3s] rest."), 7,
     "unknown marker [pasue 3s] (did you mean [pause ...]?)"),
    ("bad marker inside a folded block cue",
     _cue_pose(">\n        Lie down softly.\n        Now [pasue 3s] rest."), 7,
     "unknown marker [pasue 3s] (did you mean [pause ...]?)"),
    ("bad marker inside a two-line quoted cue",
     _cue_pose('"Lie down softly.\n        Now [pasue 3s] rest."'), 6,
     "unknown marker [pasue 3s] (did you mean [pause ...]?)"),
    ("unclosed marker on the second line, same start as a good one",
     _cue_pose("|\n        Rest [pause 2s] here.\n        Then [pause 2s and rest."), 7,
     "'[' without its closing ']' in \"[pause 2s and rest. \""),
    pytest.param(_cue_pose("|\n        Rest [pause 2s] here.\n        Hug your {side} knee."), 7,
                 "{side} is only meaningful in a pose with 'sides'",
                 id="placeholder error on the second line of a block cue"),
    pytest.param(_cue_pose("|\n        Rest [pause 2s] here.\n        Then } rest."), 7,
                 "a stray '}' without its opening '{'",
                 id="stray brace on the second line of a block cue"),
    pytest.param(_cue_pose("|\n        Rest here.\n        Then <break time=\"1..2s\"/>"), 7,
                 "<break time=\"1..2s\"/> takes one duration, not a range",
                 id="break tag error on the second line of a block cue"),
    pytest.param(_cue_pose(">\n        Rest here.\n        Now [pasue\n        3s] rest."), 7,
                 "unknown marker [pasue 3s] (did you mean [pause ...]?)",
                 id="bad marker folded over two lines"),
    pytest.param(_cue_pose("|\n        Rest here.\n        Stay. [hold]"), 7,
                 "pose 'Rest' has a [hold] marker but no 'hold' field to say how long",
                 id="hold marker on the second line of a block cue"),
    ("side in a one-sided pose", _cue_pose('"Hug your {side} knee."'), 5,
     "{side} is only meaningful in a pose with 'sides'"),
    ("unknown placeholder", _cue_pose('"Hug your {sid} knee."', extra="    sides: [right, left]\n"),
     5, "unknown placeholder {sid} (use {side} or {other_side})"),
    # --- hold
    ("hold 1:30", T + POSE + "    hold: 1:30\n", 6, f"'hold: 1:30': '1:30' {NOT_DURATION}"),
    ("hold abc", T + POSE + "    hold: abc\n", 6, f"'hold: abc': 'abc' {NOT_DURATION}"),
    ("hold as a list", T + POSE + "    hold: [1m, 5m]\n", 6,
     "'hold' is one value: write a range as 1m..5m, not a list"),
    ("hold reversed", T + POSE + "    hold: 5m..1m\n", 6,
     "'hold: 5m..1m': the range goes from the shorter to the longer"),
    ("hold 0s", T + POSE + "    hold: 0s\n", 6, "'hold: 0s' must be longer than 0"),
    ("hold 4..x breaths", T + POSE + "    hold: 4..x breaths\n", 6,
     "'hold: 4..x breaths': 'x' is not a number of breaths"),
    ("hold three parts", T + POSE + "    hold: 1m..2m..3m\n", 6,
     "'hold: 1m..2m..3m' is not a hold; write 2m, 1m..5m or 4..8 breaths"),
    ("hold over 1h", T + POSE + "    hold: 2h\n", 6, "'hold: 2h' is longer than the limit of 60m"),
    ("hold marker without hold field", _cue_pose('"Rest. [hold]"'), 5,
     "pose 'Rest' has a [hold] marker but no 'hold' field to say how long"),
    ("two hold markers", _cue_pose('"Rest. [hold]"', '"More. [hold]"', extra="    hold: 1m\n"), 6,
     "pose 'Rest' has more than one [hold] marker"),
    ("hold marker in intro", T + 'intro:\n  - "Welcome. [hold]"\n' + POSE, 3,
     "[hold] belongs in a pose's cues, not in intro or outro"),
    ("hold marker in outro", T + POSE + 'outro:\n  - "Thank you. [hold]"\n', 7,
     "[hold] belongs in a pose's cues, not in intro or outro"),
    # --- sides, switch, optional, priority, chime
    ("sides up", T + POSE + "    sides: [up]\n", 6,
     "'sides' must list right and/or left once each, not ['up']"),
    ("sides right right", T + POSE + "    sides: [right, right]\n", 6,
     "'sides' must list right and/or left once each, not ['right', 'right']"),
    ("sides as a word", T + POSE + "    sides: both\n", 6,
     "'sides' must be a list of one or two sides, e.g. [right, left]"),
    ("switch on a one-sided pose", T + POSE + "    switch: Change sides.\n", 6,
     "'switch' is spoken between sides; this pose has no two sides"),
    ("hold marker in switch", T + POSE + '    hold: 1m\n    sides: [right, left]\n'
     '    switch: "Change. [hold]"\n', 8, "[hold] cannot be used in 'switch'"),
    ("priority 1.5", T + POSE + "    optional: true\n    priority: 1.5\n", 7,
     "'priority' must be a whole number"),
    ("priority negative", T + POSE + "    priority: -1\n", 6,
     "'priority' must be between 0 and 1000, not -1"),
    ("optional maybe", T + POSE + "    optional: maybe\n", 6,
     "'optional' must be true or false, not 'maybe'"),
    ("pose chime path", T + POSE + "    chime: /etc/passwd\n", 6,
     f"'chime: /etc/passwd' {NO_SOUND_PATH}"),
]


def _rows(table: list) -> list:
    """(id, *values) rows become pytest.param(*values, id=id); pytest.param rows pass as is."""
    return [row if hasattr(row, "marks") else pytest.param(*row[1:], id=row[0]) for row in table]


@pytest.mark.parametrize(("text", "line", "message"), _rows(BAD_SCRIPTS))
def test_bad_script(tmp_path: Path, text: str | bytes, line: int | None, message: str) -> None:
    assert error_line(tmp_path, text) == expected(tmp_path, line, message)


def test_the_table_is_big_enough() -> None:
    assert len(BAD_SCRIPTS) >= 30


# --------------------------------------------------------------------------- hostile input


def test_python_tag_is_never_acted_on(tmp_path: Path) -> None:
    """The tag is refused before anything is constructed: the command never runs."""
    text = "title: !!python/object/apply:os.system ['touch pwned']\n" + POSE
    assert "not allowed" in error_line(tmp_path, text)
    assert not (tmp_path / "pwned").exists()
    assert not Path("pwned").exists()


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    text = T + 'l0: &l0 "lol"\n' + levels + POSE
    start = time.monotonic()
    assert error_line(tmp_path, text) == expected(tmp_path, 2, ANCHORS)
    assert time.monotonic() - start < 8  # unguarded, 900,000 would take hours; a loaded
    # machine (2 cores shared) once took 2.2 s where an idle one takes 0.1


@pytest.mark.parametrize(("nested", "line"), [
    ("[" * 1000 + "]" * 1000, 6),
    ("{a: " * 1000 + "1" + "}" * 1000, 6),
    ("\n  " + "- " * 3000 + "x", 7),
], ids=["flow lists", "flow mappings", "block lists"])
def test_deep_nesting_is_a_script_error(tmp_path: Path, nested: str, line: int) -> None:
    """yaml.compose recurses: without a depth limit, 2 kB of brackets is a RecursionError."""
    text = T + POSE + "description: " + nested + "\n"
    try:
        message = error_line(tmp_path, text)
    except RecursionError:  # keep pytest from formatting thousands of frames
        pytest.fail("RecursionError: the user would see a traceback", pytrace=False)
    assert message == expected(tmp_path, line,
                               "lists or mappings are nested too deeply for a pose script")


def test_deep_nesting_is_refused_quickly(tmp_path: Path) -> None:
    """PyYAML's scanner slows down with depth (2000 '[' took 2 s, 6000 took 12 s)."""
    text = T + "description: " + "[" * 900_000 + "\n"
    start = time.monotonic()
    assert error_line(tmp_path, text) == expected(
        tmp_path, 2, "lists or mappings are nested too deeply for a pose script")
    assert time.monotonic() - start < 2


def test_missing_file_is_a_script_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as err:
        load_script(tmp_path / "nope.yaml")
    assert err.value.one_line() == (f"{tmp_path / 'nope.yaml'}: cannot read the file "
                                    "(No such file or directory)")


# --------------------------------------------------------------------------- good scripts

SHIPPED = SHIPPED


def test_there_are_shipped_scripts() -> None:
    assert ROOT / "scripts" / "deep-psoas-release.yaml" in SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scripts_load(path: Path) -> None:
    script = load_script(path)
    assert script.title and script.poses
    assert all(p.cues or (p.flow and p.flow_cues()) for p in script.poses)


MINIMAL = T + POSE


def test_minimal_script_gets_the_defaults(tmp_path: Path) -> None:
    script = load(tmp_path, MINIMAL)
    assert script.path == tmp_path / "script.yaml"
    assert script.title == "T"
    assert script.author is None and script.description is None
    assert script.language == "en"
    assert script.breath_ms == 5000
    assert script.chime == "bell"
    assert script.voice == VoiceSpec(engine=None, name=None, speed=1.0, line=0)
    assert script.lengths == {}
    assert script.intro == () and script.outro == ()
    (pose,) = script.poses
    assert pose.name == "Rest" and pose.line == 3
    assert pose.cues == (Cue((Text("Rest."),), 5),)
    assert pose.hold is None and pose.sides == () and pose.switch is None
    assert pose.optional is False and pose.priority == 1
    assert pose.chime == "bell"


def test_utf8_with_bom_loads(tmp_path: Path) -> None:
    script = load(tmp_path, b"\xef\xbb\xbf" + ("title: Caf\u00e9\n" + POSE).encode("utf-8"))
    assert script.title == "Caf\u00e9"
    assert script.poses[0].cues[0].line == 5


def test_language_no_is_norwegian(tmp_path: Path) -> None:
    assert load(tmp_path, T + "language: no\n" + POSE).language == "no"


@pytest.mark.parametrize(("value", "title"), [("yes", "yes"), ("2024", "2024"), ("1:30", "1:30"),
                                              ("null x", "null x"), ("'on'", "on")])
def test_values_stay_the_text_typed(tmp_path: Path, value: str, title: str) -> None:
    assert load(tmp_path, f"title: {value}\n" + POSE).title == title


def test_two_sided_pose_keeps_sides_and_switch(tmp_path: Path) -> None:
    script = load(tmp_path, T + "poses:\n  - name: Knee Hug\n    sides: [right, left]\n"
                  '    cues:\n      - "Hug your {side} knee."\n'
                  '    switch: "Gently change sides. [pause 2s]"\n')
    (pose,) = script.poses
    assert pose.sides == ("right", "left")
    assert pose.cues == (Cue((Text("Hug your {side} knee."),), 6),)
    assert pose.switch == Cue((Text("Gently change sides."), Pause(2000)), 7)


def test_sides_are_read_case_insensitively(tmp_path: Path) -> None:
    script = load(tmp_path, T + POSE + "    sides: [Left, RIGHT]\n")
    assert script.poses[0].sides == ("left", "right")


@pytest.mark.parametrize(("breath", "hold", "expected"), [
    ("6s", "4..8 breaths", HoldRange(24_000, 48_000, True)),
    ("5s", "6 breaths", HoldRange(30_000, 30_000, True)),
    ("5s", "1 breath", HoldRange(5000, 5000, True)),
    ("5s", "1m..5m", HoldRange(60_000, 300_000)),
    ("5s", "2m", HoldRange(120_000, 120_000)),
    ("5s", "1m30s", HoldRange(90_000, 90_000)),
    ("5s", "30", HoldRange(30_000, 30_000)),
    ("5s", "1m..1m", HoldRange(60_000, 60_000)),
])
def test_holds(tmp_path: Path, breath: str, hold: str, expected: HoldRange) -> None:
    script = load(tmp_path, T + f"breath: {breath}\n" + POSE + f"    hold: {hold}\n")
    assert script.poses[0].hold == expected


def test_breath_is_used_by_breaths_markers(tmp_path: Path) -> None:
    script = load(tmp_path, T + "breath: 4s\n" + _cue_pose('"In [breaths 2] out."')[len(T):])
    assert script.poses[0].cues[0].tokens == (Text("In"), Pause(8000), Text("out."))


def test_line_numbers_of_cues(tmp_path: Path) -> None:
    text = (
        "title: Lines\n"                       # 1
        "intro:\n"                             # 2
        '  - "Welcome."\n'                     # 3
        "\n"                                   # 4
        '  - "Settle in."\n'                   # 5
        "poses:\n"                             # 6
        "  - name: Rest\n"                     # 7
        "    hold: 1m\n"                       # 8
        "    cues:\n"                          # 9
        '      - "Lie down. [hold]"\n'         # 10
        "      # a comment\n"                  # 11
        "      - Breathe.\n"                   # 12
        "  - name: Lunge\n"                    # 13
        "    sides: [right, left]\n"           # 14
        "    cues: [\"Step your {side} foot forward.\", \"[chime]\"]\n"  # 15
        "    switch: Change sides.\n"          # 16
        "outro:\n"                             # 17
        "  - |\n"                              # 18
        "    Thank you.\n"                     # 19
    )
    script = load(tmp_path, text)
    assert [c.line for c in script.intro] == [3, 5]
    rest, lunge = script.poses
    assert (rest.line, lunge.line) == (7, 13)
    assert [c.line for c in rest.cues] == [10, 12]
    assert [c.line for c in lunge.cues] == [15, 15]
    assert lunge.cues[1].tokens == (Chime(None),)
    assert lunge.switch is not None and lunge.switch.line == 16
    assert [c.line for c in script.outro] == [18]
    assert script.outro[0].tokens == (Text("Thank you."),)


def test_full_script(tmp_path: Path) -> None:
    text = (
        "title: Full\nauthor: Me\ndescription: A test.\nlanguage: en-GB\n"
        "voice:\n  engine: gtts\n  name: uk\n  speed: 0.9\n"
        "breath: 4s\nchime: none\nlengths:\n  short: 10m\n  tiny: 90\n"
        "intro: Welcome.\n"
        + POSE + "    optional: yes\n    priority: 3\n    chime: bowl\n"
        "outro: []\n"
    )
    script = load(tmp_path, text)
    assert (script.author, script.description, script.language) == ("Me", "A test.", "en-GB")
    assert script.voice == VoiceSpec("gtts", "uk", 0.9, 6)  # the line of its first field
    assert script.breath_ms == 4000 and script.chime is None
    assert {k: v.ms for k, v in script.lengths.items()} == {"short": 600_000, "tiny": 90_000}
    assert script.lengths["short"].line == 12
    assert script.intro == (Cue((Text("Welcome."),), 14),)
    assert script.outro == ()
    pose = script.poses[0]
    assert (pose.optional, pose.priority, pose.chime) == (True, 3, "bowl")


def test_chime_none_means_no_chime_for_poses(tmp_path: Path) -> None:
    script = load(tmp_path, T + "chime: none\n" + POSE)
    assert script.chime is None and script.poses[0].chime is None


def test_limits_are_inclusive(tmp_path: Path) -> None:
    assert len(load(tmp_path, _many_poses(200)).poses) == 200
    cue = load(tmp_path, _cue_pose('"' + "a" * 2000 + '"')).poses[0].cues[0]
    assert cue.tokens == (Text("a" * 2000),)


def test_flow_style_script_loads(tmp_path: Path) -> None:
    script = load(tmp_path, "{title: T, poses: [{name: Rest, cues: [Rest.]}]}\n")
    assert script.poses[0].cues == (Cue((Text("Rest."),), 1),)
