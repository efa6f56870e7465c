"""The studio (`audio-builder studio`): a teacher writes, hears, records, renders and
publishes from a page. The server on the real uvicorn over real sockets; the page in the
real chromium with its fake microphone; the render decoded and measured."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from browser import ARGS, chromium_path, until
from test_preview import get

from audio_builder import RATE
from audio_builder.ffmpeg import decode_file
from audio_builder.sound.loudness import measure
from audio_builder.speech.cache import Cache
from audio_builder.studio import document
from audio_builder.studio.app import make_app
from audio_builder.studio.folder import Conflict, Folder, FolderError
from audio_builder.studio.takes import save_take
from audio_builder.studio.voice import wav_bytes
from audio_builder.web.serve import serving

ROOT = Path(__file__).resolve().parent.parent
PSOAS = ROOT / "scripts" / "deep-psoas-release.yaml"
SECRET = "studio-test-key"

COMMENTED = """\
# my morning session: keep it short
title: Morning   # the name students see
breath: 4s
poses:
  # the first pose, always
  - name: Easy Seat
    hold: 5s..10s
    cues:
      - "Find a comfortable seat."   # softly
      - "Let your breath settle."
"""


# -- the YAML round trip ------------------------------------------------------------------
def test_an_edit_changes_only_what_it_edits_and_keeps_every_comment():
    text = PSOAS.read_text()
    new = document.edit(text, [{"op": "set", "path": ["poses", 1, "cues", 1],
                                "value": "If you like, draw your {side} knee in."}])
    old_lines, new_lines = text.splitlines(), new.splitlines()
    changed = [n for n, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    assert len(old_lines) == len(new_lines) and len(changed) == 1
    assert new_lines[changed[0]] == '      - "If you like, draw your {side} knee in."'
    assert "# the p is silent" in new


def test_structural_edits_keep_comments_and_order():
    new = document.edit(COMMENTED, [
        {"op": "insert", "path": ["poses", 1],
         "value": {"name": "Child's Pose", "hold": "10s", "cues": ["Rest here."]}},
        {"op": "move", "path": ["poses", 1], "to": 0},
        {"op": "insert", "path": ["poses", 1, "cues", 2], "value": "Stay as long as you like."},
        {"op": "set", "path": ["poses", 1, "hold"], "value": "6s..12s"},
    ])
    for comment in ("# my morning session: keep it short", "# the name students see",
                    "# softly", "# the first pose, always"):
        assert comment in new
    model = document.model(document.parse(new))
    assert [p["name"] for p in model["poses"]] == ["Child's Pose", "Easy Seat"]
    assert [c["text"] for c in model["poses"][1]["cues"]] == [
        "Find a comfortable seat.", "Let your breath settle.", "Stay as long as you like."]
    assert model["poses"][1]["hold"] == "6s..12s"
    assert new.splitlines()[:3] == COMMENTED.splitlines()[:3]


def test_the_model_gives_each_cue_its_line_as_check_reports_it():
    model = document.model(document.parse(COMMENTED))
    assert [c["line"] for c in model["poses"][0]["cues"]] == [9, 10]
    assert model["poses"][0]["lines"]["hold"] == 7


@pytest.mark.parametrize("ops", [
    [{"op": "set", "path": ["poses", 9, "name"], "value": "x"}],
    [{"op": "remove", "path": ["poses", 5]}],
    [{"op": "explode", "path": ["title"]}],
    [{"op": "set", "path": [], "value": "x"}],
    [{"op": "set", "path": ["title"], "value": {"a": object()}}],
    "not a list",
])
def test_an_edit_that_does_not_fit_is_refused(ops):
    with pytest.raises(document.EditError):
        document.edit(COMMENTED, ops)  # type: ignore[arg-type]


# -- the folder ---------------------------------------------------------------------------
def test_a_save_keeps_the_previous_version_and_refuses_after_an_outside_edit(tmp_path):
    folder = Folder(tmp_path)
    v1 = folder.create("morning.yaml", "Morning")
    text, version = folder.read("morning.yaml")
    assert version == v1 and 'title: "Morning"' in text
    v2 = folder.save("morning.yaml", text.replace("Morning", "Dawn"), v1)
    assert (tmp_path / ".morning.yaml.bak").read_text() == text
    (tmp_path / "morning.yaml").write_text("title: edited elsewhere\n")  # another editor
    with pytest.raises(Conflict):
        folder.save("morning.yaml", "title: from the page\n", v2)
    assert (tmp_path / "morning.yaml").read_text() == "title: edited elsewhere\n"
    with pytest.raises(Conflict):
        folder.create("morning.yaml", "Again")  # never replaces a file


@pytest.mark.parametrize("name", ["../escape.yaml", "/etc/passwd", "a/b.yaml", ".hidden.yaml",
                                  "x.es.yaml", "notes.txt", "", "a" * 200 + ".yaml"])
def test_the_folder_takes_names_never_paths(tmp_path, name):
    with pytest.raises(FolderError):
        Folder(tmp_path).script(name)


def test_a_take_is_decoded_checked_and_kept_beside_earlier_ones(tmp_path):
    folder = Folder(tmp_path)
    t = np.arange(RATE * 2) / RATE
    voice = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    webm = tmp_path / "take.webm"
    (tmp_path / "take.wav").write_bytes(wav_bytes(voice))
    subprocess.run([_ffmpeg(), "-v", "error", "-i", str(tmp_path / "take.wav"), "-c:a",
                    "libopus", str(webm)], check=True)
    first = save_take(folder, "morning-intro-1", webm.read_bytes(), "audio/webm;codecs=opus")
    second = save_take(folder, "morning-intro-1", webm.read_bytes(), "audio/webm")
    assert (first.name, second.name) == ("morning-intro-1-take1", "morning-intro-1-take2")
    kept = decode_file(tmp_path / "sounds" / "morning-intro-1-take2.wav", RATE)
    assert abs(len(kept) / RATE - 2.0) < 0.05
    with pytest.raises(FolderError, match="silent"):
        save_take(folder, "morning-intro-1", wav_bytes(np.zeros(RATE, np.float32)), "audio/wav")
    with pytest.raises(FolderError, match="decoded"):
        save_take(folder, "morning-intro-1", b"not audio at all", "audio/webm")
    assert sorted(p.name for p in (tmp_path / "sounds").iterdir()) == [
        "morning-intro-1-take1.wav", "morning-intro-1-take2.wav"]


def _ffmpeg() -> str:
    from audio_builder.ffmpeg import ffmpeg_exe

    return ffmpeg_exe()


# -- the server: what it refuses ------------------------------------------------------------
@pytest.fixture
def studio(tmp_path: Path, speech_cache: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "teacher"
    folder.mkdir()
    (folder / "morning.yaml").write_text(COMMENTED)
    (tmp_path / "secret.yaml").write_text("title: not hers to read\n")
    with serving(make_app(folder, Cache(speech_cache), SECRET)) as base:
        yield base, folder


def call(base: str, path: str, body: Any = None, method: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    import http.client

    method = method or ("GET" if body is None else "POST")
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    sent = {"X-Key": SECRET, **(headers or {})}
    data = None if body is None else json.dumps(body)
    if data is not None:
        sent["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=sent)
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    try:
        return r.status, json.loads(raw)
    except ValueError:
        return r.status, raw


@pytest.mark.parametrize("headers", [
    {"X-Key": ""}, {"X-Key": "guess"}, {"Host": "evil.example"},
    {"Origin": "https://evil.example"}, {"Host": "127.0.0.1:1"}])
def test_a_request_without_the_key_or_from_elsewhere_is_refused(studio, headers):
    base, folder = studio
    port = urlsplit(base).port
    sent = {k: v.format(port=port) for k, v in headers.items()}
    status, _ = call(base, "/api/session/morning.yaml", {"text": "title: x\n", "version":
                     "0"}, "PUT", sent)
    assert status == 403
    assert get(base, "/api/sessions")[0] == 403  # no key at all
    assert (folder / "morning.yaml").read_text() == COMMENTED


@pytest.mark.parametrize("path", ["/api/session/..%2Fsecret.yaml", "/files/../secret.yaml",
                                  "/files/..%2Fsecret.yaml", "/files/.morning.yaml.bak",
                                  "/api/session/%2Fetc%2Fpasswd"])
def test_nothing_outside_the_folder_is_read(studio, path):
    base, _ = studio
    status, body = call(base, path)
    assert status in (400, 404)
    assert b"not hers" not in (body if isinstance(body, bytes) else json.dumps(body).encode())


def test_a_save_after_an_outside_edit_is_refused_and_the_edit_kept(studio):
    base, folder = studio
    status, doc = call(base, "/api/session/morning.yaml")
    assert status == 200 and doc["text"] == COMMENTED
    status, edited = call(base, "/api/edit", {"text": doc["text"], "ops": [
        {"op": "set", "path": ["poses", 0, "name"], "value": "Easy Seat, eyes soft"}]})
    assert status == 200, edited
    (folder / "morning.yaml").write_text(COMMENTED + "# added in another editor\n")
    status, body = call(base, "/api/session/morning.yaml",
                        {"text": edited["text"], "version": doc["version"]}, "PUT")
    assert status == 409 and body["conflict"]
    assert (folder / "morning.yaml").read_text().endswith("# added in another editor\n")
    again = call(base, "/api/session/morning.yaml")[1]
    status, body = call(base, "/api/session/morning.yaml",
                        {"text": edited["text"], "version": again["version"]}, "PUT")
    assert status == 200
    saved = (folder / "morning.yaml").read_text()
    assert "Easy Seat, eyes soft" in saved and "# softly" in saved
    assert (folder / ".morning.yaml.bak").read_text().endswith("# added in another editor\n")


def test_check_gives_the_errors_and_warnings_of_check_at_their_lines(studio, tmp_path):
    base, folder = studio
    bad = COMMENTED.replace("Let your breath settle.", "Let your breath settle. [pause soon]")
    status, body = call(base, "/api/check", {"name": "morning.yaml", "text": bad})
    assert status == 200
    (error,) = body["findings"]
    assert error["level"] == "error" and error["line"] == 10
    (tmp_path / "bad.yaml").write_text(bad)
    cli = subprocess.run([sys.executable, "-m", "audio_builder", "check",
                          str(tmp_path / "bad.yaml")], capture_output=True, text=True)
    assert error["message"] in cli.stderr  # the same words as the command line
    bossy = COMMENTED.replace("Find a comfortable seat.", "You must sit still.")
    body = call(base, "/api/check", {"name": "morning.yaml", "text": bossy})[1]
    assert any(f["level"] == "warning" and f["line"] == 9 and "must" in f["message"]
               for f in body["findings"])
    full = body["lengths"][0]
    assert full["name"] == "full" and "<svg" in full["timeline"] and full["plan"]["total"] > 0


def test_a_cue_is_proofed_beside_it_as_proof_hears_it(studio):
    base, folder = studio
    text = COMMENTED.replace("Find a comfortable seat.", "Let your knees xyzzyq gently.")
    text = text.replace("Let your breath settle.", "Let your breath be easy and slow.")
    status, body = call(base, "/api/proof", {"name": "morning.yaml", "text": text,
                                             "where": ["poses", 0, "cues", 0]})
    assert status == 200, body
    (odd,) = body["sentences"]
    assert odd["marked"] == "Let your knees [xyzzyq] gently." and odd["errors"] >= 1
    body = call(base, "/api/proof", {"name": "morning.yaml", "text": text,
                                     "where": ["poses", 0, "cues", 1]})[1]
    assert [(s["text"], s["errors"]) for s in body["sentences"]] == [
        ("Let your breath be easy and slow.", 0)]


def test_a_hostile_script_stays_text_in_the_studio(studio, browser):
    base, folder = studio
    hostile = COMMENTED.replace("title: Morning", 'title: "<img src=x onerror=alert(1)>"')
    hostile = hostile.replace("Easy Seat", "<script>window.pwned=1</script>")
    (folder / "morning.yaml").write_text(hostile)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}?key={SECRET}")
    page.wait_for_selector("body[data-ready]")
    assert page.input_value("[data-path='[\"title\"]']") == "<img src=x onerror=alert(1)>"
    assert page.evaluate("window.pwned") is None
    assert page.locator("#sessions img").count() == 0
    assert not errors
    context.close()


# -- end to end, as a teacher uses it ---------------------------------------------------------
@pytest.fixture(scope="module")
def mic_browser(tmp_path_factory: pytest.TempPathFactory, playwright: Any) -> Iterator[Any]:
    """A chromium whose microphone plays a spoken sentence (the real Piper voice)."""
    from audio_builder.speech.engines import EngineOptions, make_engine

    engine = make_engine("piper", EngineOptions())
    spoken = next(iter(engine.speak(["Welcome. This is my own voice, recorded for you."])))
    from scipy.signal import resample_poly

    samples = resample_poly(spoken.samples, 48000, spoken.rate).astype(np.float32)
    pad = np.zeros(48000 // 2, np.float32)  # room sound before and after: trimmed away
    wav = tmp_path_factory.mktemp("mic") / "voice.wav"
    import wave

    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        pcm = np.concatenate([pad, samples, pad, pad, pad])
        w.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    b = playwright.chromium.launch(executable_path=chromium_path(), args=[
        *ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}"])
    yield b
    b.close()


def test_a_teacher_makes_a_session_in_the_page(tmp_path, speech_cache, mic_browser):
    folder = tmp_path / "studio"
    folder.mkdir()
    with serving(make_app(folder, Cache(speech_cache), SECRET)) as base:
        context = mic_browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}?key={SECRET}")
        page.wait_for_selector("body[data-ready]")

        # 1. a new session from the template
        page.fill("#new-title", "Morning Ease")
        page.click("#new-session button[type=submit]")
        page.wait_for_selector("#doc-name:text('morning-ease.yaml')")
        assert (folder / "morning-ease.yaml").exists()

        # 2. a pose and a cue, added in the form
        page.click("text=+ Add a pose")
        name = page.locator("[data-path='[\"poses\",1,\"name\"]']")
        name.wait_for()
        name.fill("Cat and Cow")
        cue = page.locator("[data-path='[\"poses\",1,\"cues\",0]']")
        cue.fill("If it feels right, come onto your hands and knees. [pause soon]")

        # 3. an error at its cue, gone when fixed
        error = page.locator(".cue:has([data-path='[\"poses\",1,\"cues\",0]']) .finding.error")
        error.wait_for(timeout=15000)
        assert "pause" in error.inner_text()
        assert page.is_disabled("#render")
        cue.fill("If it feels right, come onto your hands and knees. [pause 2s]")
        error.wait_for(state="detached", timeout=15000)
        assert page.is_enabled("#render")

        # 4. hear a cue
        page.locator(".cue:has([data-path='[\"poses\",1,\"cues\",0]']) .hear").click()
        until(page, "window.studioPlayer.src.startsWith('blob:') && "
                    "window.studioPlayer.duration > 1", 30)

        # 4b. proof it: what an offline recogniser hears, beside the cue
        page.locator(".cue:has([data-path='[\"poses\",1,\"cues\",0]']) .proof").click()
        page.wait_for_selector(".proofed .heard", timeout=60000)

        # 5. record the welcome in her own voice (the fake microphone)
        page.locator(".cue:has([data-path='[\"intro\",0]']) .record").click()
        page.wait_for_selector("#prompter:not([hidden])")
        assert "Welcome" in page.inner_text("#prompter-text")
        page.wait_for_timeout(4500)
        page.keyboard.press("Escape")
        page.wait_for_selector("#prompter", state="hidden", timeout=20000)
        page.wait_for_selector("#save-state:text-is('saved')")
        saved = (folder / "morning-ease.yaml").read_text()
        assert "recording: morning-ease-intro-1-take1" in saved
        assert "Cat and Cow" in saved and "# A new session" in saved
        assert (folder / "sounds" / "morning-ease-intro-1-take1.wav").exists()

        # 6. the timeline, then render from the page
        page.wait_for_selector("#length-timeline svg")
        page.select_option("#length", "full")
        page.click("#render")
        page.wait_for_selector("#job-state:text('Rendered')", timeout=120000)
        until(page, "document.getElementById('result-audio').duration > 10")
        chapters = page.locator("#result-chapters .seek")
        assert chapters.count() == 4  # Welcome, Easy Seat, Cat and Cow, Closing
        chapters.nth(2).click()
        until(page, "document.getElementById('result-audio').currentTime > 1")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ROOT / "docs" / "studio.png"))

        # 7. publish from the page: the site is in the folder, its page served back
        page.click("#publish")
        page.wait_for_selector("#job-state:text('Published')", timeout=120000)
        assert (folder / "site" / "morning-ease" / "full.html").exists()
        href = page.get_attribute("#result-links a", "href")
        assert href == "/files/site/morning-ease/full.html"
        assert not errors, errors
        context.close()

    # the render is the command line's: same bytes, and her voice at its planned time
    mp3 = folder / "out" / "morning-ease-full.mp3"
    again = tmp_path / "cli.mp3"
    subprocess.run([sys.executable, "-m", "audio_builder", "render",
                    str(folder / "morning-ease.yaml"), "-o", str(again)], check=True,
                   capture_output=True, cwd=folder)
    assert again.read_bytes() == mp3.read_bytes()
    plan = json.loads(subprocess.run([sys.executable, "-m", "audio_builder", "plan",
                                      str(folder / "morning-ease.yaml"), "--json"],
                                     check=True, capture_output=True, text=True).stdout)
    speech = [e for e in plan["events"] if e["kind"] == "speech"]
    mine = speech[0]
    assert mine["start"] > 0 and mine.get("recording")
    audio = decode_file(mp3, RATE)
    own = audio[mine["start"]: mine["start"] + mine["length"]]
    before = audio[max(0, mine["start"] - RATE // 2): mine["start"] - RATE // 20]
    assert np.sqrt(np.mean(own ** 2)) > 30 * max(np.sqrt(np.mean(before ** 2)), 1e-6)
    synthetic = speech[1]
    theirs = audio[synthetic["start"]: synthetic["start"] + synthetic["length"]]
    assert abs(measure(own)[0] - measure(theirs)[0]) < 3.0  # at the voice's level


def test_an_unsaved_edit_survives_a_reload(studio, browser):
    base, folder = studio
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}?key={SECRET}")
    page.wait_for_selector("body[data-ready]")
    page.fill("[data-path='[\"poses\",0,\"name\"]']", "Easy Seat, unsaved")
    page.wait_for_selector("#save-state:text('unsaved changes')")
    page.wait_for_timeout(800)  # the edit reaches the text (debounced)
    page.reload()
    page.wait_for_selector("body[data-ready]")
    assert page.input_value("[data-path='[\"poses\",0,\"name\"]']") == "Easy Seat, unsaved"
    assert "restored" in page.inner_text("#banner")
    assert (folder / "morning.yaml").read_text() == COMMENTED  # not saved until she saves
    page.click("#save")
    page.wait_for_selector("#save-state:text-is('saved')")
    assert "Easy Seat, unsaved" in (folder / "morning.yaml").read_text()
    context.close()


def test_the_command_starts_on_loopback_and_prints_its_keyed_address(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "audio_builder", "studio", str(tmp_path),
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith(f"studio for {tmp_path.resolve()} at http://127.0.0.1:")
        url = line.split(" at ")[1].split(" ")[0]
        key = url.split("?key=")[1]
        assert len(key) >= 24
        parts = urlsplit(url)
        base = f"http://127.0.0.1:{parts.port}/"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                status, _, body = get(base, f"/?key={key}")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200 and b"Studio" in body
        assert get(base, "/")[0] == 403
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_flow_is_edited_and_heard_in_the_form(studio, browser):
    base, folder = studio
    flow = (ROOT / "scripts" / "morning-flow.yaml").read_text()
    (folder / "flow.yaml").write_text(flow)
    body = call(base, "/api/session/flow.yaml")[1]
    sun = body["model"]["poses"][0]
    assert sun["flow"] == "Sun Salutation" and sun["rounds"] == "3..5"
    assert [c["text"] for c in sun["movements"][1]["cues"]] == [
        "Breathing out, fold, knees soft.", "Exhale, fold."]
    status, wav = call(base, "/api/hear", {"name": "flow.yaml", "text": flow,
                                           "where": ["poses", 0, "movements", 1, "cues", 1]})
    assert status == 200 and wav[:4] == b"RIFF" and len(wav) > RATE  # half a second or more
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}?key={SECRET}&session=flow.yaml")
    page.wait_for_selector("body[data-ready]")
    rounds = page.locator("[data-path='[\"poses\",0,\"rounds\"]']")
    assert rounds.input_value() == "3..5"
    rounds.fill("2..4")
    page.wait_for_selector("#save-state:text-is('unsaved changes')")
    page.click("#save")
    page.wait_for_selector("#save-state:text-is('saved')")
    saved = (folder / "flow.yaml").read_text()
    assert "    rounds: 2..4\n" in saved
    assert saved.replace("rounds: 2..4", "rounds: 3..5") == flow  # nothing else moved
    context.close()
