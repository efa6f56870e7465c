"""The command line: parses, calls the library, and maps its errors to exit codes here only."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from .errors import AudioBuilderError
from .pipeline.options import BITRATES, DEFAULT_BITRATE, RenderOptions
from .speech.engines import engine_names

ENGINE_NAMES = list(engine_names())

EXIT_ERROR, EXIT_INTERRUPTED = 1, 130


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def handles_errors(fn: Callable) -> Callable:
    """One line on stderr and exit 1 for our errors; 130 (cleaned up) on Ctrl-C, SIGTERM
    or SIGHUP."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        def on_term(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        for sig in (signal.SIGTERM, signal.SIGHUP):  # a closed terminal cleans up too
            if signal.getsignal(sig) != signal.SIG_IGN:  # nohup: keep ignoring it
                signal.signal(sig, on_term)
        try:
            return fn(*args, **kwargs)
        except AudioBuilderError as exc:
            _fail(exc.one_line())
        except OSError as exc:  # the machine, not the script: still one line
            _fail(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def _cache(cache_dir: Path | None, no_cache: bool):
    from .speech.cache import Cache, default_dir

    return Cache(cache_dir or default_dir(), enabled=not no_cache)


cache_option = click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                            help="Where synthesized speech is cached "
                                 "(default: the user cache folder, or $AUDIO_BUILDER_CACHE_DIR).")
no_cache_option = click.option("--no-cache", is_flag=True,
                               help="Neither read nor write the speech cache.")
length_option = click.option("--length", "lengths", multiple=True, default=("full",),
                             show_default=True, metavar="full|NAME|DURATION",
                             help="full, a length named in the script, or a duration "
                                  "like 10m; repeat to make several versions in one run.")
voice_options = [
    click.option("--engine", type=click.Choice(ENGINE_NAMES),
                 help="Speech engine (default: the script's, else piper)."),
    click.option("--voice", help="Engine voice: piper 'joe' (bundled) or a .onnx path; "
                                 "kokoro heart, michael, emma, ... (alone, a Kokoro voice "
                                 "name picks kokoro)."),
    click.option("--speed", type=click.FloatRange(0.5, 2.0), help="Speaking rate, 0.5..2.0."),
    click.option("--pace", metavar="calm|steady|NNNwpm|off",
                 help="Words a minute each cue keeps, by rests between its sentences "
                      "(default: the script's, else calm = 130)."),
]


def with_voice_options(fn: Callable) -> Callable:
    for opt in reversed(voice_options):
        fn = opt(fn)
    return fn


between_options = [
    click.option("--ambience", metavar="NAME|none",
                 help="A sound bed under the session (e.g. rain, ocean), or none; "
                      "default: the script's."),
    click.option("--breath-guide", is_flag=True, default=None,
                 help="Sound each inhale and exhale of holds counted in breaths."),
]


def with_between_options(fn: Callable) -> Callable:
    for opt in reversed(between_options):
        fn = opt(fn)
    return fn


def _warn_tone(script: Any) -> list:
    """Print, one line each, where a cue commands instead of inviting (render and check)."""
    from .script.speech_fields import tone_warnings

    warnings = tone_warnings(script)
    for w in warnings:
        click.echo(f"warning: {script.path}:{w.line}: {w.message}", err=True)
    return warnings


