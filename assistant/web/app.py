"""The web chat: a thin Gradio shell over the same ``Assistant`` and ``Library`` the CLI uses.

One ``Service`` per process (service.py) holds the shared ``Assistant`` (models load once, in
a background thread started as soon as the server listens; a question asked meanwhile waits for
it). Each browser session keeps its own conversation in a ``gr.State`` (chat.py), so two
users never see each other's history, and a copy in its browser, restored on reload for the same
user only. Named API endpoints (``/ask``, ``/list_documents``, ``/add_documents``,
``/remove_document``) return the same JSON as the CLI's ``--json`` output.

Gradio is imported lazily so that refusing an unsafe configuration (a public address without
auth) is instant.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..config import BACKENDS, SUPPORTED_SUFFIXES, Settings
from . import documents as web_documents
from ..errors import AssistantError
from .auth import is_loopback, load_auth, resolve_auth  # noqa: F401  (the binding rules, imported from here too)
from .chat import Chat, messages, restored, saved
from .service import Service, uploads_folder
from .page import CSS, DOCUMENTS_SCRIPT, SCRIPT
from .render import (
    _banner, example_questions, question_counter, render_banner, render_documents, render_report,
)

log = logging.getLogger("assistant.web")

TITLE = "Assistant — ask your documents"
EXAMPLES = 3  # example questions on the first page, drawn from the indexed documents' titles

# -----------------------------------------------------------------------------------------------
# The Gradio app
# -----------------------------------------------------------------------------------------------


def _theme():
    import gradio as gr

    from gradio.themes.utils.fonts import LocalFont

    # Fonts Gradio ships (no font CDN: the app works offline).
    return gr.themes.Default(
        primary_hue="indigo",
        secondary_hue="slate",
        neutral_hue="slate",
        radius_size="md",
        # (no 600: the SemiBold file Gradio ships lacks glyphs, so semi-bold text uses Bold)
        font=(LocalFont("IBM Plex Sans", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
    )


def build_app(settings: Settings, service: Service | None = None):
    """The Blocks app (not launched). Starts the shared ``Service`` if none is given."""
    import gradio as gr

    service = service or Service(settings).start()
    default_backend = settings.backend if settings.backend in BACKENDS else "extractive"

    # -- handlers ------------------------------------------------------------------------------
    def documents_view(selected: list[str] | None = None):
        """(banner, table, filter choices, example questions) as the library stands now."""
        listing = None
        if service.ready.is_set() and service.assistant is not None:
            try:
                listing = service.library.listing()
            except AssistantError as exc:
                return (
                    _banner("error", str(exc)), render_documents(None), gr.update(choices=[]),
                    *[gr.update(visible=False)] * EXAMPLES,
                )
        sources = [d["source"] for d in listing["documents"]] if listing else []
        keep = {} if selected is None else {"value": [s for s in selected if s in sources]}
        return (
            render_banner(service.status(), listing),
            render_documents(listing),
            gr.update(choices=sources, **keep),
            *[gr.update(value=q, visible=bool(q)) for q in example_questions(listing, EXAMPLES)],
        )

    def refresh():
        """On page load, and every second while the service starts: the library and the banner."""
        return (*documents_view(), gr.Timer(active=not service.ready.is_set()))

    chats = Chat(service, settings)

    def chat(message: str, turns: list[dict], backend: str, k: float, selected: list[str] | None, request: gr.Request):
        for changed, box in chats.ask(message, turns, _session(request), **_options(backend, k, selected)):
            yield messages(changed), changed, box

    def retry(turns: list[dict], backend: str, k: float, selected: list[str] | None, request: gr.Request):
        """The "Retry" button: the last question asked again, its answer replaced."""
        for changed in chats.retry(turns, _session(request), **_options(backend, k, selected)):
            yield messages(changed), changed

    def stop(request: gr.Request):
        """The "Stop" button: the answer in progress ends now (what had come stays, marked)."""
        chats.stop(_session(request))

    def new_conversation():
        return [], [], ""

    def save(turns: list[dict], request: gr.Request) -> dict:
        return saved(turns, request.username, settings)

    def restore(kept, request: gr.Request):
        """On page load: the conversation the browser kept, when it is this user's."""
        turns = restored(kept, request.username, settings)
        return messages(turns), turns

    # Gradio passes the request to a parameter annotated gr.Request; with postponed annotations it
    # reads them through typing.get_type_hints, which cannot resolve "gr" (imported here, lazily)
    for handler in (chat, retry, stop, save, restore):
        handler.__annotations__["request"] = gr.Request

    def upload(files, selected, progress=gr.Progress()):
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            return (gr.update(), *documents_view(selected), None)

        def report_progress(stage: str, done: int, total: int) -> None:
            # A stage's last step is followed by a long next one (the first batch's embedding; the
            # commit): say what comes, rather than sit at "Reading 100%" for seconds
            if stage == "page":  # a PDF being read: seconds for a long one
                progress((done, total), desc=f"Reading page {done} of {total}", unit="pages")
            elif stage == "reading":
                if done < total:
                    progress((done, total), desc="Reading", unit="files")
                else:  # (Gradio shows a description only with a known total)
                    progress((total, total), desc=f"Read {total} file{'s' * (total != 1)}; embedding the passages…", unit="files")
            elif done < total:
                progress((done, total), desc="Embedding", unit="passages")
            else:
                progress((total, total), desc="Embedded; saving the passages to the index…", unit="passages")

        progress(0, desc="Adding documents")
        try:
            report = service.add(paths, progress=report_progress)
        except AssistantError as exc:
            report = {"added": [], "updated": [], "unchanged": [], "removed": [], "embedded": 0,
                      "failed": [{"file": ", ".join(Path(p).name for p in paths), "reason": str(exc)}]}
        return (render_report(report), *documents_view(selected), None)

    def remove(selected: list[str] | None, chosen: gr.SelectData):
        """A row's "Remove", once confirmed on the page (the row asks first: never one click)."""
        name = chosen.value if isinstance(chosen.value, str) else ""
        try:
            report = service.remove(name)
        except AssistantError as exc:
            report = {"removed": [], "failed": [{"file": name or "(none)", "reason": str(exc)}]}
        return (render_report({**report, "removing": True}), *documents_view(selected or []))

    remove.__annotations__["chosen"] = gr.SelectData  # (as for gr.Request above)

    # -- API handlers ---------------------------------------------------------------------------
    def api_ask(
        question: str,
        k: int = 0,
        backend: str = "",
        sources: list[str] | None = None,
        history: list[list[str]] | None = None,
    ) -> dict:
        """Answer a question with citations. Returns the `assistant ask --json` object: question, answer,
        refused, backend, citations [n, source, title, page, chunk_id, text, quote, start, end],
        sentences, retrieved, latency_s, notes. `history` is a list of [question, answer] pairs
        (oldest first) for follow-up questions; `sources` limits the answer to those documents."""
        try:  # every argument is checked (type and size) by the Assistant's first step: assistant/limits.py
            return service.ask(question, history=history, backend=backend, k=k, sources=sources).to_dict()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    def stop_write():
        """The "Stop adding" button: the write in progress stops before its next document."""
        if service.cancel_write():
            return "<div class='report'>Stopping: documents already added stay; the rest are not written…</div>"
        return "<div class='report'>Nothing is being added.</div>"

    def api_cancel_write() -> dict:
        """Stop the write in progress (an upload, or the start-up indexing) before its next document
        or batch: what was committed stays, the rest is reported as not written. {"cancelled": bool}."""
        return {"cancelled": service.cancel_write()}

    def api_list_documents() -> dict:
        """The indexed documents (the `assistant list --json` object)."""
        try:
            return service.listing()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    def api_add_documents(files):
        """Add files (PDF, TXT, MD, HTML) to the corpus and the index; returns the ingest report
        {added, updated, unchanged, removed, failed [{file, reason}], embedded}."""
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        try:
            return service.add(paths)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    def api_remove_document(name: str) -> dict:
        """Remove a document (by its file name) from the corpus and the index; returns the report."""
        try:
            return service.remove(name)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None

    # -- layout ---------------------------------------------------------------------------------
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        turns = gr.State([])  # this session's conversation, on the server (the API's /chat uses it too)
        # ... and its copy in the browser (localStorage, encrypted with this process's key), so a
        # reload brings it back; restored only for the user who saved it
        kept = gr.BrowserState({}, storage_key="assistant-conversation")
        with gr.Row(elem_id="app-header"):
            gr.Markdown(
                "# Ask your documents\n"
                "Answers quote your documents, with numbered sources for every claim. "
                "When the documents do not hold the answer, the assistant says so."
            )
        banner = gr.HTML(render_banner(service.status()), elem_id="banner")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    label="Conversation",
                    show_label=False,
                    height="60vh",  # leaves the example questions above the fold at 1280x900
                    placeholder=(
                        "<b>Ask a question about your documents.</b><br>"
                        "Every claim in an answer carries a number like [1]; the sources under the "
                        "answer show the file, the page and the passage, with the quote highlighted."
                    ),
                    feedback_options=None,
                    buttons=[],  # Gradio's copy takes the HTML: each answer has its own plain-text "Copy"
                    autoscroll=True,
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question",
                        placeholder="Ask a question, e.g. “Who wrote the paper?” — press Enter to send",
                        show_label=False,
                        lines=1,
                        max_lines=6,
                        scale=8,
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-button")
                gr.HTML(question_counter(settings.max_question_chars), elem_id="question-count-box", padding=False)
                with gr.Row(elem_id="examples"):
                    examples = [
                        gr.Button("", size="sm", variant="secondary", visible=False, elem_classes=["example"])
                        for _ in range(EXAMPLES)
                    ]
                with gr.Row(elem_id="chat-controls"):
                    stop_button = gr.Button("Stop", size="sm", variant="stop", elem_id="stop-answer", min_width=70)
                    retry_button = gr.Button("Retry", size="sm", variant="secondary", elem_id="retry", min_width=70)
                    clear = gr.Button("New conversation", size="sm", variant="secondary", elem_id="new-conversation")
            with gr.Column(scale=2, min_width=320):
                with gr.Accordion("Documents", open=True, elem_id="documents-panel"):
                    table = gr.HTML(render_documents(None), elem_id="documents", js_on_load=DOCUMENTS_SCRIPT)
                    files = gr.File(
                        label=f"Add documents — PDF, TXT, MD, HTML (up to {settings.max_upload_mb:g} MiB each)",
                        file_count="multiple",
                        # no file_types: the browser would refuse other types with a passing pop-up and
                        # leave the box in error; the server's check names the file and the reason
                        elem_id="upload",
                        height=140,
                    )
                    ingest_status = gr.HTML("", elem_id="ingest-status")
                    stop_adding = gr.Button("Stop adding", size="sm", variant="secondary", elem_id="stop-adding")
                with gr.Accordion("Answer settings", open=True, elem_id="settings-panel"):
                    backend = gr.Dropdown(
                        choices=list(BACKENDS),
                        value=default_backend,
                        label="Answer backend",
                        info="extractive quotes the documents directly (no language model); llamacpp and openai "
                        "need a local model (see the README)",
                        elem_id="backend",
                    )
                    k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages to read (k)", elem_id="k")
                    only = gr.Dropdown(
                        choices=[],
                        value=[],
                        multiselect=True,
                        label="Answer only from selected documents",
                        info="Leave empty to use every document",
                        elem_id="sources-filter",
                    )
        timer = gr.Timer(1.0, active=not service.ready.is_set())

        # Hidden parts of the API: file uploads need a File component.
        with gr.Row(visible=False):
            api_files = gr.File(file_count="multiple", file_types=list(SUPPORTED_SUFFIXES))
            api_report = gr.JSON()
            api_add_button = gr.Button()

        # -- events -----------------------------------------------------------------------------
        library_outputs = [banner, table, only, *examples]
        demo.load(refresh, None, [*library_outputs, timer], api_visibility="private", queue=False)
        timer.tick(refresh, None, [*library_outputs, timer], api_visibility="private", queue=False)
        answering = {"concurrency_limit": 4, "concurrency_id": "answer", "show_progress": "hidden"}
        private = {"api_visibility": "private", "queue": False}
        asked = gr.on(
            triggers=[question.submit, send.click],
            fn=chat,
            inputs=[question, turns, backend, k, only],
            outputs=[chatbot, turns, question],
            api_name="chat",
            api_visibility="undocumented",
            **answering,
        )
        retried = retry_button.click(retry, [turns, backend, k, only], [chatbot, turns], api_visibility="private", **answering)
        stop_button.click(stop, None, None, **private)  # queue=False: never waits behind the answer it stops
        cleared = clear.click(new_conversation, None, [chatbot, turns, question], **private)
        # the chat's trash icon empties the view; the history the next question sees goes with it
        trashed = chatbot.clear(new_conversation, None, [chatbot, turns, question], **private)
        examples_asked = [  # a click asks the example question
            example.click(chat, [example, turns, backend, k, only], [chatbot, turns, question], api_visibility="private", **answering)
            for example in examples
        ]
        for event in (asked, retried, cleared, trashed, *examples_asked):
            event.then(save, [turns], [kept], **private)
        demo.load(restore, [kept], [chatbot, turns], **private)
        files.upload(
            upload,
            [files, only],
            [ingest_status, *library_outputs, files],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="write",
            show_progress_on=[files],
        )
        table.select(  # a row's confirmed "Remove" (DOCUMENTS_SCRIPT)
            remove, [only], [ingest_status, *library_outputs], api_visibility="private", concurrency_limit=1,
            concurrency_id="write",
        )

        gr.api(api_ask, api_name="ask", concurrency_limit=4, concurrency_id="answer")
        gr.api(api_list_documents, api_name="list_documents", concurrency_limit=None)
        gr.api(api_cancel_write, api_name="cancel_write", concurrency_limit=None)
        stop_adding.click(stop_write, None, [ingest_status], api_visibility="private", queue=False)
        api_add_button.click(
            api_add_documents, [api_files], [api_report], api_name="add_documents", concurrency_limit=1, concurrency_id="write"
        )
        gr.api(api_remove_document, api_name="remove_document", concurrency_limit=1, concurrency_id="write")
    demo.service = service  # type: ignore[attr-defined]  (for tests and embedding)
    return demo


