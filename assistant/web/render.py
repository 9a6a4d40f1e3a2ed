"""What the web chat shows, as HTML: answers with their sources, the banner, ingest reports, the
document list, example questions, and the plain text the copy button puts on the clipboard. Pure
functions (records and dicts in, strings out); the page's CSS and scripts are in page.py.
"""

from __future__ import annotations

import html
import re

from .documents import document_link


def render_answer(answer, key: str = "a") -> str:
    """One assistant chat message: the answer with [n] links to its numbered sources (each with an
    "Open" link to the document at the cited place), then the plain text "Copy" puts on the
    clipboard. ``key`` tells this message's source ids from other messages'."""
    numbers = {c.n for c in answer.citations}
    parts = []
    if answer.refused:
        parts.append("<p class='refusal'><b>Not found in your documents.</b></p>")
    parts.append(f"<p class='answer-text'>{_linked_markers(_escape_text(answer.answer), numbers, key)}</p>")
    if answer.citations:
        parts.append(f"<div class='sources'><p class='sources-title'>Sources ({len(answer.citations)})</p>")
        parts += [render_citation(c, key=key) for c in answer.citations]
        parts.append("</div>")
    elif answer.retrieved:
        closest = answer.retrieved[:3]
        parts.append("<div class='sources'><p class='sources-title'>Closest passages (none of them answers the question)</p>")
        parts += [render_passage(p) for p in closest]
        parts.append("</div>")
    for note in answer.notes:
        parts.append(f"<p class='note'>Note: {html.escape(note)}</p>")
    parts.append(
        f"<p class='answer-meta'>{html.escape(answer.backend)} · {answer.latency_s:.1f} s · "
        "<a class='copy-answer' href='#copy' title='Copy the answer and its sources as plain text'>Copy</a></p>"
    )
    # line breaks as character references: the chat's Markdown pass would turn raw ones into paragraphs
    copy = html.escape(plain_text(answer)).replace("\n", "&#10;")
    parts.append(f"<pre class='copy-text'>{copy}</pre>")
    return "\n".join(parts)


def plain_text(answer) -> str:
    """The answer as the clipboard gets it: its text, then its numbered sources, no markup."""
    lines = ["Not found in your documents." if answer.refused else "", " ".join(answer.answer.split())]
    lines = [line for line in lines if line]
    if answer.citations:
        lines += ["", "Sources"]
        for c in answer.citations:
            page = f", page {c.page}" if c.page else ""
            lines.append(f"[{c.n}] {c.title} ({c.source}{page}): \u201c{' '.join(c.quote.split())}\u201d")
    return "\n".join(lines)


def _linked_markers(escaped: str, numbers: set[int], key: str) -> str:
    """Each [n] of a cited source, in escaped answer text, as a link to that source's card."""
    return re.sub(
        r"\[(\d+)\]",
        lambda m: f"<a class='cite' href='#src-{key}-{m[1]}'>[{m[1]}]</a>" if int(m[1]) in numbers else m[0],
        escaped,
    )


def _where(source: str, title: str, page: int | None) -> str:
    page_text = f" · page {page}" if page else ""
    return (
        f"<span class='source-title'>{html.escape(title)}</span> "
        f"<span class='source-file'>{html.escape(source)}{page_text}</span>"
    )


def render_citation(citation, context: int = 160, key: str = "a") -> str:
    """[n] title, file, page, "Open"; the passage around the quote, the quote highlighted."""
    text, quote = citation.text, citation.quote
    at = text.find(quote) if quote else -1
    if at < 0:
        excerpt, whole = f"<mark>{_escape_text(quote)}</mark>", _escape_text(text)
    else:
        before, after = text[:at], text[at + len(quote):]
        cut_before, cut_after = _tail(before, context), _head(after, context)
        mark = f"<mark>{_escape_text(quote)}</mark>"
        excerpt = (
            ("…" if len(cut_before) < len(before) else "") + _escape_edges(cut_before) + mark
            + _escape_edges(cut_after) + ("…" if len(cut_after) < len(after) else "")
        )
        whole = _escape_edges(before) + mark + _escape_edges(after) if (cut_before, cut_after) != (before, after) else ""
    more = f"<details class='whole'><summary>whole passage</summary><blockquote>{whole}</blockquote></details>" if whole else ""
    return (
        f"<div class='source' id='src-{key}-{citation.n}'><div class='source-head'><span class='source-n'>[{citation.n}]</span> "
        f"{_where(citation.source, citation.title, citation.page)} "
        f"<a class='open-source' href='{html.escape(document_link(citation.source, citation.page, citation.quote), quote=True)}' "
        "target='_blank' rel='noopener'>Open</a></div>"
        f"<blockquote>{excerpt}</blockquote>{more}</div>"
    )


