"""Table tests of cue markers (markers.parse_cue) and durations (durations.parse_ms).

Every bad input sits beside the exact message a person will read (after "error:
FILE:LINE:"). Cases marked xfail(strict=True) show what SHOULD happen where the code
today gives a wrong or misleading message; the xfail wording is a proposal, and the
test should be updated with the final wording when the message is fixed.
"""

from __future__ import annotations

import math

import pytest

from audio_builder.script.durations import parse_ms
from audio_builder.script.markers import MarkerError, parse_cue
from audio_builder.script.model import Chime, Hold, Pause, Text

BREATH_MS = 5000
EXAMPLES = "(write e.g. 500ms, 3s, 1.5s, 2m, 1m30s)"


def _rows(table: list) -> list:
    """(id, *values) rows become pytest.param(*values, id=id); pytest.param rows pass as is."""
    return [row if hasattr(row, "marks") else pytest.param(*row[1:], id=row[0]) for row in table]


# --------------------------------------------------------------------------- good cues

GOOD_CUES = [
    # (id, cue text, two_sided, tokens)
    ("plain text", "Rest here.", False, (Text("Rest here."),)),
    ("pause seconds", "Rest. [pause 3s] Now move.", False,
     (Text("Rest."), Pause(3000), Text("Now move."))),
    ("pause milliseconds", "[pause 500ms]", False, (Pause(500),)),
    ("pause 1m30s", "[pause 1m30s]", False, (Pause(90_000),)),
    ("pause bare number is seconds", "[pause 3]", False, (Pause(3000),)),
    ("pause at the limit of 1h", "[pause 1h]", False, (Pause(3_600_000),)),
    ("marker name in capitals", "[PAUSE 3s]", False, (Pause(3000),)),
    ("spaces inside brackets", "[ pause  3s ]", False, (Pause(3000),)),
    ("breaths times breath", "[breaths 3]", False, (Pause(15_000),)),
    ("fractional breaths", "[breaths 1.5]", False, (Pause(7500),)),
    ("hold", "Stay here. [hold]", False, (Text("Stay here."), Hold())),
    ("hold in a two-sided pose", "[hold]", True, (Hold(),)),
    ("chime default", "[chime]", False, (Chime(None),)),
    ("chime named", "[chime bowl]", False, (Chime("bowl"),)),
    ("only markers", "[chime] [pause 1s] [hold]", False, (Chime(None), Pause(1000), Hold())),
    ("ssml break double quotes", 'Rest. <break time="3s"/> Move.', False,
     (Text("Rest."), Pause(3000), Text("Move."))),
    ("ssml break single quotes and space", "Rest. <break time='500ms' /> Move.", False,
     (Text("Rest."), Pause(500), Text("Move."))),
    ("ssml break in capitals", '<BREAK TIME="2s"/>', False, (Pause(2000),)),
    ("side kept for later filling", "Hug your {side} knee.", True,
     (Text("Hug your {side} knee."),)),
    ("both placeholders kept", "{side} foot forward, {other_side} knee down", True,
     (Text("{side} foot forward, {other_side} knee down"),)),
    ("punctuation-only text dropped", "... [pause 1s] !! [chime] ,", False,
     (Pause(1000), Chime(None))),
    ("punctuation kept beside words", "Rest, [pause 2s] then relax.", False,
     (Text("Rest,"), Pause(2000), Text("then relax."))),
    ("whitespace collapsed", "  Breathe \n\t in   slowly  ", False, (Text("Breathe in slowly"),)),
    ("NFC normalization", "Cafe\u0301 au lait", False, (Text("Caf\u00e9 au lait"),)),
    ("empty text", "", False, ()),
]


@pytest.mark.parametrize(("raw", "two_sided", "tokens"), _rows(GOOD_CUES))
def test_parse_cue_good(raw: str, two_sided: bool, tokens: tuple) -> None:
    assert parse_cue(raw, BREATH_MS, two_sided) == tokens


def test_nfc_text_is_the_composed_form() -> None:
    (tok,) = parse_cue("Cafe\u0301", BREATH_MS)
    assert tok.text == "Caf\u00e9" and len(tok.text) == 4


def test_breaths_follow_the_breath_length() -> None:
    assert parse_cue("[breaths 3]", 6000) == (Pause(18_000),)


# --------------------------------------------------------------------------- bad cues

