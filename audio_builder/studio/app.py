"""The studio's web app: the page, its API, and the folder's files, behind the guard
(127.0.0.1 only, this start's secret, Host and Origin checked: web/guard.py).

Every route takes names, never paths; the page's unsaved text is checked, heard and
timed as sent, and written only by a save that names the version it read.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .. import RATE
from ..errors import AudioBuilderError
from ..pipeline.options import RenderOptions
from ..pipeline.render import default_output
from ..pipeline.session import Session
from ..publish.pages import CSP, STATIC
from ..script.model import Recording
from ..script.yaml_nodes import MAX_FILE_BYTES
from ..speech.cache import Cache
from ..speech.engines import engine_info, engine_names
from ..web.files import OneRange, serve_file
from ..web.guard import COOKIE, Guard
from . import document, takes
from .folder import Conflict, Folder
from .jobs import JobProgress, Jobs
from .timing import findings, timings
from .voice import Engines, hear, proof_cue

if TYPE_CHECKING:
    from ..proof.hear import Recogniser

HERE = Path(str(files(__package__) / "static"))
PAGE_FILES = {"studio.js": HERE, "studio.css": HERE, "style.css": STATIC, "icon.svg": STATIC}
MAX_BODY = MAX_FILE_BYTES + 100_000
STUDIO_CSP = CSP.replace("media-src 'self'", "media-src 'self' blob:")
"""The published pages' policy, and the cue just heard or recorded, played from memory."""


class Studio:
    """What the routes share: the folder, the cache, loaded engines and running jobs."""

    def __init__(self, root: Path, cache: Cache, secret: str) -> None:
        self.folder = Folder(root)
        self.cache = cache
        self.secret = secret
        self.engines = Engines()
        self.jobs = Jobs()
        self.recogniser: Recogniser | None = None

    # -- reading the page's requests -------------------------------------------------
    @staticmethod
    async def body(request: Request) -> dict:
        data = await request.body()
        if len(data) > MAX_BODY:
            raise AudioBuilderError("the request is too large")
        try:
            value = json.loads(data or b"{}")
        except ValueError:
            raise AudioBuilderError("the request is not JSON") from None
        if not isinstance(value, dict):
            raise AudioBuilderError("the request must be a JSON object")
        return value

    @staticmethod
    def text(body: dict) -> str:
        text = body.get("text")
        if not isinstance(text, str) or len(text.encode()) > MAX_FILE_BYTES:
            raise AudioBuilderError("the request needs the script's text")
        return text

    # -- routes -----------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        html = (HERE / "studio.html").read_text(encoding="utf-8").replace("{{csp}}", STUDIO_CSP)
        response = Response(html, media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, self.secret, httponly=True, samesite="strict")
        return response

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PAGE_FILES:
            return PlainTextResponse("File not found", status_code=404)
        return serve_file(request, PAGE_FILES[name], name)

    async def files(self, request: Request) -> Response:
        return serve_file(request, self.folder.root, request.path_params["rel"])

    async def sessions(self, request: Request) -> Response:
        if request.method == "POST":
            body = await self.body(request)
            name = str(body.get("name") or "")
            copy_of = body.get("copy_of") or None
            version = self.folder.create(name, str(body.get("title") or ""), copy_of)
            return JSONResponse({"name": name, "version": version})
        return JSONResponse({"folder": str(self.folder.root), "sessions": [
            asdict(s) for s in self.folder.listing()]})

    async def session(self, request: Request) -> Response:
        name = request.path_params["name"]
        if request.method == "PUT":
            body = await self.body(request)
            expected = body.get("version")
            try:
                version = self.folder.save(name, self.text(body),
                                           expected if isinstance(expected, str) else "?")
            except Conflict as exc:
                return JSONResponse({"error": exc.message, "conflict": True}, status_code=409)
            return JSONResponse({"version": version})
        text, version = self.folder.read(name)
        out: dict[str, Any] = {"name": name, "text": text, "version": version}
        try:
            out["model"] = document.model(document.parse(text))
        except document.EditError as exc:
            out["model"], out["model_error"] = None, str(exc)
        return JSONResponse(out)

    async def edit(self, request: Request) -> Response:
        body = await self.body(request)
        ops = body.get("ops")
        text = document.edit(self.text(body), ops if isinstance(ops, list) else [])
        return JSONResponse({"text": text, "model": document.model(document.parse(text))})

    async def check(self, request: Request) -> Response:
        body = await self.body(request)
        path = self.folder.script(str(body.get("name")))
        text = self.text(body)

        def work() -> dict:
            with self.engines.lock:
                found, prep = findings(self.engines, path, text, self.cache)
                lengths = timings(prep, self.cache) if prep is not None else []
            model = None
            try:
                model = document.model(document.parse(text))
            except document.EditError:
                pass
            return {"findings": [f.as_dict() for f in found], "lengths": lengths,
                    "model": model}
        return JSONResponse(await run_in_threadpool(work))

    async def hear(self, request: Request) -> Response:
        body = await self.body(request)
        path = self.folder.script(str(body.get("name")))
        where, voice = body.get("where"), body.get("voice")
        if not isinstance(where, list) or (voice is not None and not isinstance(voice, str)):
            raise AudioBuilderError("say which cue to hear")
        wav = await run_in_threadpool(hear, self.engines, path, self.text(body), where,
                                      voice, self.cache)
        return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})

    async def proof(self, request: Request) -> Response:
        body = await self.body(request)
        path = self.folder.script(str(body.get("name")))
        where = body.get("where")
        if not isinstance(where, list):
            raise AudioBuilderError("say which cue to proof")
        if self.recogniser is None:
            from ..proof.hear import Recogniser

            self.recogniser = Recogniser()
            self.recogniser.check()
        heard = await run_in_threadpool(proof_cue, self.engines, path, self.text(body), where,
                                        self.cache, self.recogniser)
        return JSONResponse({"sentences": heard})

    async def voices(self, request: Request) -> Response:
        out = []
        for engine in engine_names():
            info = engine_info(engine)
            if info.online:
                continue  # auditions stay offline
            out += [{"engine": engine, "voice": v, "about": about}
                    for v, about in info.voices.items()]
        return JSONResponse({"voices": out})

    async def record(self, request: Request) -> Response:
        base = request.path_params["base"]
        data = await request.body()
        take = await run_in_threadpool(takes.save_take, self.folder, base, data,
                                       request.headers.get("content-type", ""))
        return JSONResponse({"take": asdict(take), "takes": [
            asdict(t) for t in takes.takes(self.folder, base)]})

    async def takes_of(self, request: Request) -> Response:
        base = request.path_params["base"]
        if request.method == "DELETE":
            body = await self.body(request)
            takes.discard(self.folder, str(body.get("take")), self._used(body.get("name")))
        return JSONResponse({"takes": [asdict(t) for t in takes.takes(self.folder, base)]})

    def _used(self, name: Any) -> set[str]:
        """The recordings the saved script plays (a take in use is never deleted)."""
        from ..script.loader import load_script

        try:
            script = load_script(self.folder.script(str(name)))
        except AudioBuilderError:
            return set()
        return {t.name for c in script.all_cues() for t in c.tokens if isinstance(t, Recording)}

    async def start_job(self, request: Request) -> Response:
        body = await self.body(request)
        name, kind = str(body.get("name")), body.get("kind")
        path = self.folder.script(name)
        length = str(body.get("length") or "full")
        if kind == "render":
            job = self.jobs.start("render", lambda p: self._render(path, length, p))
        elif kind == "publish":
            job = self.jobs.start("publish", lambda p: self._publish(path, p))
        else:
            raise AudioBuilderError("a job is a render or a publish")
        return JSONResponse(job.as_dict())

    def _render(self, path: Path, length: str, progress: JobProgress) -> dict:
        """What `render SCRIPT --length LENGTH` does in the folder: the same bytes."""
        from ..pipeline.output import check_writable
        from ..pipeline.render import prepare, speak
        from ..plan.timeline import plan_dict

        prep = prepare(path, RenderOptions(), (length,))
        out = self.folder.root / default_output(path, prep.lengths[0].name)
        check_writable(out)
        out.parent.mkdir(exist_ok=True)
        session = Session(prep, speak(prep, self.cache, progress))
        plan = session.plan(prep.lengths[0])
        loudness = session.write(plan, out, progress)
        return {"audio": f"/files/{out.relative_to(self.folder.root).as_posix()}",
                "summary": loudness.summary(), "seconds": plan.total / RATE,
                "dropped": list(plan.dropped), "plan": plan_dict(plan),
                "chapters": [{"title": c.title, "start": c.start / RATE}
                             for c in plan.chapters]}

    def _publish(self, path: Path, progress: JobProgress) -> dict:
        """What `publish SCRIPT -o site` does in the folder."""
        from ..publish.site import publish, slug_for

        said: list[str] = []
        site = self.folder.root / "site"
        publish([path], site, self.cache, say=said.append, progress=progress)
        slug = slug_for(path, set())
        return {"page": f"/files/site/{slug}/full.html", "index": "/files/site/index.html",
                "said": said}

    async def job(self, request: Request) -> Response:
        job = self.jobs.jobs.get(int(request.path_params["id"]))
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        return JSONResponse(job.as_dict())