def render_passage(passage, limit: int = 360) -> str:
    chunk = passage.chunk
    text = chunk.text
    shown = _head(text, limit)
    return (
        f"<div class='source'><div class='source-head'>{_where(chunk.source, chunk.title, chunk.page)}</div>"
        f"<blockquote>{_escape_text(shown)}{'…' if len(shown) < len(text) else ''}</blockquote></div>"
    )


def _head(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.find(" ", len(text) - limit)
    return text[cut + 1 if 0 <= cut < len(text) - limit // 2 else len(text) - limit:]


def render_error(message: str) -> str:
    return f"<p class='error-message'><b>Could not answer:</b> {html.escape(message)}</p>"


def render_pending(text: str = "", status: str = "Searching your documents…") -> str:
    """An answer in progress: the text generated so far, or what is being done. Its ``answering``
    class shows the Stop button (CSS) while it is the chat's last message."""
    if text:
        return f"<div class='answering'><p class='answer-text'>{_escape_text(text)} ▍</p></div>"
    return f"<div class='answering'><p class='pending' role='status'><i>{html.escape(status)}</i></p></div>"


def render_stopped(text: str) -> str:
    """An answer stopped by the user: what had come, marked as incomplete and not checked."""
    shown = f"<p class='answer-text stopped-text'>{_escape_text(text)}</p>" if text.strip() else ""
    return shown + (
        "<p class='stopped note'>Stopped. "
        + ("This partial answer was not checked against the sources. " if shown else "")
        + "Retry asks the question again.</p>"
    )


def _escape_edges(text: str) -> str:
    """``_escape_text`` of the text beside a highlight, keeping a line break at its edges (spaces
    are kept already): "…ResNet?\\n" + quote used to show as "ResNet?ResNet was…"."""
    body = _escape_text(text)
    if not body:
        return "<br>" if "\n" in text else (" " if text else "")
    before = "<br>" if "\n" in text[: len(text) - len(text.lstrip())] else ""
    after = "<br>" if "\n" in text[len(text.rstrip()):] else ""
    return before + body + after


def _escape_text(text: str) -> str:
    """Plain text -> HTML; paragraph breaks kept as one line break."""
    return "<br>".join(html.escape(line) for line in text.split("\n") if line.strip())


def render_banner(status, listing: dict | None = None) -> str:
    if status.level == "ok":
        if not listing or not listing["documents"]:
            return _banner("info", "No documents yet: add PDF, text, Markdown or HTML files in the Documents panel.")
        docs, chunks = len(listing["documents"]), listing["chunks"]
        model = listing["embedding_model"]["name"]
        return (
            f"<div class='banner banner-ok'>{docs} document{'s' * (docs != 1)} · {chunks} passages indexed · "
            f"embeddings: {html.escape(str(model))}</div>"
        )
    return _banner(status.level, status.message)


def _banner(level: str, message: str) -> str:
    labels = {"starting": "Starting", "working": "Working", "warning": "Attention", "error": "Cannot answer"}
    text = html.escape(message)
    # `command` -> <code>command</code>, so the fix stands out
    pieces = text.split("`")
    text = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))
    label = f"<b>{labels[level]}:</b> " if level in labels else ""
    return f"<div class='banner banner-{level}' role='status'>{label}{text}</div>"


def render_report(report: dict) -> str:
    lines = []
    for name in report.get("added", []):
        lines.append(f"<span class='ok'>✓ Added <b>{html.escape(name)}</b></span>")
    for name in report.get("updated", []):
        lines.append(
            f"<span class='ok'>✓ Updated <b>{html.escape(name)}</b>: the new version replaced the earlier file of that name</span>"
        )
    for name in report.get("unchanged", []):
        lines.append(f"<span class='same'>= <b>{html.escape(name)}</b> is already in the library, unchanged</span>")
    for name in report.get("removed", []):
        lines.append(f"<span class='ok'>✓ Removed <b>{html.escape(name)}</b></span>")
    for failure in report.get("failed", []):
        verb = "was not removed" if report.get("removing") else "was not added"
        lines.append(
            f"<span class='failed'>✗ <b>{html.escape(failure['file'])}</b> {verb}: {html.escape(failure['reason'])}</span>"
        )
    return "<div class='report'>" + "<br>".join(lines) + "</div>" if lines else ""


