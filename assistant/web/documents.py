"""Cited documents opened inside the web app: ``GET /document/<source>``.

A citation's "Open" link leads here. A PDF is answered with its own bytes (``application/pdf``,
shown inline), the link carrying ``#page=N`` so the browser's viewer opens the cited page. A
text, Markdown or HTML document is answered with a small HTML page of its text as the loader
reads it (the text citations quote; an HTML document's own markup and scripts are never served),
the quote given in ``?q=`` highlighted and named ``#quote`` so the browser scrolls to it.

Only indexed documents are served: the path must be a source the registry holds, exactly (no
name resolution, no normalisation), so ``..``, absolute paths and any file the index does not
know answer 404, whatever the corpus folder holds. The bytes come from ``Library.original`` (the
corpus folder, or the shared registry's database on a replica). With sign-in on, ``SignInGuard``
covers this route like every other one. Nothing on the page is fetched from anywhere.
"""

import html
import re
import tempfile
from pathlib import Path
from urllib.parse import quote as url_quote

from ..errors import AssistantError

ROUTE = "/document/{source:path}"
NOT_FOUND = "No such document in the index."
# The text page loads nothing (no script, no font, no image): only its own inline style.
TEXT_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def document_link(source: str, page: int | None, quote: str) -> str:
    """The link that opens ``source`` at a citation: a PDF at its page, a text at its quote.
    Relative, so it works wherever the app is mounted."""
    path = "document/" + url_quote(source, safe="/")
    if source.lower().endswith(".pdf"):
        return path + (f"#page={page}" if page else "")
    return f"{path}?q={url_quote(quote, safe='')}#quote"


def mount(app, service) -> None:
    """Add the route to Gradio's FastAPI ``app``; ``service`` is the ui ``Service``. (This module
    has no ``from __future__ import annotations``: FastAPI reads ``Request`` from the signature.)"""
    from fastapi import Request
    from fastapi.responses import HTMLResponse, PlainTextResponse, Response
    from starlette.concurrency import run_in_threadpool

    async def open_document(source: str, request: Request) -> Response:
        found = await run_in_threadpool(_document, service, source, request.query_params.get("q", ""))
        if found is None:
            return PlainTextResponse(NOT_FOUND, status_code=404)
        body, media_type = found
        disposition = f"inline; filename*=UTF-8''{url_quote(Path(source).name, safe='')}"
        headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
        if media_type == "text/html":
            return HTMLResponse(body, headers={**headers, "Content-Security-Policy": TEXT_PAGE_POLICY})
        return Response(body, media_type=media_type, headers=headers)

    app.add_api_route(ROUTE, open_document, methods=["GET"], include_in_schema=False)


def _document(service, source: str, quote: str) -> tuple[bytes | str, str] | None:
    """(body, media type) of an indexed document, or None when it is not one."""
    if not service.ready.is_set() or service.library is None:
        return None
    library = service.library
    try:
        if source not in {d.source for d in library.documents()}:
            return None
        data = library.original(source)
    except AssistantError:
        return None
    if source.lower().endswith(".pdf"):
        return data, "application/pdf"
    try:
        text = _text_of(service.settings, source, data)
    except AssistantError:
        return None
    return text_page(source, text, quote), "text/html"


def _text_of(settings, source: str, data: bytes) -> str:
    """The document's text as the loader reads it (what citations quote), pages apart."""
    from ..ingest.loaders import load

    with tempfile.TemporaryDirectory(prefix="assistant-document-") as folder:
        path = Path(folder) / Path(source).name
        path.write_bytes(data)
        pages = load(path, source=source, max_bytes=int(settings.max_file_mb * 2**20), max_pdf_pages=settings.max_pdf_pages)
    return "\n\n".join(p.text for p in pages)


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text``: exactly, else with any run of white space matching any other."""
    quote = quote.strip()
    if not quote:
        return None
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    found = re.search(pattern, text)
    return (found.start(), found.end()) if found else None


def text_page(source: str, text: str, quote: str) -> str:
    """A self-contained page: the document's text, paragraphs kept, the quote marked ``#quote``."""
    span = find_quote(text, quote)
    if span is None:
        body = _paragraphs(text)
        missing = "<p class='missing'>The quoted passage was not found in this version of the document.</p>" if quote else ""
    else:
        start, end = span
        body = _paragraphs(text[:start]) + "<mark id='quote'>" + _paragraphs(text[start:end]) + "</mark>" + _paragraphs(text[end:])
        missing = ""
    name = html.escape(source)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{name}</title><style>{TEXT_PAGE_CSS}</style></head>"
        f"<body><header><h1>{name}</h1></header>{missing}<main>{body}</main></body></html>"
    )


def _paragraphs(text: str) -> str:
    """Escaped text; a blank line becomes a paragraph break (shown as one), a line break stays."""
    return html.escape(text).replace("\n\n", "<br><br>").replace("\n", "<br>")


TEXT_PAGE_CSS = """
body { font: 17px/1.65 system-ui, sans-serif; max-width: 46em; margin: 0 auto; padding: 1em 1.2em 40vh;
  color: #1f2937; background: #ffffff; }
header h1 { font-size: 1em; color: #4b5563; border-bottom: 1px solid #e5e7eb; padding-bottom: .5em; }
mark { background: #fde68a; color: #1f2937; padding: 0 2px; border-radius: 2px; scroll-margin-top: 30vh; }
.missing { color: #92400e; }
@media (prefers-color-scheme: dark) {
  body { color: #e5e7eb; background: #111827; }
  header h1 { color: #9ca3af; border-color: #374151; }
}
"""
