"""One render request: every option and every file a session reads is in its content
key, so publish re-encodes exactly when the MP3 would differ (and render, publish and
the studio share one path)."""

from __future__ import annotations

import json
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT, write_script

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.pipeline.options import RenderOptions
from audio_builder.pipeline.session import open_session
from audio_builder.speech.cache import Cache

SCRIPT = """title: Keys
voice: {engine: piper}
breath: 1s
chime: ding
ambience: {sound: hum, level: -30}
cover: cover.png
intro:
  - {recording: hello, text: "Hello."}
poses:
  - name: Rest
    hold: 2..3 breaths
    cues: ["Rest here."]
"""


def wav(path: Path, seconds: float, freq: float, amp: float = 0.3) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * RATE)) / RATE
    data = amp * np.sin(2 * np.pi * freq * t) * np.minimum(1, np.minimum(t, seconds - t) * 20)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.round(data * 32767).astype("<i2").tobytes())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    from audio_builder.publish.icons import draw

    wav(tmp_path / "sounds" / "ding.wav", 1.0, 880)
    wav(tmp_path / "sounds" / "hum.wav", 12.0, 110, 0.1)
    wav(tmp_path / "sounds" / "hello.wav", 1.0, 220)
    (tmp_path / "cover.png").write_bytes(draw(64))
    write_script(tmp_path, SCRIPT, "keys.yaml")
    return tmp_path


def key(path: Path, options: RenderOptions, speech_cache: Path) -> str:
    session = open_session(path, options, cache=Cache(speech_cache))
    return session.key(session.plan(session.lengths[0]))


def test_every_option_and_every_input_changes_the_key(folder, speech_cache):
    script = folder / "keys.yaml"
    base = RenderOptions()
    first = key(script, base, speech_cache)
    assert key(script, base, speech_cache) == first, "the same request, the same key"
    assert key(script, replace(base, transcript=True), speech_cache) == first, \
        "a transcript is a file beside the MP3, not in it"
    changed = {
        "engine": replace(base, engine="kokoro"),
        "voice": replace(base, engine="kokoro", voice="michael"),
        "speed": replace(base, speed=1.2),
        "ambience": replace(base, ambience="none"),
        "breath guide": replace(base, breath_guide=True),
        "bitrate": replace(base, bitrate="128k"),
        "loudness": replace(base, loudness=-21.0),
    }
    keys = {name: key(script, options, speech_cache) for name, options in changed.items()}
    edits = {
        "chime file": lambda: wav(folder / "sounds" / "ding.wav", 1.0, 660),
        "bed file": lambda: wav(folder / "sounds" / "hum.wav", 12.0, 130, 0.1),
        "recording": lambda: wav(folder / "sounds" / "hello.wav", 1.0, 330),
        "cover": lambda: (folder / "cover.png").write_bytes(
            (folder / "cover.png").read_bytes() + b"\0"),
        "bed level": lambda: script.write_text(script.read_text().replace("-30", "-26")),
        "bed duck": lambda: script.write_text(script.read_text().replace(
            "level: -26}", "level: -26, duck: 9}")),
        "pronounce": lambda: script.write_text(script.read_text() + "pronounce: {rest: REST}\n"),
    }
    for name, edit in edits.items():
        edit()
        keys[name] = key(script, base, speech_cache)
    seen = [first, *keys.values()]
    assert len(set(seen)) == len(seen), {n: k[:8] for n, k in keys.items()}


def publish(*args: object) -> str:
    result = CliRunner().invoke(main, ["publish", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_republishing_after_a_bed_level_change_re_encodes(tmp_path):
    """The issue's case: a bed at -30 published, its level changed to -26, published
    again: the MP3 is encoded again, and is what render writes now."""
    wav(tmp_path / "sounds" / "hum.wav", 12.0, 110, 0.1)
    script = write_script(tmp_path, SCRIPT.replace("chime: ding\n", "").replace(
        "cover: cover.png\n", "").replace('{recording: hello, text: "Hello."}', '"Hello."'),
        "bed.yaml")
    site = tmp_path / "site"
    assert "(1 encoded, 0 unchanged" in publish(script, "-o", site)
    script.write_text(script.read_text().replace("level: -30", "level: -26"))
    assert "(1 encoded, 0 unchanged" in publish(script, "-o", site)
    rendered = tmp_path / "now.mp3"
    result = CliRunner().invoke(main, ["render", str(script), "-o", str(rendered)])
    assert result.exit_code == 0, result.output
    assert (site / "bed" / "full.mp3").read_bytes() == rendered.read_bytes()
    assert "(0 encoded, 1 unchanged" in publish(script, "-o", site)


def test_plan_samples_are_the_decoded_length(tiny, tmp_path):
    """plan --json's total and each event's samples add up to the file, to the sample."""
    from audio_builder.mp3.encode import decode

    for length in ("full", "quick", "33.3s"):
        out = tmp_path / f"{length}.mp3"
        CliRunner().invoke(main, ["render", str(tiny), "--length", length, "-o", str(out)])
        plan = json.loads(CliRunner().invoke(
            main, ["plan", str(tiny), "--length", length, "--json"]).output)
        assert len(decode(out)) == plan["total"] == sum(e["length"] for e in plan["events"])
        assert plan["events"][-1]["start"] + plan["events"][-1]["length"] == plan["total"]


def test_every_list_of_engine_names_is_the_registry():
    """The CLI's choices come from the registry; the loader and the schema, which sit
    upstream of the speech stage, are checked against it here."""
    from audio_builder.cli import render
    from audio_builder.script.loader import ENGINES
    from audio_builder.speech.engines import engine_info, engine_names

    names = set(engine_names())
    assert names == {"piper", "kokoro", "gtts"}
    engine_option = next(p for p in render.params if p.name == "engine")
    assert set(engine_option.type.choices) == names  # type: ignore[attr-defined]
    assert set(ENGINES) == names
    schema = json.loads((ROOT / "audio_builder" / "schema" / "pose-script.schema.json")
                        .read_text(encoding="utf-8"))
    assert set(schema["properties"]["voice"]["properties"]["engine"]["enum"]) == names
    for name in names:  # each declares itself: no caller probes with getattr
        info = engine_info(name)
        assert info.voices and info.languages and info.name == name
        assert isinstance(info.phonemes, bool) and isinstance(info.online, bool)
    assert engine_info("gtts").online and not engine_info("kokoro").online
