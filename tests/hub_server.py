"""A small fake of the Hugging Face Hub API, served on 127.0.0.1 from a thread (standard library only).

It implements what ``bayesgrowth collect`` uses, as huggingface_hub 2.x calls it:

* ``GET /api/models/ORG/NAME[?expand=…]``: model info. With ``expand``, only the listed properties
  (plus ids) are returned, as on the Hub; without, ``downloadsAllTime`` is absent and ``downloads``
  is the 30-day count. Unknown ids give 404 with ``X-Error-Code: RepoNotFound``. An id added with
  :meth:`FakeHub.add_alias` (a renamed repository's old id) is answered under the model's id.
* ``GET /api/models?filter=…&author=…&expand=…``: the listing, in a fixed shuffled (not date)
  order, ``page_size`` models a page, the next page in a ``Link: <…>; rel="next"`` header.
  ``base_model:ORG/NAME`` matches every relation, ``base_model:RELATION:ORG/NAME`` only that one.

Faults are queued with :meth:`FakeHub.inject` and each is used once: ``"429"`` (with
``Retry-After: retry_after``, or, as the Hub answers, ``RateLimit: "api";r=0;t=reset`` and its
``RateLimit-Policy``), ``"500"``, ``"drop"`` (headers and half the body, then the connection is
closed), ``"malformed"`` (status 200, truncated JSON), ``"stall"`` (the reply waits until
:meth:`FakeHub.release`), or a status code as ``"401"``/``"403"``. Every request is logged.

A token given to :meth:`FakeHub.refuse_token` (revoked, mistyped) is refused on every request, as
the Hub refuses it even for a public model: HTTP 401, ``X-Error-Message: Invalid credentials in
Authorization header``.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

EXPANDABLE = ("createdAt", "downloads", "downloadsAllTime", "author")


@dataclass
class Fault:
    """One injected failure: which request it hits and what happens."""

    action: str
    kind: str  # "info" or "list"
    model: str | None = None  # model id (info) or the base model / author in the query (list)
    page: int | None = None
    retry_after: int | None = None
    reset: int | None = None


@dataclass
class Request:
    """One request as the server saw it."""

    time: float
    kind: str
    model: str | None
    page: int | None
    outcome: str
    authorization: str | None
    query: dict = field(default_factory=dict)


class FakeHub:
    """The fake Hub: add models and their children, inject faults, read the request log."""

    def __init__(self, page_size: int = 1000, seed: int = 0) -> None:
        self.page_size, self.seed = page_size, seed
        self.models: dict[str, dict] = {}
        self.children: dict[tuple[str, str], list[str]] = {}
        self.aliases: dict[str, str] = {}
        self.faults: list[Fault] = []
        self.refused_tokens: set[str] = set()
        self.requests: list[Request] = []
        self.stalled = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- content ---------------------------------------------------------------------------
    def add_model(
        self, model_id: str, created_at: str, *, downloads_all_time: int = 0, downloads: int = 0
    ) -> None:
        """Add or update a model (``created_at`` as the Hub writes it, ``…T…Z``)."""
        self.models[model_id] = {
            "createdAt": created_at,
            "downloadsAllTime": downloads_all_time,
            "downloads": downloads,
        }

    def add_children(self, base: str, relation: str, children: dict[str, str]) -> None:
        """Add models (id → createdAt) declaring ``base`` as base model with ``relation``."""
        for model_id, created in children.items():
            self.add_model(model_id, created)
        self.children.setdefault((base, relation), []).extend(children)

    def add_alias(self, alias: str, model_id: str) -> None:
        """Answer model info for ``alias`` with ``model_id``'s, as the Hub does for a renamed
        repository's old id; listings filtered by ``alias`` find nothing."""
        self.aliases[alias] = model_id

    def inject(
        self, action: str, kind: str, *, model=None, page=None, retry_after=None, reset=None
    ) -> None:
        """Queue a fault for the next matching request (see the module docstring)."""
        with self._lock:
            self.faults.append(Fault(action, kind, model, page, retry_after, reset))

    def refuse_token(self, token: str) -> None:
        """Answer every request that carries ``token`` as the Hub answers an invalid one."""
        self.refused_tokens.add(token)

    def release(self) -> None:
        """Let stalled replies go on."""
        self._release.set()

    # --- server ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The endpoint to give ``HfApi(endpoint=…)`` or ``--endpoint``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    # --- behaviour -------------------------------------------------------------------------
    def _take_fault(self, kind: str, model: str | None, page: int | None) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if (
                    fault.kind == kind
                    and fault.model in (None, model)
                    and fault.page in (None, page)
                ):
                    self.faults.remove(fault)
                    return fault
        return None

    def _listed(self, query: dict[str, list[str]]) -> list[str]:
        ids = list(self.models)
        for flt in query.get("filter", []):
            if not flt.startswith("base_model:"):
                raise ValueError(f"unsupported filter {flt!r}")
            rest = flt.removeprefix("base_model:")
            relation, _, base = rest.partition(":") if rest.count(":") else ("", "", rest)
            rels = [relation] if relation else sorted({r for b, r in self.children if b == base})
            keep = {m for r in rels for m in self.children.get((base, r), [])}
            ids = [m for m in ids if m in keep]
        for author in query.get("author", []):
            ids = [m for m in ids if m.split("/", 1)[0] == author]
        # The Hub's order is not by date: a fixed shuffle keeps pages consistent between requests.
        random.Random(f"{self.seed}{sorted(query.items())}").shuffle(ids)
        return ids

    def _item(self, model_id: str, expand: list[str]) -> dict:
        data = self.models[model_id]
        item = {"_id": f"id-{model_id}", "id": model_id, "modelId": model_id}
        for key in expand or ("createdAt", "downloads"):
            if key == "author":
                item["author"] = model_id.split("/", 1)[0]
            elif key in data:
                item[key] = data[key]
        return item


