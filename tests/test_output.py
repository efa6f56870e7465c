"""Output files: complete or absent, nothing left behind by a render killed outright,
never a file of a render still running, and a full disk said in one line."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import write_script

from audio_builder.errors import ExportError
from audio_builder.pipeline.output import atomic_output, remove_abandoned

LONG = """title: Long Rest
chime: bell
poses:
""" + "".join(f"""  - name: Rest {n}
    hold: {60 + n}s
    cues: ["Rest here."]
""" for n in range(90))
"""Two and a half hours, 90 poses each a chime and a cue, in as many parts: seconds of
encoding on one core, so the kill lands mid-render however busy the machine (two silent
hours took 50 ms, and a stall that long failed the test)."""


def test_a_render_killed_outright_leaves_parts_the_next_render_removes(tmp_path):
    script = write_script(tmp_path, LONG)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "audio_builder", "render", str(script), "-o",
           str(out / "long.mp3")]
    env = dict(os.environ, AUDIO_BUILDER_CACHE_DIR=str(tmp_path / "cache"),
               AUDIO_BUILDER_ENCODERS="1")
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)  # speaks once
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not [p for p in out.iterdir() if p.suffix == ".part" and p.stat().st_size > 4096]:
        assert proc.poll() is None and time.monotonic() < deadline, "the render ended first"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = [p.name for p in out.iterdir() if p.name != "long.mp3"]
    assert left and all(n.endswith(".part") for n in left)  # what kill -9 leaves
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
    assert sorted(p.name for p in out.iterdir()) == ["long.mp3"]


def test_a_live_renders_part_is_never_removed(tmp_path):
    live = tmp_path / ".session.abcd1234.part"
    live.write_bytes(b"\xff\xfb\x70\xc4" + bytes(100))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(live)!r}, os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(30)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        dead = tmp_path / ".session.zz99xx00.part"
        dead.write_bytes(b"\xff\xfb\x70\xc4" + bytes(100))
        assert remove_abandoned(tmp_path) == [dead]
        assert live.exists() and not dead.exists()
    finally:
        holder.kill()
        holder.wait()
    assert remove_abandoned(tmp_path) == [live]  # its render is gone now


@pytest.mark.parametrize("name,content", [
    (".notes.abcd1234.part", b"my own notes"),  # our name, not our content
    ("notes.abcd1234.part", b"\xff\xfb\x70\xc4"),  # not hidden: not our name
    (".x.part", b""),  # no random part: not our name
    ("song.mp3", b"\xff\xfb\x70\xc4"),
])
def test_files_that_are_not_ours_are_left_alone(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    assert remove_abandoned(tmp_path) == []
    assert (tmp_path / name).read_bytes() == content


def test_a_temp_file_is_locked_while_the_render_lives(tmp_path):
    with atomic_output(tmp_path / "a.mp3") as tmp:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        assert remove_abandoned(tmp_path) == []
        tmp.write_bytes(b"done")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp3"]


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB file system (tmpfs), for what a full disk does."""
    if os.geteuid() != 0:
        pytest.fail("this test mounts a small tmpfs and needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                   check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_is_one_line_and_leaves_nothing(small_disk, tiny):
    from click.testing import CliRunner

    from audio_builder.cli import main

    out = small_disk / "tiny.mp3"
    result = CliRunner().invoke(main, ["render", str(tiny), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output == f"error: {out}: no space left on the disk\n"
    assert os.listdir(small_disk) == []


def test_a_full_disk_inside_the_library_too(small_disk):
    with pytest.raises(ExportError) as caught:
        with atomic_output(small_disk / "x.mp3") as tmp:
            with open(tmp, "wb") as f:
                f.write(bytes(1 << 20))
    assert caught.value.one_line() == f"{small_disk / 'x.mp3'}: no space left on the disk"
    assert os.listdir(small_disk) == []


def test_a_fifo_of_our_name_is_passed_over_at_once(tmp_path):
    fifo = tmp_path / ".x.abcdefgh.part"
    os.mkfifo(fifo)
    assert remove_abandoned(tmp_path) == []  # and it did not block on opening it
    assert fifo.exists()


def test_a_new_temp_file_is_never_seen_unlocked(tmp_path):
    """It is made under a name the cleaner ignores, locked, then renamed: another render
    cleaning the folder at that moment cannot take it for abandoned."""
    from audio_builder.pipeline import output

    fd, path = output._locked_temp(tmp_path / "a.mp3")
    try:
        assert output._OURS.fullmatch(path.name)
        assert not output._OURS.fullmatch(path.name[:-len(".part")] + ".new")
        assert remove_abandoned(tmp_path) == [] and path.exists()
    finally:
        os.close(fd)
        path.unlink()


@pytest.mark.parametrize("err,works", [(errno.ENOLCK, True), (errno.EACCES, False)])
def test_a_lock_that_fails(tmp_path, monkeypatch, err, works):
    """A file system without locks: the render goes on; any other failure: one error, and
    neither the temp file nor its descriptor is left."""
    from audio_builder.pipeline import output

    def no_lock(fd, op):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(output.fcntl, "flock", no_lock)
    fds = len(os.listdir("/proc/self/fd"))
    if works:
        with atomic_output(tmp_path / "a.mp3") as tmp:
            tmp.write_bytes(b"done")
        assert (tmp_path / "a.mp3").read_bytes() == b"done"
    else:
        with pytest.raises(ExportError, match="cannot write"):
            with atomic_output(tmp_path / "a.mp3"):
                pass
        assert os.listdir(tmp_path) == []
    assert len(os.listdir("/proc/self/fd")) == fds
