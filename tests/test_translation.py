"""Table tests of script/translation.py: check's findings and bad translations, each with
file and line, and the pure apply (structure from the original, words from the translation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_builder.errors import ScriptError
from audio_builder.script.loader import load_script
from audio_builder.script.model import Pause, Text
from audio_builder.script.translation import (
    apply_translation,
    check_translation,
    load_translation,
    text_hash,
)

ORIGINAL = (
    "title: Rest\n"                                   # 1
    "poses:\n"                                        # 2
    "  - name: Lie Down\n"                            # 3
    "    sides: [right, left]\n"                      # 4
    "    cues:\n"                                     # 5
    '      - "Rest your {side} hand. [pause 2s]"\n'   # 6
    '    switch: "Change sides."\n'                   # 7
)
H_TITLE, H_NAME = text_hash("Rest"), text_hash("Lie Down")
H_CUE, H_SWITCH = text_hash("Rest your {side} hand. [pause 2s]"), text_hash("Change sides.")


def _tr(tmp_path: Path, texts: str, head: str = "translates: rest.yaml\nlanguage: es\n") -> Path:
    (tmp_path / "rest.yaml").write_text(ORIGINAL)
    path = tmp_path / "rest.es.yaml"
    path.write_text(head + "texts:\n" + texts)
    return path


FULL = (f'  title: {{of: {H_TITLE}, text: "Descanso"}}\n'                       # 4
        f'  poses.0.name: {{of: {H_NAME}, text: "Tumbarse"}}\n'                # 5
        f'  poses.0.cues.0: {{of: {H_CUE}, text: "Apoya tu mano {{side}}. [pause 2s]"}}\n'  # 6
        f'  poses.0.switch: {{of: {H_SWITCH}, text: "Cambia de lado."}}\n')   # 7

FINDINGS = [
    ("complete", FULL, []),
    ("missing switch", FULL.replace(FULL.splitlines()[3] + "\n", ""),
     ["rest.es.yaml:1: missing: no text for 'poses.0.switch' (rest.yaml:7)"]),
    ("stale title", FULL.replace(H_TITLE, "00000000"),
     [f"rest.es.yaml:4: stale: 'title' changed in rest.yaml:1 since it was translated "
      f"(now of: {H_TITLE})"]),
    ("marker dropped", FULL.replace(" [pause 2s]\"}", "\"}"),
     ["rest.es.yaml:6: markers: 'poses.0.cues.0' has markers ['{side}'], the original "
      "['{side}', '[pause 2s]']"]),
    ("marker changed", FULL.replace("[pause 2s]\"}", "[pause 3s]\"}"),
     ["rest.es.yaml:6: markers: 'poses.0.cues.0' has markers ['{side}', '[pause 3s]'], "
      "the original ['{side}', '[pause 2s]']"]),
]


@pytest.mark.parametrize(("case", "texts", "expected"), FINDINGS, ids=[c[0] for c in FINDINGS])
def test_check_reports_with_file_and_line(tmp_path: Path, case: str, texts: str,
                                          expected: list[str]) -> None:
    found = check_translation(load_translation(_tr(tmp_path, texts)))
    assert [f.one_line().replace(str(tmp_path) + "/", "") for f in found] == expected


BAD = [
    ("script missing", "translates: gone.yaml\nlanguage: es\n", FULL,
     "rest.es.yaml:1: the script 'gone.yaml' this translates does not exist beside it"),
    ("field the original lacks", "translates: rest.yaml\nlanguage: es\n",
     FULL + f'  outro.0: {{of: {H_TITLE}, text: "Adiós"}}\n',
     "rest.es.yaml:8: 'outro.0' is not a text of rest.yaml (the original lacks it)"),
    ("broken marker", "translates: rest.yaml\nlanguage: es\n",
     FULL.replace("[pause 2s]", "[pausa 2s]"),
     "rest.es.yaml:6: unknown marker [pausa 2s] (did you mean [pause ...]?)"),
    ("bad language", "translates: rest.yaml\nlanguage: Spanish\n", FULL,
     "rest.es.yaml:2: 'language: Spanish' is not a language code like es"),
]


@pytest.mark.parametrize(("case", "head", "texts", "expected"), BAD, ids=[c[0] for c in BAD])
def test_bad_translation_is_one_line(tmp_path: Path, case: str, head: str, texts: str,
                                     expected: str) -> None:
    with pytest.raises(ScriptError) as exc:
        load_translation(_tr(tmp_path, texts, head))
    assert exc.value.one_line().replace(str(tmp_path) + "/", "") == expected


def test_apply_keeps_structure_and_takes_words(tmp_path: Path) -> None:
    path = _tr(tmp_path, FULL)
    script = load_script(tmp_path / "rest.yaml")
    out = apply_translation(script, load_translation(path))
    assert (out.title, out.language, out.poses[0].name) == ("Descanso", "es", "Tumbarse")
    assert out.poses[0].cues[0].tokens == (Text("Apoya tu mano {side}."), Pause(2000))
    assert out.poses[0].hold == script.poses[0].hold
    assert out.poses[0].sides == script.poses[0].sides
    assert script.title == "Rest"  # the original is untouched


def test_cli_check_language_warns_and_strict_fails(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from audio_builder.cli import main

    path = _tr(tmp_path, FULL.replace(H_TITLE, "00000000"))
    script = str(tmp_path / "rest.yaml")
    spanish = ["--language", "es", "--engine", "kokoro", "--voice", "dora"]
    ok = CliRunner(mix_stderr=False).invoke(main, ["check", script, *spanish])
    assert ok.exit_code == 0, ok.stderr
    assert f"warning: {path}:4: stale: 'title' changed in rest.yaml:1" in ok.stderr
    assert "'Descanso'" in ok.stdout  # checked in Spanish: the translated title
    strict = CliRunner(mix_stderr=False).invoke(
        main, ["check", script, "--language", "es", "--strict", "--engine", "kokoro",
                     "--voice", "dora"])
    assert strict.exit_code == 1


def test_cli_check_language_without_translation_is_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from audio_builder.cli import main

    (tmp_path / "rest.yaml").write_text(ORIGINAL)
    result = CliRunner(mix_stderr=False).invoke(
        main, ["check", str(tmp_path / "rest.yaml"), "--language", "fr"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {tmp_path}/rest.fr.yaml")
    assert len(result.stderr.strip().splitlines()) == 1


def test_render_language_es_with_kokoro_fits_exactly(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from audio_builder import RATE
    from audio_builder.cli import main
    from audio_builder.mp3.encode import decode

    (tmp_path / "rest.yaml").write_text(ORIGINAL.replace("    sides:", "    hold: 5s..60s\n"
                                                         "    sides:") + "lengths:\n  quick: 40s\n")
    (tmp_path / "rest.es.yaml").write_text("translates: rest.yaml\nlanguage: es\ntexts:\n" + FULL)
    monkeypatch.chdir(tmp_path)
    result = CliRunner(mix_stderr=False).invoke(main, [
        "render", "rest.yaml", "--language", "es", "--length", "quick",
        "--engine", "kokoro", "--voice", "dora", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "out" / "rest-es-quick.mp3"
    assert len(decode(out)) == 40 * RATE


# -- one session in several languages: spoken, rendered, published --------------------------
SIDED = """title: Hips
poses:
  - name: Knee Hug
    sides: [right, left]
    hold: 2s
    cues:
      - "Hug your {side} knee, and let your {other_side} leg rest."
    switch: "Change sides."