def errors(handler: Callable[[Request], Awaitable[Response]]
           ) -> Callable[[Request], Awaitable[Response]]:
    """A request the studio refuses gets its reason in one line, and changes nothing."""
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except (AudioBuilderError, document.EditError) as exc:
            message = exc.one_line() if isinstance(exc, AudioBuilderError) else str(exc)
            return JSONResponse({"error": message}, status_code=400)
    return wrapped


def make_app(root: Path, cache: Cache, secret: str) -> Callable[[int], ASGIApp]:
    studio = Studio(root, cache, secret)

    def for_port(port: int) -> ASGIApp:
        s = studio
        routes = [
            Route("/", errors(s.page)),
            Route("/static/{name}", errors(s.static), methods=["GET", "HEAD"]),
            Route("/files/{rel:path}", errors(s.files), methods=["GET", "HEAD"]),
            Route("/api/sessions", errors(s.sessions), methods=["GET", "POST"]),
            Route("/api/session/{name}", errors(s.session), methods=["GET", "PUT"]),
            Route("/api/edit", errors(s.edit), methods=["POST"]),
            Route("/api/check", errors(s.check), methods=["POST"]),
            Route("/api/hear", errors(s.hear), methods=["POST"]),
            Route("/api/proof", errors(s.proof), methods=["POST"]),
            Route("/api/voices", errors(s.voices)),
            Route("/api/record/{base}", errors(s.record), methods=["POST"]),
            Route("/api/takes/{base}", errors(s.takes_of), methods=["GET", "DELETE"]),
            Route("/api/jobs", errors(s.start_job), methods=["POST"]),
            Route("/api/jobs/{id:int}", errors(s.job)),
        ]
        return Starlette(routes=routes, middleware=[
            Middleware(Guard, port=port, secret=secret), Middleware(OneRange)])
    return for_port