def _session(request) -> str:
    return getattr(request, "session_hash", None) or "-"


def _options(backend: str, k: float, selected: list[str] | None) -> dict:
    return {"backend": backend, "k": int(k or 0), "sources": selected}


def _blocked_paths(settings: Settings) -> list[str]:
    """The index and corpus folders are never served, unless one holds Gradio's upload folder."""
    uploads = uploads_folder()
    folders = [Path(settings.index).resolve(), Path(settings.corpus).resolve()]
    return [str(f) for f in folders if not uploads.is_relative_to(f)]


def serve(settings: Settings) -> None:
    """Check the binding, start the shared assistant, and serve until interrupted."""
    from starlette.middleware import Middleware

    from .request_size import RequestSizeGuard
    from .signin import SignInGuard

    auth = resolve_auth(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "chromadb", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    service = Service(settings)  # started once the server listens (below)
    demo = build_app(settings, service)
    demo.queue(default_concurrency_limit=1)
    blocked = _blocked_paths(settings)
    # An API call's body is bounded before it is read; with sign-in, every route needs it (Gradio
    # leaves some open) and guesses are throttled.
    guards = [Middleware(RequestSizeGuard, max_bytes=int(settings.max_request_mb * 2**20))]
    if auth:
        guards.append(Middleware(SignInGuard, max_failures=settings.max_signin_failures))
    demo.launch(
        app_kwargs={"middleware": guards},
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        auth_message="Sign in to ask questions about the documents." if auth else None,
        share=False,
        inbrowser=False,
        max_file_size=int(settings.max_upload_mb * 2**20),
        allowed_paths=[],
        blocked_paths=blocked,
        show_error=False,
        footer_links=["api"],
        run_history=False,
        enable_monitoring=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
        theme=_theme(),
        css=CSS,
        js=SCRIPT,
        quiet=True,
        prevent_thread_lock=True,
    )
    # Only now open the index and load the encoder (in the background; a question waits for it).
    # Doing it alongside Gradio's import and the Blocks build made both slower: imports hold the
    # GIL, so two threads of them take turns (docs/BENCHMARKS.md, "Start-up").
    web_documents.mount(demo.app, service)  # "Open" on a source: the cited document, at its place
    service.start()
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(
        f"assistant: web chat on http://{host}:{demo.server_port}"
        f"{' (sign-in required)' if auth else ''}; Ctrl+C stops it",
        flush=True,
    )
    try:
        demo.block_thread()
    finally:
        demo.close()
