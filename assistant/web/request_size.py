"""The size of one API call's body, checked before it is read (an ASGI middleware in front of Gradio).

A question with its whole history within the request limits (assistant/limits.py) is well under
1 MiB of JSON; a body far over that (the 3 MB history item of issue 16) is refused from its
Content-Length, before Gradio reads and parses it on its event loop (where 3 MB of JSON holds
every other request up) and keeps it in memory. The refusal is a 422 in the shape gradio_client
turns into a ``ValidationError`` carrying the message. File uploads (``/gradio_api/upload``) have
their own limit (``max_upload_mb``, Gradio's ``max_file_size``).
"""

from __future__ import annotations

import json

API_PREFIXES = ("/gradio_api/queue/join", "/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/")


class RequestSizeGuard:
    def __init__(self, app, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path", "").startswith(API_PREFIXES):
            length = dict(scope.get("headers") or []).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.max_bytes:
                return await _refuse(send, int(length), self.max_bytes)
        await self.app(scope, receive, send)


async def _refuse(send, length: int, limit: int) -> None:
    message = (
        f"the request is {length / 2**20:.1f} MiB, over the {limit / 2**20:g} MiB limit of one call "
        "(ASSISTANT_MAX_REQUEST_MB): send a shorter history or fewer sources"
    )
    detail = [{"__type__": "validate", "is_valid": False, "parameter_name": "request", "message": message}]
    body = json.dumps({"detail": detail, "error": message}).encode()
    await send({
        "type": "http.response.start", "status": 422,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
