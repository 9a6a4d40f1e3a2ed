"""Sign-in in front of every route of the web app, and throttled sign-in attempts.

Gradio checks sign-in on most of its routes, but not all (``/gradio_api/cancel``, ``/reset``,
``/heartbeat``, ``/stream``, ...), and answers every password guess at once (200 wrong
passwords took 4.5 s). ``SignInGuard`` is an ASGI middleware given to Gradio's FastAPI app when
sign-in is on: a request that is not signed in reaches only the sign-in page and its static
files; and a client (by address) whose sign-ins failed ``max_failures`` times in a row must wait
before the next attempt, the wait doubling with each further failure.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from http.cookies import CookieError, SimpleCookie

# What the sign-in page needs before anyone is signed in: the page, its static files, the
# sign-in and sign-out routes, and login_check (which itself answers 401 to strangers); and
# startup-events, which Gradio's launch calls on itself, unsigned (it only runs start-up once).
PUBLIC_PATHS = {
    "/", "/login", "/login/", "/logout", "/logout/", "/favicon.ico", "/manifest.json", "/robots.txt", "/theme.css",
    "/gradio_api/theme.css", "/gradio_api/login_check", "/gradio_api/login_check/", "/gradio_api/startup-events",
}
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon")
LOGIN_PATHS = {"/login", "/login/"}

FIRST_WAIT_S = 1.0  # after max_failures failures in a row; doubled by every further failure
LONGEST_WAIT_S = 300.0
TRACKED_CLIENTS = 10_000  # addresses remembered (least recently failed forgotten first)


class SignInGuard:
    def __init__(self, app, *, max_failures: int = 5, clock=time.monotonic) -> None:
        self.app = app
        self.max_failures = max_failures
        self.clock = clock
        self.failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # client -> (failures, may retry at)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if scope["type"] == "http" and path in LOGIN_PATHS and scope.get("method") == "POST":
            return await self._login(scope, receive, send)
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or self._signed_in(scope):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await _respond(send, 401, "Not authenticated: sign in first")

    def _signed_in(self, scope) -> bool:
        app = scope.get("app")
        tokens = getattr(app, "tokens", None)
        cookie_id = getattr(app, "cookie_id", None)
        if not tokens or cookie_id is None:
            return False
        header = dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1")
        cookies = SimpleCookie()
        try:
            cookies.load(header)
        except CookieError:
            return False
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            if name in cookies and cookies[name].value in tokens:
                return True
        return False

    async def _login(self, scope, receive, send) -> None:
        client = (scope.get("client") or ("unknown",))[0]
        failures, retry_at = self.failures.get(client, (0, 0.0))
        wait = retry_at - self.clock()
        if wait > 0:
            await _respond(
                send, 429, f"Too many failed sign-ins from your address: wait {wait:.0f} s before trying again",
                headers=[(b"retry-after", str(max(1, round(wait))).encode())],
            )
            return
        status: list[int] = []

        async def watch(message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 200:
            self.failures.pop(client, None)
        elif status and status[0] in (400, 401, 403):
            failures += 1
            delay = 0.0 if failures < self.max_failures else min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** (failures - self.max_failures))
            self.failures[client] = (failures, self.clock() + delay)
            self.failures.move_to_end(client)
            while len(self.failures) > TRACKED_CLIENTS:
                self.failures.popitem(last=False)


async def _respond(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})
