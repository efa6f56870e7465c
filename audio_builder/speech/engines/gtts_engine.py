"""gTTS: Google Translate's speech, online, in many languages and accents.

It is a service that fails: requests time out, are refused with 429 when sent too fast,
or break when Google changes its API. Each text is requested on its own, a few at a
time, retried with capped, jittered backoff on connection errors, 429 and 5xx; a 403 or
an answer without audio is not retried (gTTS may need an upgrade). Every text is yielded
as soon as it is decoded, so the cache keeps what arrived before a failure.
"""

from __future__ import annotations

import os
import random
import re
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from importlib import metadata

import numpy as np

from ...errors import SynthesisError
from . import EngineOptions, Spoken, register

SLOW_BELOW = 0.8
"""gTTS has two speeds: a `speed` under this asks for its slow mode, else normal."""
TIMEOUT_S = (5.0, 20.0)
"""(connect, read) timeout of one request."""
ATTEMPTS = 5
BACKOFF_S = 1.0
BACKOFF_CAP_S = 16.0
WORKERS = 4
URL_ENV = "AUDIO_BUILDER_GTTS_URL"
"""Send requests to another base URL (a mirror, or the test suite's stand-in server)."""
_PATH = "_/TranslateWebserverUi/data/batchexecute"


class _Permanent(Exception):
    """A failure that retrying cannot mend."""


class _Transient(Exception):
    """A failure worth another try."""


ACCENTS = ("com", "co.uk", "com.au", "ca", "co.in", "ie", "co.za")
"""Google's top-level domains that give gTTS an accent (the voice name); others exist."""


def languages() -> dict[str, str]:
    from gtts.lang import tts_langs

    return tts_langs()


@register("gtts", "Google Translate speech (online); voice name = accent (tld: com, co.uk, ...)")
class GttsEngine:
    name = "gtts"
    online = True
    phonemes = False

    @classmethod
    def voices(cls) -> dict[str, str]:
        return {tld: "accent" for tld in ACCENTS}

    @classmethod
    def languages(cls) -> list[str]:
        return sorted(languages())

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self.tld = (options.voice or "com").strip().lower()
        self.slow = options.speed < SLOW_BELOW
        self._stop = threading.Event()
        """Set by the first final failure: no new requests after it."""

    def check(self) -> None:
        langs = languages()
        if self.options.language not in langs:
            lowered = {k.lower(): k for k in langs}
            hint = lowered.get(self.options.language.lower().replace("_", "-"))
            more = f" (did you mean '{hint}'?)" if hint else ""
            raise SynthesisError(f"gTTS does not speak language '{self.options.language}'"
                                 f"{more}; see 'audio-builder voices'")
        if not re.fullmatch(r"com|co\.[a-z]{2}|com\.[a-z]{2}|[a-z]{2}", self.tld):
            raise SynthesisError(f"'{self.tld}' is not a Google top-level domain for gTTS's "
                                 "accent (e.g. com, co.uk, com.au, ca, co.in)")

    def identity(self) -> dict[str, str]:
        return {
            "engine": "gtts",
            "engine_version": metadata.version("gTTS"),
            "voice": self.tld,
            "speed": "slow" if self.slow else "normal",
        }

    def _request(self, text: str) -> bytes:
        """One text's MP3 bytes, or _Transient/_Permanent with a reason."""
        import requests
        from gtts import gTTS, gTTSError

        base = os.environ.get(URL_ENV)

        class Tts(gTTS):
            def _prepare_requests(self):
                prepared = super()._prepare_requests()
                if base:
                    for pr in prepared:
                        pr.url = f"{base.rstrip('/')}/{_PATH}"
                return prepared

        tts = Tts(text, lang=self.options.language, tld=self.tld, slow=self.slow,
                  lang_check=False, timeout=TIMEOUT_S)
        try:
            data = b"".join(tts.stream())
        except gTTSError as exc:
            status = exc.rsp.status_code if exc.rsp is not None else None
            if status is None:
                raise _Transient("could not connect to Google Translate (is there a network?)"
                                 ) from None
            if status == 429 or status >= 500:
                raise _Transient(str(exc)) from None
            if status == 200:
                raise _Permanent("an answer without audio; gTTS may need an upgrade "
                                 "(pip install -U gTTS)") from None
            raise _Permanent(f"{exc}; gTTS may need an upgrade (pip install -U gTTS)") from None
        except (requests.RequestException, OSError):
            raise _Transient("could not connect to Google Translate (is there a network?)"
                             ) from None
        if not data:
            raise _Permanent("an answer without audio; gTTS may need an upgrade")
        return data

    def _with_retries(self, text: str) -> tuple[np.ndarray, int] | None:
        """The decoded audio, or None if another text already failed for good."""
        delay = BACKOFF_S
        for attempt in range(1, ATTEMPTS + 1):
            if self._stop.is_set():
                return None
            try:
                return _decode(self._request(text))
            except _Transient as exc:
                if attempt == ATTEMPTS:
                    self._stop.set()
                    raise SynthesisError(f"gTTS failed after {ATTEMPTS} tries: {exc}") from None
                if self._stop.wait(random.uniform(0.5, 1.0) * delay):  # jitter spreads retries
                    return None  # stopped (a failure elsewhere, or Ctrl-C) while waiting
                delay = min(delay * 2, BACKOFF_CAP_S)
            except _Permanent as exc:
                self._stop.set()
                raise SynthesisError(f"gTTS failed: {exc}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def speak(self, texts: list[str]) -> Iterator[Spoken]:
        self._stop.clear()
        pool = ThreadPoolExecutor(max_workers=WORKERS)
        pending: dict[Future, int] = {pool.submit(self._with_retries, t): n
                                      for n, t in enumerate(texts)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=pending.__getitem__):
                    n = pending.pop(future)
                    result = future.result()
                    if result is not None:
                        yield Spoken(n, *result)
        finally:
            self._stop.set()  # on failure or Ctrl-C: start nothing new, keep what arrived
            pool.shutdown(wait=True, cancel_futures=True)


def _decode(mp3: bytes) -> tuple[np.ndarray, int]:
    """gTTS's MP3 (24 kHz mono) decoded in-process: no ffmpeg process per segment."""
    import miniaudio

    try:
        sound = miniaudio.decode(mp3, output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1)
    except miniaudio.DecodeError:
        raise _Permanent("the audio in gTTS's answer could not be decoded") from None
    return np.asarray(sound.samples, dtype=np.float32), sound.sample_rate