class _Server(ThreadingHTTPServer):
    """Ends its keep-alive connections on close, so no handler thread outlives a test (a test
    that forks must not inherit threads)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.connections: set[socket.socket] = set()

    def process_request(self, request, client_address) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        for connection in list(self.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        super().server_close()  # joins the handler threads


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Hub: a dropped connection is then visible
    fake: FakeHub

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/api/models":
            page = int(query.pop("cursor", ["0"])[0])
            bases = [f.split(":")[-1] for f in query.get("filter", [])] + query.get("author", [])
            self._serve("list", bases[0] if bases else None, page, query)
        elif parts.path.startswith("/api/models/"):
            self._serve("info", parts.path.removeprefix("/api/models/"), None, query)
        else:
            self._send(404, {"error": "not found"})

    def _serve(self, kind: str, model: str | None, page: int | None, query: dict) -> None:
        fake = self.fake
        authorization = self.headers.get("Authorization")
        refused = authorization in {f"Bearer {t}" for t in fake.refused_tokens}
        fault = None if refused else fake._take_fault(kind, model, page)
        outcome = "invalid token" if refused else fault.action if fault else "ok"
        fake.requests.append(
            Request(
                time.monotonic(),
                kind,
                model,
                page,
                outcome,
                authorization,
                query,
            )
        )
        if refused:
            message = "Invalid credentials in Authorization header"
            return self._send(401, {"error": message}, {"X-Error-Message": message})
        if fault and fault.action == "stall":
            fake.stalled.set()
            fake._release.wait(timeout=60)
        elif fault and fault.action == "429":
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            if fault.reset is not None:  # the Hub's own (IETF draft 9): none used, reset in t s
                headers["RateLimit"] = f'"api";r=0;t={fault.reset}'
                headers["RateLimit-Policy"] = '"fixed window";"api";q=500;w=300'
            return self._send(429, {"error": "rate limited"}, headers)
        elif fault and fault.action.isdigit():
            return self._send(int(fault.action), {"error": f"injected {fault.action}"})

        if kind == "info":
            model = fake.aliases.get(model, model)
            if model not in fake.models:
                return self._send(
                    404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
                )
            body, headers = fake._item(model, query.get("expand", [])), {}
        else:
            ids = fake._listed(query)
            start = page * fake.page_size
            body = [
                fake._item(m, query.get("expand", [])) for m in ids[start : start + fake.page_size]
            ]
            headers = {}
            if start + fake.page_size < len(ids):
                nxt = urlencode({**query, "cursor": [str(page + 1)]}, doseq=True)
                headers["Link"] = f'<{fake.url}/api/models?{nxt}>; rel="next"'

        raw = json.dumps(body).encode()
        if fault and fault.action == "malformed":
            raw = raw[: len(raw) // 2]
        if fault and fault.action == "drop":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(200, raw, headers)

    def _send(self, status: int, body, headers: dict | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client was killed while we stalled
            self.close_connection = True


TOKEN = "hf_fakeTOKENthatMustNeverBePrinted0123"
"""The token the tests put in ``HF_TOKEN``: the fake Hub must receive it, no output may show it."""


def hub_env(monkeypatch, tmp_path) -> dict[str, str]:
    """Point huggingface_hub at test-only places: our token, an empty HF_HOME, online mode.

    Returns the environment, for subprocesses.
    """
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in (
        "HF_ENDPOINT",
        "HF_HUB_OFFLINE",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN",
        "BAYESGROWTH_DATA",
    ):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


def run_cli(capfd, monkeypatch, *args: str) -> tuple[int, str, str]:
    """Run ``bayesgrowth ARGS`` in this process, as the console script does.

    Returns the exit code, stdout and stderr (captured at the file-descriptor level, so
    huggingface_hub's own log lines are included).
    """
    from bayesgrowth.cli import main

    capfd.readouterr()
    monkeypatch.setattr("sys.argv", ["bayesgrowth", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capfd.readouterr()
    return code, out, err