BAD_CUES = [
    # (id, cue text, two_sided, exact message)
    ("unknown marker with suggestion", "Rest. [pasue 3s]", False,
     "unknown marker [pasue 3s] (did you mean [pause ...]?)"),
    ("chim", "[chim]", False, "unknown marker [chim] (did you mean [chime ...]?)"),
    ("breath for breaths", "[breath 3]", False,
     "unknown marker [breath 3] (did you mean [breaths ...]?)"),
    ("holds", "[holds]", False, "unknown marker [holds] (did you mean [hold ...]?)"),
    ("empty brackets", "Rest [] here", False,
     "empty marker [] (write e.g. [pause 3s] or [hold])"),
    ("unclosed bracket", "Rest. [pause 3s", False,
     "'[' without its closing ']' in \"[pause 3s\""),
    ("stray closing bracket", "Rest ] here", False, "a stray ']' without its opening bracket"),
    ("double brackets", "Rest [[x]] here", False,
     "double brackets '[[' are not allowed: text in brackets is never spoken"),
    ("piper phonemes", "Say [[ h ə l oʊ ]] now", False,
     "double brackets '[[' are not allowed: text in brackets is never spoken"),
    pytest.param(
        "Rest [pause [3s]] here", False,
        "'[' inside a marker in \"[pause [3s]]\": markers cannot be nested",
        id="bracket inside a marker",
    ),
    ("unknown marker, nothing close", "Rest [foo] here", False,
     "unknown marker [foo] (markers are [pause 3s], [breaths 3], [hold] and [chime])"),
    ("pause without duration", "[pause]", False, "[pause] needs one duration, e.g. [pause 3s]"),
    ("pause with two durations", "[pause 3s 4s]", False,
     "[pause] needs one duration, e.g. [pause 3s]"),
    ("negative pause", "[pause -3s]", False, f"[pause -3s]: '-3s' is not a duration {EXAMPLES}"),
    ("zero pause", "[pause 0s]", False, "[pause 0s]: the duration must be above 0"),
    ("pause range", "[pause 1..3s]", False, "[pause 1..3s] takes one duration, not a range"),
    ("pause over 1h", "[pause 2h]", False, "[pause 2h]: a pause can be at most 1h"),
    ("pause with a clock time", "[pause 1:30]", False,
     f"[pause 1:30]: '1:30' is not a duration {EXAMPLES}"),
    ("breaths not a number", "[breaths x]", False, "[breaths x]: 'x' is not a number"),
    ("zero breaths", "[breaths 0]", False, "[breaths 0]: the number of breaths must be above 0"),
    ("negative breaths", "[breaths -2]", False,
     "[breaths -2]: the number of breaths must be above 0"),
    ("breaths with an exponent", "[breaths 1e2]", False, "[breaths 1e2]: '1e2' is not a number"),
    ("breaths without number", "[breaths]", False, "[breaths] needs a number, e.g. [breaths 3]"),
    ("breaths over 1h", "[breaths 1000]", False, "[breaths 1000]: a pause can be at most 1h"),
    ("hold with a duration", "[hold 3s]", False,
     "[hold] takes nothing: the pose's 'hold' field sets its length"),
    ("chime with a path", "[chime ../x]", False,
     "[chime ../x]: a sound is a name of letters, digits, '-' or '_'"),
    ("chime with two names", "[chime bell bowl]", False,
     "[chime] takes at most one sound name, e.g. [chime bowl]"),
    ("unknown placeholder", "Hug your {sid} knee.", True,
     "unknown placeholder {sid} (use {side} or {other_side})"),
    ("side in a one-sided cue", "Hug your {side} knee.", False,
     "{side} is only meaningful in a pose with 'sides'"),
    ("other_side in a one-sided cue", "Your {other_side} foot.", False,
     "{other_side} is only meaningful in a pose with 'sides'"),
    ("unclosed brace", "Your {side knee", True, "a '{' without its closing '}'"),
    ("stray closing brace", "Rest } here", False, "a stray '}' without its opening '{'"),
    pytest.param(
        "Your {{side}} knee", True, "write {side} with single braces, not {{side}}",
        id="double braces",
    ),
    ("less-than sign", "Breathe in < 4 counts", False,
     "only the SSML tag <break time=\"3s\"/> is understood here"),
    pytest.param(
        "<emphasis>Relax</emphasis> now", False,
        "only the SSML tag <break time=\"3s\"/> is understood here",
        id="other SSML tag",
    ),
    pytest.param(
        '<break strength="weak"/>', False,
        "only the SSML tag <break time=\"3s\"/> is understood here",
        id="SSML break without time",
    ),
    pytest.param(
        'Rest. <break time=""/>', False,
        '<break time=""/> needs a duration, e.g. <break time="3s"/>',
        id="SSML break with empty time",
    ),
    ("NUL", "Rest\x00 here", False, "a control character (U+0000) in the cue"),
    ("ESC", "Rest\x1b[31m here", False, "a control character (U+001B) in the cue"),
    ("carriage return", "Rest\r here", False, "a control character (U+000D) in the cue"),
    ("right-to-left override", "Rest\u202e here", False,
     "a control character (U+202E) in the cue"),
]