class _Lower(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="audio-builder")
@click.option("-v", "--verbose", is_flag=True, help="Say more about what happens.")
def main(verbose: bool) -> None:
    """Turn yoga pose scripts into guided audio sessions (MP3)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Lower())
    root = logging.getLogger("audio_builder")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


@main.command()
@click.argument("script", type=click.Path(dir_okay=False, path_type=Path))
@length_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output MP3 (default: out/<script>-<length>.mp3).")
@with_voice_options
@click.option("--bitrate", default=DEFAULT_BITRATE, show_default=True,
              type=click.Choice(BITRATES))
@click.option("--loudness", type=click.FloatRange(-30, -10), default=-19.0, show_default=True,
              metavar="LUFS", help="Integrated loudness of the file (mono: -19 sounds like "
                                   "-16 stereo on headphones).")
@click.option("--transcript", is_flag=True, help="Also write a WebVTT transcript beside it.")
@cache_option
@no_cache_option
@with_between_options
@click.option("--language", default=None, metavar="LANG|all",
              help="Speak the translation NAME.LANG.yaml beside SCRIPT "
                   "(out/NAME-LANG-LENGTH.mp3); all: the script and every translation.")
@handles_errors
def render(script: Path, lengths: tuple[str, ...], output: Path | None, cache_dir: Path | None,
           no_cache: bool, language: str | None, **chosen: Any) -> None:
    """Render SCRIPT to an MP3 guided session."""
    from . import RATE
    from .pipeline.output import check_writable
    from .pipeline.render import default_output, pace_warnings, prepare
    from .pipeline.session import Session, speak
    from .script.durations import clock
    from .script.translation import languages_of

    languages: list[str | None] = [language]
    if language == "all":  # the script and every translation beside it
        languages = [None, *languages_of(script)]
    if output and (len(lengths) > 1 or len(languages) > 1):
        raise click.UsageError("-o names one file; leave it out to render several lengths "
                               "or languages")
    started = time.perf_counter()
    cache = _cache(cache_dir, no_cache)
    preps = [prepare(script, RenderOptions(**chosen, language=lang),
                     tuple(dict.fromkeys(lengths)), cache=cache) for lang in languages]
    for lang, prep in zip(languages, preps):  # every error of every language, first
        _warn_tone(prep.script)
        for c in prep.lengths:
            check_writable(output or default_output(script, f"{lang}-" * bool(lang) + c.name))
    for lang, prep in zip(languages, preps):
        outs = [output or default_output(script, f"{lang}-" * bool(lang) + c.name)
                for c in prep.lengths]
        session = Session(prep, speak(prep, cache))
        for line, message in pace_warnings(prep, session.speech.cache):
            click.echo(f"warning: {prep.script.path}:{line}: {message}", err=True)
        plans = [session.plan(choice) for choice in session.lengths]
        for plan, out in zip(plans, outs):
            loudness = session.write(plan, out)
            note = f"; left out: {', '.join(plan.dropped)}" if plan.dropped else ""
            click.echo(f"wrote {out} ({clock(plan.total / RATE)}{note}; {loudness.summary()})"
                       f" in {time.perf_counter() - started:.1f}s")


@main.command()
@click.argument("script", type=click.Path(dir_okay=False, path_type=Path))
@length_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@with_voice_options
@cache_option
@no_cache_option
@with_between_options
@click.option("--language", default=None, metavar="LANG",
              help="Plan the translation NAME.LANG.yaml beside SCRIPT.")
@handles_errors
def plan(script: Path, lengths: tuple[str, ...], as_json: bool, cache_dir: Path | None,
         no_cache: bool, language: str | None, **chosen: Any) -> None:
    """Show the timeline of SCRIPT without writing audio.

    Speech durations come from the cache; what is missing is synthesized (and cached).
    """
    from .pipeline.session import open_session
    from .plan.table import plan_table

    if as_json and len(lengths) > 1:
        raise click.UsageError("--json prints one plan; give one --length")
    session = open_session(script, RenderOptions(**chosen, language=language), lengths,
                           _cache(cache_dir, no_cache))
    for choice in session.lengths:
        p = session.plan(choice)
        if as_json:
            click.echo(p.to_json())
        else:
            click.echo(plan_table(p))


def _translation_findings(path: Path, language: str | None) -> list[str]:
    """check --language: what the translation misses, what went stale, markers that differ."""
    from .script.translation import check_translation, load_translation, translation_path

    if not language:
        return []
    tr = load_translation(translation_path(path, language))
    return [f.one_line() for f in check_translation(tr)]


@main.command()
@click.argument("scripts", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@with_voice_options
@cache_option
@with_between_options
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--language", default=None, metavar="LANG",
              help="Check the translation SCRIPT-minus-.yaml.LANG.yaml too (missing, stale, "
                   "markers).")
@handles_errors
def check(scripts: tuple[Path, ...], cache_dir: Path | None, strict: bool,
          language: str | None, **chosen: Any) -> None:
    """Validate SCRIPTS without synthesizing any speech.

    Named lengths are checked exactly when the script's speech is cached, else against
    the script's pauses, chimes and shortest holds. Cues that command instead of
    inviting are warned about (the words are in audio_builder/script/tone.yaml).
    """
    from .pipeline.render import check_named_lengths, pace_warnings, prepare
    from .script.translation import as_translation

    failed = 0
    for given in scripts:
        path, named = as_translation(given)  # a translation: its original, in its language
        lang = named or language
        try:
            prep = prepare(path, RenderOptions(**chosen, language=lang))
            check_named_lengths(prep, _cache(cache_dir, False))
            paced = pace_warnings(prep, _cache(cache_dir, False))
            found = _translation_findings(path, lang)
        except AudioBuilderError as exc:
            click.echo(f"error: {exc.one_line()}", err=True)
            failed += 1
            continue
        s = prep.script
        warnings = _warn_tone(s) + paced + found
        for finding in found:
            click.echo(f"warning: {finding}", err=True)
        for line, message in paced:
            click.echo(f"warning: {s.path}:{line}: {message}", err=True)
        if strict and warnings:
            failed += 1
            continue
        click.echo(f"ok: {given}: '{s.title}', {len(s.poses)} poses")
    if failed:
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("script", type=click.Path(dir_okay=False, path_type=Path))
@with_voice_options
@cache_option
@click.option("--strict", is_flag=True,
              help="Exit 1 when a cue has more than a quarter of its words heard otherwise.")
@click.option("--no-suggest", is_flag=True, help="Do not try respellings (faster).")
@handles_errors
def proof(script: Path, cache_dir: Path | None, strict: bool, no_suggest: bool,
          **chosen: Any) -> None:
    """Hear every cue of SCRIPT with an offline recogniser; list the cues heard otherwise
    than written, with respellings to try in pronounce:."""
    from .pipeline.progress import terminal
    from .pipeline.render import prepare, speak
    from .proof.hear import Recogniser
    from .proof.listen import STRICT_WER
    from .proof.listen import proof as hear_all

    recogniser = Recogniser()
    recogniser.check()  # a missing model: one line, before any speech
    prep = prepare(script, RenderOptions(**chosen))
    if prep.script.language.split("-")[0].lower() != "en":
        raise click.UsageError(f"proof hears English only (its model is Whisper tiny.en); "
                               f"the script's language is {prep.script.language}")
    speech = speak(prep, _cache(cache_dir, False))
    errors = words = failing = 0
    total = len(speech.infos) + len(prep.recordings)
    with terminal().stage("Hearing", total) as advance:
        results = list(hear_all(prep, speech, recogniser, not no_suggest, advance))
    for r in results:
        errors += r.heard.errors
        words += r.heard.words
        if not r.differs:
            continue
        failing += r.heard.wer > STRICT_WER
        who = f" (recorded: {r.recording})" if r.recording else ""
        click.echo(f"{script}:{r.line or '?'}: {r.heard.marked}{who}")
        click.echo(f"  heard: {r.heard.heard.strip()}")
        for s in r.suggestions:
            fix = (f"say it as written: remove '{s.word}' from pronounce:" if s.respelling is None
                   else f"pronounce: {{{s.word}: {s.respelling}}}")
            click.echo(f"  try: {fix} (heard: {s.heard.strip()})")
        if r.tried and not r.suggestions:
            click.echo(f"  tried {', '.join(r.tried)}: none was heard as written")
    differ = sum(r.differs for r in results)
    click.echo(f"proof: {len(results)} cues, {words} words; {differ} cues heard otherwise; "
               f"{100 * errors / max(words, 1):.1f}% word errors")
    if strict and failing:
        sys.exit(EXIT_ERROR)


@main.command()
def voices() -> None:
    """Engines and voices available here."""
    from .speech.engines import engine_info

    for name, description in engine_names().items():
        info = engine_info(name)
        click.echo(f"{name}: {description}")
        if len(set(info.voices.values())) == 1 and len(info.voices) > 1:  # gTTS's accents
            click.echo(f"  voices ({next(iter(info.voices.values()))}): "
                       f"{', '.join(info.voices)}, ...")
        else:
            for voice, about in info.voices.items():
                click.echo(f"  voice '{voice}': {about}")
        click.echo(f"  languages ({len(info.languages)}): {', '.join(info.languages)}")


@main.command()
@click.argument("script", required=False, type=click.Path(dir_okay=False, path_type=Path))
def sounds(script: Path | None) -> None:
    """Sounds available for chimes and beds (to SCRIPT, if given: its sounds/ first)."""
    from .sound.named import available

    for name, path in available(script).items():
        click.echo(f"{name}\t{path}")


@main.group()
def cache() -> None:
    """The speech cache."""


@cache.command("info")
@cache_option
def cache_info(cache_dir: Path | None) -> None:
    """Where the cache is, how many entries, how big."""
    c = _cache(cache_dir, False)
    n, size = c.info()
    click.echo(f"location: {c.root}\nentries: {n}\nsize: {size / 1e6:.1f} MB\n"
               f"models: {c.models_size() / 1e6:.1f} MB")


@cache.command("clear")
@cache_option
def cache_clear(cache_dir: Path | None) -> None:
    """Remove every cached speech clip, and the joined voice model (made again from its
    installed packages when next needed)."""
    n, models = _cache(cache_dir, False).clear()
    more = f" and the joined voice model ({models / 1e6:.0f} MB)" if models else ""
    click.echo(f"removed {n} entries{more}")


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .publish.site import check_base_url

    if value is None:
        return None
    try:
        return check_base_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _every(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """--lengths-every DURATION, in samples; at least a minute apart."""
    from .script.durations import ms_to_samples, parse_ms

    if value is None:
        return None
    try:
        ms = parse_ms(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if ms < 60_000:
        raise click.BadParameter(f"{value}: lengths at least a minute apart (e.g. 5m)")
    return ms_to_samples(ms)


@main.command()
@click.argument("scripts", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "site", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The site's folder (made if missing; only files publish wrote are replaced).")
@click.option("--base-url", callback=_base_url, metavar="URL",
              help="Where the site will be hosted (http or https); writes feed.xml.")
@click.option("--length", "lengths", multiple=True, metavar="full|NAME|DURATION",
              help="Lengths to publish (default: full and every length the script names).")
@click.option("--title", help="The site's and the feed's title (default: Guided practice).")
@click.option("--lengths-every", "every", callback=_every, metavar="DURATION",
              help="Also publish lengths this far apart (e.g. 5m), from the shortest each "
                   "script can take to full, for the page's \"how long do you have?\" "
                   "(the feed lists only the named lengths).")
@click.option("--language", "languages", multiple=True, metavar="LANG|all",
              help="Also publish each script's translation NAME.LANG.yaml (all: every one "
                   "beside it): its own pages, a switch between languages, a feed each.")
@cache_option
@handles_errors
def publish(scripts: tuple[Path, ...], site: Path, base_url: str | None,
            lengths: tuple[str, ...], title: str | None, every: int | None,
            languages: tuple[str, ...], cache_dir: Path | None) -> None:
    """Publish SCRIPTS as a static site (pages, offline app, podcast feed) in SITE.

    Re-publishing encodes again only the sessions that changed.
    """
    from .publish.site import publish as publish_site

    started = time.perf_counter()
    try:
        done = publish_site(list(dict.fromkeys(scripts)), site, _cache(cache_dir, False),
                            base_url, lengths, title, say=lambda m: click.echo(m, err=True),
                            every=every, languages=("all",) if "all" in languages
                            else tuple(dict.fromkeys(languages)))
    except KeyboardInterrupt:  # each file is whole or absent, and the record says which
        click.echo(f"interrupted; {site} keeps the sessions finished so far", err=True)
        sys.exit(EXIT_INTERRUPTED)
    feed = f", feed {site / done.feed}" if done.feed else ""
    click.echo(f"published {site / 'index.html'} ({len(done.encoded)} encoded, "
               f"{len(done.kept)} unchanged{feed}) in {time.perf_counter() - started:.1f}s")


@main.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
def preview(site: Path, port: int) -> None:
    """Serve SITE on 127.0.0.1 with seeking (Range requests), until Ctrl-C."""
    from .publish.server import listen, run

    try:
        sock = listen(port)
    except OSError as exc:
        _fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")
        return
    click.echo(f"serving {site} at http://127.0.0.1:{sock.getsockname()[1]}/ (Ctrl-C stops)")
    try:
        run(site, sock)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    click.echo("stopped", err=True)


@main.command()
@click.argument("folder", required=False, default=".",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port on 127.0.0.1 (default: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
@cache_option
def studio(folder: Path, port: int, no_browser: bool, cache_dir: Path | None) -> None:
    """Write, hear, record, render and publish the sessions in FOLDER from a page in
    your browser (on 127.0.0.1 only, at an address with a secret key)."""
    import secrets
    import webbrowser

    from .studio.app import make_app
    from .web.serve import listen, run

    try:
        sock = listen(port)
    except OSError as exc:
        _fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")
        return
    secret = secrets.token_urlsafe(24)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/?key={secret}"
    click.echo(f"studio for {folder.resolve()} at {url} (Ctrl-C stops)")
    if not no_browser:
        webbrowser.open(url)
    try:
        run(make_app(folder, _cache(cache_dir, False), secret), sock)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    click.echo("stopped", err=True)