def render_documents(listing: dict | None) -> str:
    if listing is None:
        return "<div class='doc-list empty'>Loading the library…</div>"
    if not listing["documents"]:
        return "<div class='doc-list empty'>No documents yet. Add some below.</div>"
    rows = []
    for d in listing["documents"]:
        pages = f"{d['pages']} page{'s' * (d['pages'] != 1)}"
        source = html.escape(d["source"], quote=True)
        rows.append(
            f"<div class='doc' data-source='{source}'><div class='doc-row'><div class='doc-text'>"
            f"<div class='doc-title'>{html.escape(d['title'])}</div>"
            f"<div class='doc-meta'>{html.escape(d['source'])} · {pages} · {d['chunks']} chunks</div></div>"
            f"<button type='button' class='doc-remove' aria-label='Remove {source}' title='Remove from the library'>Remove</button></div>"
            # asked before anything is deleted (DOCUMENTS_SCRIPT shows it)
            f"<div class='doc-confirm' hidden>Remove <b>{html.escape(d['source'])}</b> from the library and delete its file? "
            "<button type='button' class='doc-remove-yes'>Remove</button> "
            "<button type='button' class='doc-remove-no'>Keep</button></div></div>"
        )
    return "<div class='doc-list'>" + "".join(rows) + "</div>"


def example_questions(listing: dict | None, count: int) -> list[str]:
    """``count`` questions to try, one document per question while there are enough ("" when
    there are none): from a document's section headings when its listing entry has them
    (``sections``, in reading order; numbering dropped, generic ones like "Introduction" skipped;
    a heading that is a question is asked as it stands), else from its title."""
    documents = (listing or {}).get("documents") or []
    if not documents:
        return [""] * count
    questions = []
    for i in range(count):
        document, round_ = documents[i % len(documents)], i // len(documents)
        headings = [h for h in map(_unnumbered, document.get("sections") or []) if h.rstrip(".:").lower() not in GENERIC_HEADINGS]
        if round_ < len(headings):
            questions.append(_section_question(headings[round_]))
        else:
            title = _short(document["title"], 70)
            questions.append(EXAMPLE_FORMS[round_ % len(EXAMPLE_FORMS)].format(title=title))
    return questions


EXAMPLE_FORMS = ("What is \u201c{title}\u201d about?", "Who wrote \u201c{title}\u201d?", "What does \u201c{title}\u201d conclude?")
SECTION_FORM = "What does the section \u201c{heading}\u201d say?"
GENERIC_HEADINGS = {"abstract", "introduction", "references", "bibliography", "acknowledgments", "acknowledgements",
                    "contents", "appendix", "notes", "related work", "background", "conclusion", "conclusions",
                    "discussion", "methods", "experiments", "results", "data availability", "author information",
                    "author contributions", "supplementary information", "supplementary material"}
_NUMBERING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-H]\.(?:\d{1,2}\.?)*|appendix [A-H][.:]?)\s+", re.IGNORECASE)


def _unnumbered(heading: str) -> str:
    """ "4.1. ImageNet Classification" -> "ImageNet Classification"."""
    return _NUMBERING.sub("", " ".join(heading.split()))


def _section_question(heading: str) -> str:
    """A heading that asks ("The Institution: What Lab Produced ResNet?") is the question (its
    part after a colon); any other becomes "What does the section “…” say?"."""
    if heading.endswith("?") and len(heading) <= 90:
        return heading.split(": ", 1)[-1]
    return SECTION_FORM.format(heading=_short(heading, 70))


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split()).rstrip("?.!:;")
    return text if len(text) <= limit else _head(text, limit) + "…"


def question_counter(limit: int) -> str:
    """The element the page script fills with "n / limit characters" near and past the limit."""
    return f"<div id='question-count' class='count' data-limit='{limit}' aria-live='polite'></div>"
