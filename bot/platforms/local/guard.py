"""Who may drive the emulator: the person at this machine's browser, not any web page they visit.

The emulator lets anyone act as anyone, so its routes (not the bot's webhook or ops routes) take
only requests that
- name this server in `Host` (loopback names, or the configured host), which defeats DNS rebinding;
- come from this server's own origin when the browser says where they come from (`Origin`), which
  refuses cross-site websockets and forms;
- for the API, carry the per-process page token in `X-Xiezuo-Token` with a JSON body: a page of
  another origin can read neither the token nor send that header without a CORS preflight, which
  is never granted;
- when the emulator listens beyond loopback (`[local] allow_remote`), give the access password
  (HTTP Basic auth, any user name).
docs/security.md describes the threat model.
"""
from __future__ import annotations

import base64
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import LOOPBACK_NAMES, Config, is_loopback

log = logging.getLogger(__name__)
EMULATOR_PATHS = ("/api/", "/ws", "/static/", "/files/", "/favicon.ico")  # /files/: a plain link (no token header), host-bound
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Guard:
    def __init__(self, config: Config) -> None:
        self.names = set(LOOPBACK_NAMES)
        if config.http.host not in ("0.0.0.0", "::", ""):
            self.names.add(config.http.host)
        self.password = config.local.password if config.local.allow_remote else ""
        self.token = secrets.token_urlsafe(24)  # per process: written into the page, sent back by its script
        if not is_loopback(config.http.host):
            log.warning("THE LOCAL EMULATOR LISTENS ON %s: anyone on the network who has the access password can "
                        "act as anyone in it. Use it for a demo, never with real data.", config.http.host)

    def covers(self, request: web.Request) -> bool:
        return request.path == "/" or request.path.startswith(EMULATOR_PATHS)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.covers(request):
            return await handler(request)
        problem = self.problem(request)
        if problem is not None:
            log.warning("emulator request refused (%s): %s %s", problem, request.method, request.path)
            if problem == "password":
                return web.Response(status=401, text="password required",
                                    headers={"WWW-Authenticate": 'Basic realm="xiezuo emulator"'})
            return web.Response(status=403, text=f"refused: {problem}")
        return await handler(request)

    def problem(self, request: web.Request) -> str | None:
        host, port = _split(request.host)
        if host not in self.names or (port and port != str(_local_port(request))):
            return "host"
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":  # this server's own page
            return "origin"
        if self.password and not self._password_ok(request):
            return "password"
        if request.path.startswith("/api/"):
            if not hmac.compare_digest(request.headers.get("X-Xiezuo-Token", ""), self.token):
                return "token"
            if request.method == "POST" and request.content_type != "application/json":
                return "content type"
        return None

    def _password_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            _, _, given = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(given.encode(), self.password.encode())


def _split(host: str) -> tuple[str, str]:
    """("127.0.0.1", "8080") from a Host header; IPv6 stays bracketed ("[::1]", "8080")."""
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def _local_port(request: web.Request) -> int | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if sockname else None