@pytest.mark.parametrize(
    ("raw", "two_sided", "message"),
    _rows(BAD_CUES),
)
def test_parse_cue_bad(raw: str, two_sided: bool, message: str) -> None:
    with pytest.raises(MarkerError) as err:
        parse_cue(raw, BREATH_MS, two_sided)
    assert str(err.value) == message


# Piper reads [[ phonemes ]] inside text; no bracket may ever reach the engine.
BRACKETED = ["[[x]]", "[[ h ə l oʊ ]]", "Say [[phoneme]] now", "a [[b] c", "a [b [c] d]",
             "[pause [3s]]", "x ] y", "x [ y", "]]", "[["]


@pytest.mark.parametrize("raw", BRACKETED)
def test_brackets_never_reach_the_speech_engine(raw: str) -> None:
    with pytest.raises(MarkerError):
        parse_cue(raw, BREATH_MS, True)


@pytest.mark.parametrize("raw", [c[1] for c in GOOD_CUES])
def test_spoken_text_never_holds_brackets_or_tags(raw: str) -> None:
    for tok in parse_cue(raw, BREATH_MS, True):
        if isinstance(tok, Text):
            assert not set(tok.text) & set("[]<>")


# --------------------------------------------------------------------------- parse_ms

GOOD_MS = [
    ("500ms", 500), ("3s", 3000), ("1.5s", 1500), ("2m", 120_000), ("1m30s", 90_000),
    ("1h", 3_600_000), ("1h30m15s500ms", 5_415_500), ("30", 30_000), ("2.5", 2500),
    (" 3s ", 3000), ("3S", 3000), ("1m 30s", 90_000), ("0", 0), ("0s", 0),
    (3, 3000), (1.5, 1500), (0, 0),
]


@pytest.mark.parametrize(("text", "ms"), GOOD_MS, ids=[repr(t) for t, _ in GOOD_MS])
def test_parse_ms_good(text: str | float, ms: int) -> None:
    assert parse_ms(text) == ms
    assert type(parse_ms(text)) is int


NOT_A_DURATION = "'{}' is not a duration " + EXAMPLES
BAD_MS = [
    ("1:30", NOT_A_DURATION.format("1:30")),
    ("", "empty duration"),
    ("   ", "empty duration"),
    ("2m2m", "'2m2m' repeats a unit"),
    ("1m30s1m", "'1m30s1m' repeats a unit"),
    ("abc", NOT_A_DURATION.format("abc")),
    ("-3s", NOT_A_DURATION.format("-3s")),
    ("1..3s", NOT_A_DURATION.format("1..3s")),
    (".5s", NOT_A_DURATION.format(".5s")),
    ("3sec", NOT_A_DURATION.format("3sec")),
    ("3 seconds", NOT_A_DURATION.format("3 seconds")),
    ("s", NOT_A_DURATION.format("s")),
    ("1e3", NOT_A_DURATION.format("1e3")),
    ("1,5s", NOT_A_DURATION.format("1,5s")),
    ("\u0663s", NOT_A_DURATION.format("\u0663s")),  # an Arabic-Indic digit three
    ("30s1m", "'30s1m': write the larger unit first, e.g. 1m30s"),
    (True, "expected a duration like 30s, 2m or 1m30s"),
    (False, "expected a duration like 30s, 2m or 1m30s"),
    (-1, "a duration must be a finite number of seconds, 0 or more"),
    (math.nan, "a duration must be a finite number of seconds, 0 or more"),
    (math.inf, "a duration must be a finite number of seconds, 0 or more"),
]


@pytest.mark.parametrize(("text", "message"), BAD_MS, ids=[repr(t) for t, _ in BAD_MS])
def test_parse_ms_bad(text: str | float, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_ms(text)
    assert str(err.value) == message
