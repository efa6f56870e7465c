"""Hostile and clumsy input: fuzzing the loader and the marker parser, interrupting real
renders, unsafe names. Anything a script can do ends in the project's own one-line error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SHIPPED, write_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_builder.cli import main
from audio_builder.errors import AudioBuilderError
from audio_builder.script.loader import load_script
from audio_builder.script.markers import MarkerError, parse_cue

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# Pieces people (and attackers) put in scripts, to make the fuzzer's texts script-like.
PIECES = ["title: T\n", "poses:\n", "  - name: A\n", "    cues:\n", "      - \"Rest.\"\n",
          "    hold: 1m..5m\n", "    sides: [right, left]\n", "    switch: x\n", "intro:\n",
          "  - Welcome\n", "lengths:\n  short: 10m\n", "&a ", "*a", "!!python/object:os.system ",
          "- ", ": ", "{", "}", "[", "]", "\"", "'", "\t", "\n", "---\n", "...\n", "#", "|\n",
          ">\n", "  ", "[pause 3s]", "[hold]", "{side}", "<break time=\"1s\"/>", "\x00", "\ufeff",
          "breath: 0s\n", "voice:\n  speed: nan\n", "chime: ../../etc/passwd\n", "1:30",
          "language: no\n", "priority: 1e9\n"]


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40))
def test_loader_never_raises_anything_else(tmp_path, pieces):
    path = tmp_path / "fuzz.yaml"
    path.write_text("".join(pieces), encoding="utf-8", errors="surrogatepass")
    try:
        load_script(path)
    except AudioBuilderError as exc:
        assert "\n" not in exc.one_line()


@FUZZ
@given(st.binary(max_size=300))
def test_loader_survives_any_bytes(tmp_path, data):
    path = tmp_path / "bytes.yaml"
    path.write_bytes(data)
    try:
        load_script(path)
    except AudioBuilderError:
        pass


MARKER_BITS = ["[", "]", "pause", "breaths", "hold", "chime", " ", "3s", "-1", "1..2", "0",
               "nan", "{side}", "{other_side}", "{", "}", "<break time=\"", "\"/>", "<", ">",
               "[[", "]]", "bowl", "ə", "\x1b", ".", "ms", "h"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKER_BITS), st.text(max_size=5)), max_size=30),
       st.booleans())
def test_marker_parser_never_raises_anything_else(bits, two_sided):
    try:
        tokens = parse_cue("".join(bits), 5000, two_sided)
    except MarkerError:
        return
    for tok in tokens:  # nothing in brackets is ever spoken
        text = getattr(tok, "text", "")
        assert not any(c in text for c in "[]<>")


def test_default_output_name_is_made_safe(tmp_path, tiny):
    script = tmp_path / "my session; rm -rf ~ $(x).yaml"
    script.write_text(tiny.read_text())
    result = CliRunner().invoke(main, ["render", str(script), "--length", "quick"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["my-session-rm-rf-x-quick.mp3"]


def test_session_limit_is_checked_before_speech(tmp_path):
    script = write_script(tmp_path, "title: T\npace: off\nposes:\n  - name: A\n    hold: 60m\n"
                                    "    sides: [right, left]\n    cues: [\"Rest {side}.\"]\n"
                                    "  - name: B\n    hold: 60m\n    sides: [right, left]\n"
                                    "    cues: [\"Rest {side}.\"]\n")
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["render", str(script), "--cache-dir", tmp_path / "c"])
    assert result.exit_code == 1
    assert result.output == (f"error: {script}: the full session would last more than 4h "
                             "(its pauses and longest holds alone last 4h00m12s)\n")
    assert not (tmp_path / "c").exists()  # nothing was spoken
    assert time.perf_counter() - started < 5


LONG = """title: Long Rest
poses:
  - name: Rest
    hold: 50m
    cues: ["Rest here. [chime rumble]"]
"""


def write_noise(path: Path, seconds: int) -> None:
    """Quiet noise as a 16-bit WAV: a long sound the encoder must work through (silence
    is not encoded at all)."""
    import wave

    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    noise = np.random.default_rng(7).normal(0, 2000, seconds * 44100).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(noise.tobytes())


def as_in_a_terminal() -> None:
    """Signals as a terminal delivers them: a test run started in the background (nohup,
    `&` in a script) inherits SIGINT and SIGHUP ignored, and a program rightly keeps
    them so."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _group(pid: int) -> int | None:
    """A process's group; None for one that finished since it was listed (a short part's
    encoder often does: a session's parts are encoded one after another)."""
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupted_render_leaves_nothing(tmp_path, sig):
    """A real render, stopped while ffmpeg encodes: exit 130, no output, no temp files."""
    script = write_script(tmp_path, LONG)
    write_noise(tmp_path / "sounds" / "rumble.wav", 8 * 60)  # 8 minutes for LAME to encode
    out = tmp_path / "out"
    earlier = out / "long.mp3"
    out.mkdir()
    earlier.write_bytes(b"an earlier render")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "audio_builder", "render", str(script),
                             "-o", str(earlier)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=as_in_a_terminal)
    deadline = time.monotonic() + 60
    while not list(out.glob(".*.part")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    time.sleep(0.3)  # well inside the encoding of 50 minutes
    encoders = children(proc.pid)
    assert encoders, "the encoders should be running"
    # Ctrl-C reaches the render alone, which stops them: an encoder killed by the same
    # Ctrl-C first would be reported as an encoder failure, exit 1, not 130
    assert all(_group(pid) != proc.pid for pid in encoders)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground group
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert err.decode() == "interrupted; nothing was written\n"
    assert sorted(p.name for p in out.iterdir()) == ["long.mp3"]
    assert earlier.read_bytes() == b"an earlier render"
    cache = Path(os.environ["AUDIO_BUILDER_CACHE_DIR"])
    assert not list(cache.rglob(".tmp-*"))


def test_shipped_scripts_check_quickly():
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["check", *map(str, SHIPPED)])
    assert result.exit_code == 0
    assert time.perf_counter() - started < 10  # a sanity bound, not a benchmark


@pytest.mark.parametrize("name", ["../bell", "/etc/passwd", "bell.wav", "a b"])
def test_sound_names_are_names_not_paths(tmp_path, name):
    script = write_script(tmp_path, f"title: T\nchime: \"{name}\"\nposes:\n  - name: A\n"
                                    "    cues: [\"Rest.\"]\n")
    result = CliRunner().invoke(main, ["check", str(script)])
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:2: 'chime: {name}' is not a sound name; a sound "
                             "is named (letters, digits, '-' or '_'), never given as a path\n")


def test_sound_link_leading_outside_is_refused(tmp_path):
    secret = tmp_path / "secret.wav"
    secret.write_bytes((ROOT / "sounds" / "bell.wav").read_bytes())
    folder = tmp_path / "scripts"
    (folder / "sounds").mkdir(parents=True)
    (folder / "sounds" / "gong.wav").symlink_to(secret)
    script = write_script(folder, "title: T\nchime: gong\nposes:\n  - name: A\n"
                                  "    cues: [\"Rest.\"]\n")
    result = CliRunner().invoke(main, ["check", str(script)])
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:2: sound 'gong' ({folder / 'sounds/gong.wav'}) "
                             "leads outside its sounds folder; copy the file in instead of "
                             "linking it\n")


def test_too_short_a_length_fails_before_speech(tmp_path, tiny):
    result = CliRunner().invoke(main, ["render", str(tiny), "--length", "5s",
                                       "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {tiny}: this script cannot last 5s: its pauses, "
                                    "chimes and shortest holds alone last ")
    assert not (tmp_path / "c").exists()