"""


def _es(tmp_path: Path, cue: str = "Abraza la rodilla del lado {side}, y deja descansar "
                                   "la pierna del lado {other_side}.") -> Path:
    from audio_builder.script.translation import originals

    script = tmp_path / "hips.yaml"
    script.write_text(SIDED)
    o = originals(script)
    texts = {"title": "Caderas", "poses.0.name": "Rodilla al pecho",
             "poses.0.cues.0": cue, "poses.0.switch": "Cambia de lado."}
    body = "".join(f'  {k}: {{of: {text_hash(o[k].text)}, text: "{v}"}}\n'
                   for k, v in texts.items())
    (tmp_path / "hips.es.yaml").write_text(
        "translates: hips.yaml\nlanguage: es\nside: {right: derecho, left: izquierdo}\n"
        "texts:\n" + body)
    return script


def test_side_words_are_spoken_in_the_translation(tmp_path):
    from audio_builder.plan import texts_to_speak

    script = _es(tmp_path)
    tr = load_translation(tmp_path / "hips.es.yaml")
    said = texts_to_speak(apply_translation(load_script(script), tr))
    joined = " ".join(said)
    assert "rodilla del lado derecho" in joined and "pierna del lado izquierdo" in joined
    assert "rodilla del lado izquierdo" in joined and "pierna del lado derecho" in joined
    assert "right" not in joined and "left" not in joined


def test_the_tone_check_knows_the_translations_words(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from audio_builder.cli import main

    monkeypatch.delenv("AUDIO_BUILDER_ENGINE")  # Spanish: Kokoro's voice for it

    script = _es(tmp_path, "Debes abrazar la rodilla del lado {side}, y la pierna del lado "
                           "{other_side} descansa.")
    result = CliRunner().invoke(main, ["check", str(script), "--language", "es", "--strict"])
    assert result.exit_code == 1
    assert f"warning: {tmp_path / 'hips.es.yaml'}:7: 'debes' commands rather than " \
           "invites" in result.output
    assert "'must'" not in result.output


def test_render_all_languages_and_the_voice_follows(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from audio_builder.cli import main

    monkeypatch.delenv("AUDIO_BUILDER_ENGINE")  # the language's default voice: Kokoro
    script = _es(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", str(script), "--language", "all"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "hips-full.mp3").exists()
    assert (tmp_path / "out" / "hips-es-full.mp3").exists()
    from audio_builder.pipeline.options import RenderOptions
    from audio_builder.pipeline.render import prepare

    prep = prepare(script, RenderOptions(language="es"))
    assert prep.engine is not None and prep.engine.identity()["engine"] == "kokoro"
    assert prep.script.language == "es" and prep.script.path.name == "hips.es.yaml"


def test_publish_every_language_with_a_switch_and_a_feed_each(tmp_path, browser,
                                                             speech_cache, monkeypatch):
    import feedparser

    from audio_builder.publish.server import serving
    from audio_builder.publish.site import publish
    from audio_builder.speech.cache import Cache

    monkeypatch.delenv("AUDIO_BUILDER_ENGINE")  # each language its default voice
    script = _es(tmp_path)
    site = tmp_path / "site"
    publish([script], site, Cache(speech_cache), "https://example.org/y/",
            languages=("all",))
    en = (site / "hips" / "full.html").read_text()
    es = (site / "hips-es" / "full.html").read_text()
    assert '<html lang="en">' in en and '<html lang="es">' in es
    assert 'href="../hips-es/full.html"' in en and ">Español<" in en
    assert 'href="../hips/full.html"' in es and ">English<" in es
    feeds = {rel: feedparser.parse((site / rel).read_bytes())
             for rel in ("feed.xml", "feed-es.xml")}
    assert feeds["feed.xml"].feed.language == "en"
    assert feeds["feed-es.xml"].feed.language == "es"
    assert [e.title for e in feeds["feed-es.xml"].entries] == ["Caderas"]
    assert [e.title for e in feeds["feed.xml"].entries] == ["Hips"]
    with serving(site) as base:  # the switch works in a real browser
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "hips/full.html")
        page.click("a.language")
        page.wait_for_url("**/hips-es/full.html")
        assert page.inner_text("#title") == "Caderas"
        assert page.evaluate("document.documentElement.lang") == "es"
        context.close()


def test_the_shipped_translations_pass_check_strict(monkeypatch):
    from click.testing import CliRunner
    from conftest import ROOT, TRANSLATIONS

    from audio_builder.cli import main

    assert sorted(p.name for p in TRANSLATIONS) == ["deep-psoas-release.es.yaml",
                                                    "deep-psoas-release.fr.yaml"]
    monkeypatch.delenv("AUDIO_BUILDER_ENGINE")  # each language its default voice
    for lang in ("es", "fr"):
        result = CliRunner().invoke(main, ["check", str(ROOT / "scripts" /
                                                        "deep-psoas-release.yaml"),
                                           "--language", lang, "--strict"])
        assert result.exit_code == 0, result.output
    # a translation named where a script goes is checked as its original in its language
    result = CliRunner().invoke(main, ["check", "--strict", *map(str, TRANSLATIONS)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"ok: {p}: '{t}', 7 poses" for p, t in zip(
            TRANSLATIONS, ["Liberación profunda del psoas", "Libération profonde du psoas"])]
