"""The web chat's controls in Debian's Chromium (issue 13): citations that open their source,
plain-text copy, trash and "New conversation" clearing the history, Retry, Stop, Enter and
Shift+Enter, the status while answering, generated text appearing as it comes, a conversation
that survives a reload (and is nobody else's), the question's limit, a rejected upload, Remove
that asks first, example questions, the highlight readable in the dark theme, and the phone layout.

Questions go to the read-only app; uploads to the documents app (each upload test removes what it
added); the generative controls to a third app answering through a scripted OpenAI-compatible
server on loopback that streams slowly. The browser is /usr/bin/chromium, driven by Playwright;
nothing is downloaded.
"""

from __future__ import annotations

import http.client
import itertools
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assistant.config import PROJECT_ROOT

from ..servers import ScriptedChatServer
from .conftest import ARTIFACTS, app_environment, start_server
from .conftest import open_chat as _open
from .test_browser import CHROMIUM, CHROMIUM_ARGS, SEED_FILE, WAIT_MS, ask, new_conversation, remove_document, upload
from .test_exposure import TRAVERSALS

pytestmark = pytest.mark.timeout(600)

MIN_CONTRAST = 4.5  # WCAG AA for body text
# The element's scrolling ancestor (the chat's message list), and whether the element's top is in
# its view (the chat scrolls, not the window).
SCROLL_VIEW = """
e => {
  let view = e.parentElement;
  while (view && !(view.scrollHeight > view.clientHeight && getComputedStyle(view).overflowY !== 'visible')) {
    view = view.parentElement;
  }
  return view;
}
"""
IN_CHAT_VIEW = """
id => {
  const card = document.getElementById(id);
  const view = (""" + SCROLL_VIEW + """)(card);
  const inner = card.getBoundingClientRect(), outer = view.getBoundingClientRect();
  return inner.top >= outer.top - 1 && inner.top < outer.bottom;
}
"""


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(chromium, server, **options):
    origin = server.url
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    context.set_default_timeout(WAIT_MS)
    return context


@pytest.fixture(scope="module")
def page(chromium, app_server):
    context = _context(chromium, app_server)
    yield _open(context, app_server)
    context.close()


@pytest.fixture(scope="module")
def documents_page(chromium, documents_app):
    context = _context(chromium, documents_app)
    yield _open(context, documents_app)
    context.close()


def _raw_get(server, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client normalises its ``..``)."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# -- Open the source ---------------------------------------------------------------------------


def test_markers_link_to_their_cards_and_open_shows_the_text_at_the_quote(page, app_server):
    new_conversation(page)
    answer = ask(page, "Who benefited from the ResNet research done at Microsoft Research Asia?")
    markers = answer.locator("a.cite")
    assert markers.count() >= 1, answer.inner_html()
    for href in markers.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        number = href.rsplit("-", 1)[1]
        card = answer.locator(f"[id='{href[1:]}']")
        assert card.count() == 1, href
        assert card.locator(".source-n").inner_text() == f"[{number}]"
    first = markers.first
    card_id = first.get_attribute("href")[1:]
    # scrolled to the end of this long answer, card [1] is out of view; the link brings it back
    page.evaluate(f"id => ({SCROLL_VIEW})(document.getElementById(id)).scrollTop = 1e9", card_id)
    page.wait_for_function(f"id => !({IN_CHAT_VIEW})(id)", arg=card_id, timeout=10_000)
    page.wait_for_timeout(300)  # a reader's pause: the chat's own scroll handling settles
    first.click()
    page.wait_for_function(IN_CHAT_VIEW, arg=card_id, timeout=10_000)

    source = answer.locator(".source").first
    quote = " ".join(source.locator("mark").first.inner_text().split())
    with page.context.expect_page() as opened:
        source.locator("a.open-source").click()
    document = opened.value
    document.wait_for_load_state()
    assert urlsplit(document.url).path == f"/document/{SEED_FILE}" and document.url.endswith("#quote"), document.url
    marked = document.locator("mark#quote")
    assert " ".join(marked.inner_text().split()) == quote
    assert marked.evaluate("e => e.getBoundingClientRect().top >= 0 && e.getBoundingClientRect().top < innerHeight"), (
        "the page is scrolled to the quote"
    )
    document.close()


def test_open_gives_the_cited_page_of_the_pdf(documents_page, documents_app, sample_pdf: Path, tmp_path: Path):
    page = documents_page
    pdf = tmp_path / "protocol-notes.pdf"
    shutil.copyfile(sample_pdf, pdf)
    new_conversation(page)
    upload(page, pdf)
    page.locator("#ingest-status").filter(has_text="Added").filter(has_text=pdf.name).wait_for()
    answer = ask(page, "When and where was the Zorblax protocol ratified?")
    cited = answer.locator(".source").filter(has_text=pdf.name).filter(has_text="page 2").first
    link = cited.locator("a.open-source")
    assert link.get_attribute("href") == f"document/{pdf.name}#page=2"
    with page.context.expect_page() as opened:
        link.click()
    viewer = opened.value
    assert viewer.url == f"{documents_app.url}/document/{pdf.name}#page=2"
    viewer.close()
    response = page.request.get(f"{documents_app.url}/document/{pdf.name}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body() == pdf.read_bytes()
    remove_document(page, pdf.name)
    assert page.request.get(f"{documents_app.url}/document/{pdf.name}").status == 404, "a removed document is not served"


def test_only_indexed_documents_are_served(app_server):
    index_file = next(p for p in (app_server.root / "index").iterdir() if p.is_file())
    outside = [f"/document/{name}" for name in TRAVERSALS] + [
        f"/document/../index/{index_file.name}",
        f"/document/..%2Findex%2F{index_file.name}",
        f"/document/%2e%2e/%2e%2e/{Path(__file__).name}",
        "/document//etc/passwd",
        "/document/corpus/" + SEED_FILE,
        "/document/not-indexed.txt",
    ]
    for path in outside:
        status, body = _raw_get(app_server, path)
        assert status == 404, (path, status, body[:200])
    status, body = _raw_get(app_server, f"/document/{SEED_FILE}")
    assert status == 200 and b"Who benefits" in body and b"id='quote'" not in body, "no quote asked, none marked"


def test_documents_need_sign_in_when_auth_is_on(start_app):
    import httpx

    server = start_app("webchat-auth", ASSISTANT_AUTH="reader:correct horse")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get(f"/document/{SEED_FILE}").status_code == 401
        assert client.post("/login", data={"username": "reader", "password": "correct horse"}).status_code == 200
        opened = client.get(f"/document/{SEED_FILE}", params={"q": "ResNet"})
        assert opened.status_code == 200 and "<mark id='quote'>ResNet</mark>" in opened.text
        assert client.get("/document/../../etc/passwd").status_code == 404


# -- Controls ----------------------------------------------------------------------------------


def test_copy_puts_plain_text_with_numbered_sources_on_the_clipboard(page):
    new_conversation(page)
    answer = ask(page, "Who benefited from the ResNet research done at Microsoft Research Asia?")
    page.evaluate("navigator.clipboard.writeText('')")
    answer.locator(".copy-answer").click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()).length > 0")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert not re.search(r"<[a-z/]", copied), copied
    text, _, sources = copied.partition("\n\nSources\n")
    assert "[1]" in text and sources, copied
    cards = answer.locator(".source")
    lines = sources.splitlines()
    assert len(lines) == cards.count()
    for n, line in enumerate(lines, start=1):
        assert line.startswith(f"[{n}] ") and SEED_FILE in line, line


def _answer_text(answer) -> str:
    return answer.locator(".answer-text, .error-message").first.inner_text()


def test_trash_and_new_conversation_clear_the_history_the_next_question_sees(page):
    new_conversation(page)
    ask(page, "What did Shaoqing Ren do?")
    with_history = _answer_text(ask(page, "Where did he go after MSRA?"))
    assert "Momenta" in with_history

    page.locator("#chat button[aria-label='Clear']").click()
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    after_trash = _answer_text(ask(page, "Where did he go after MSRA?"))
    assert page.locator('#chat [data-testid="user"]').count() == 1, "the cleared turns do not come back"

    ask(page, "What did Shaoqing Ren do?")
    new_conversation(page)
    fresh = _answer_text(ask(page, "Where did he go after MSRA?"))
    assert after_trash == fresh, "after the trash, the follow-up is answered as in a new conversation"
    assert fresh != with_history, "without the history, 'he' is not resolved to Shaoqing Ren"


def _users(page) -> list[str]:
    return page.locator('#chat [data-testid="user"]').all_inner_texts()


def test_enter_sends_and_shift_enter_adds_a_line(page):
    new_conversation(page)
    page.wait_for_timeout(500)  # "New conversation" also empties the box: not over what is typed next
    box = page.locator("#question textarea")
    box.fill("What did Shaoqing Ren do?")
    box.press("Shift+Enter")
    box.press_sequentially("Answer briefly.")
    assert box.input_value() == "What did Shaoqing Ren do?\nAnswer briefly."
    page.wait_for_timeout(1000)
    assert _users(page) == [], "Shift+Enter does not send"
    box.press("Enter")
    page.wait_for_selector("#chat .answer-meta, #chat .error-message")
    assert [" ".join(u.split()) for u in _users(page)] == ["What did Shaoqing Ren do? Answer briefly."]
    assert box.input_value() == ""


def test_retry_asks_the_last_question_again(page):
    new_conversation(page)
    assert not page.locator("#retry").is_visible(), "nothing to retry yet"
    ask(page, "What did Shaoqing Ren do?")
    answer = ask(page, "Who benefited from the ResNet research done at Microsoft Research Asia?")
    first_card = answer.locator(".source").first.get_attribute("id")
    text = _answer_text(answer)
    page.click("#retry")
    page.wait_for_function(
        "id => !document.getElementById(id) && document.querySelectorAll('#chat .answer-meta').length === 2",
        arg=first_card,
    )
    assert _users(page) == ["What did Shaoqing Ren do?", "Who benefited from the ResNet research done at Microsoft Research Asia?"]
    retried = page.locator('#chat [data-testid="bot"]').last
    assert _answer_text(retried) == text, "the same question, answered again (extractive answers are deterministic)"


# The distinct texts the chat's status line showed, in order (recorded as the page changes).
RECORD_STATUS = """
() => {
  window.statusSeen = [];
  new MutationObserver(() => {
    for (const e of document.querySelectorAll('#chat .pending')) {
      const text = e.innerText.trim();
      if (window.statusSeen[window.statusSeen.length - 1] !== text) window.statusSeen.push(text);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


def test_the_status_says_what_is_happening(page):
    new_conversation(page)
    page.evaluate(RECORD_STATUS)
    ask(page, "Who benefited from the ResNet research done at Microsoft Research Asia?")
    seen = page.evaluate("window.statusSeen")
    assert seen == ["Searching your documents…", "Choosing sentences…"], seen
    assert page.locator("#chat .answering").count() == 0 and not page.locator("#stop-answer").is_visible()


# Counts the browser's writes of the kept conversation (encrypted: only its writes can be seen).
COUNT_SAVES = """
() => {
  window.saves = 0;
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    if (key === 'assistant-conversation') window.saves += 1;
    return setItem.call(this, key, value);
  };
}
"""


def test_a_reload_keeps_the_conversation_and_it_stays_in_that_browser(page, chromium, app_server):
    new_conversation(page)
    page.wait_for_timeout(1000)  # "New conversation" saves the empty one: let that land first
    page.evaluate(COUNT_SAVES)
    ask(page, "What did Shaoqing Ren do?")
    asked = _answer_text(page.locator('#chat [data-testid="bot"]').last)
    page.wait_for_function("() => window.saves > 0")  # kept once the answer is done
    page.reload(wait_until="load")
    page.wait_for_selector("#chat .answer-meta")
    assert _users(page) == ["What did Shaoqing Ren do?"]
    assert _answer_text(page.locator('#chat [data-testid="bot"]').last) == asked
    follow_up = ask(page, "Where did he go after MSRA?")
    assert "Momenta" in _answer_text(follow_up), "the restored turns are the next question's history"

    other = _context(chromium, app_server)  # another browser (another user): its own, empty chat
    try:
        elsewhere = _open(other, app_server)
        elsewhere.wait_for_timeout(1500)  # the restore runs on load
        assert _users(elsewhere) == [] and elsewhere.locator('#chat [data-testid="bot"]').count() == 0
    finally:
        other.close()


def test_the_kept_conversation_is_only_restored_for_the_user_who_saved_it():
    from assistant.config import Settings
    from assistant.web.chat import restored, saved

    settings = Settings()
    turns = [{"question": "q", "answer": "a", "html": "<p>a</p>"}]
    assert restored(saved(turns, "ada", settings), "ada", settings) == turns
    assert restored(saved(turns, "ada", settings), "bob", settings) == []
    assert restored(saved(turns, None, settings), "bob", settings) == []
    assert restored({"user": "", "turns": [{"question": 1, "html": "x"}, "junk"]}, None, settings) == []
    many = turns * (settings.max_history_turns + 5)
    assert len(restored(saved(many, None, settings), None, settings)) == settings.max_history_turns


# -- Inputs ------------------------------------------------------------------------------------


def test_character_count_near_the_limit_and_a_message_past_it(page):
    limit = int(page.locator("#question-count").get_attribute("data-limit"))
    counter = page.locator("#question-count")
    box = page.locator("#question textarea")
    box.fill("x" * (limit // 2))
    assert counter.inner_text().strip() == "", "no count far from the limit"
    near = int(limit * 0.9)
    box.fill("x" * near)
    assert counter.inner_text() == f"{near:,} / {limit:,} characters"
    over = "Why " + "x" * (limit + 341)
    new_conversation(page)
    box.fill(over)
    assert "over" in counter.get_attribute("class")
    assert f"{len(over) - limit:,} over the limit" in counter.inner_text()
    message = ask(page, over).inner_text()  # ask() fills the same text again and presses Enter
    assert f"{len(over):,} characters" in message and f"{limit:,}" in message, message
    assert box.input_value() == over, "the question stays in the box, whole, to be shortened"


def test_empty_question_gets_the_message(page):
    new_conversation(page)
    message = ask(page, "   ").inner_text()
    assert "the question is empty" in message.lower(), message
    assert page.locator('#chat [data-testid="user"]').count() == 0


# -- Documents panel ---------------------------------------------------------------------------


def test_rejected_upload_is_listed_with_its_reason_and_the_box_takes_the_next(documents_page, documents_app, tmp_path: Path):
    page = documents_page
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ" + b"\0" * 64)
    upload(page, program)
    failed = page.locator("#ingest-status .failed").filter(has_text="setup.exe")
    failed.wait_for()
    assert "unsupported file type '.exe'" in failed.inner_text(), failed.inner_text()
    assert not (documents_app.corpus / "setup.exe").exists()

    note = tmp_path / "harbour-note.txt"
    note.write_text("Harbour note\n\nThe lighthouse at Quayside was painted red and white in 1931.\n")
    upload(page, note)
    page.locator("#ingest-status .ok").filter(has_text="harbour-note.txt").wait_for()
    assert "setup.exe" not in page.locator("#ingest-status").inner_text(), "the status is about the latest upload"
    remove_document(page, note.name)


def test_remove_asks_first_and_keep_keeps_the_document(documents_page, documents_app, tmp_path: Path):
    page = documents_page
    note = tmp_path / "ferry-note.txt"
    note.write_text("Ferry note\n\nThe ferry to Quayside left at seven every morning in 1952.\n")
    upload(page, note)
    row = page.locator(f"#documents .doc[data-source='{note.name}']")
    row.wait_for()
    confirm = row.locator(".doc-confirm")
    assert confirm.is_hidden()
    row.locator(".doc-remove").click()
    assert confirm.is_visible() and note.name in confirm.inner_text()
    page.wait_for_timeout(1500)
    assert (documents_app.corpus / note.name).exists() and row.count() == 1, "one click never deletes"
    row.locator(".doc-remove-no").click()
    assert confirm.is_hidden()
    page.wait_for_timeout(1000)
    assert (documents_app.corpus / note.name).exists() and row.count() == 1
    remove_document(page, note.name)
    row.wait_for(state="detached")
    assert not (documents_app.corpus / note.name).exists()


# The distinct texts the upload box's progress showed, in order.
RECORD_PROGRESS = """
() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    const box = document.querySelector('#upload');
    const text = box ? box.innerText.replace(/\\s+/g, ' ').trim() : '';
    if (text && window.progressSeen[window.progressSeen.length - 1] !== text) window.progressSeen.push(text);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


def _long_pdf(path: Path, pages: int) -> Path:
    """A PDF of ``pages`` pages of distinct sentences (~3 passages a page), small enough to upload."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 5, " ".join(
            f"In year {1900 + n * 7 + i} the harbour of town {n}-{i} recorded a spring tide of {n + i / 10:.1f} metres "
            f"and {n * 3 + i} ships unloaded timber, salt and {('grain', 'coal', 'wool', 'iron')[i % 4]} at its quay."
            for i in range(14)
        ))
    pdf.output(str(path))
    return path


def test_upload_progress_moves_per_page_and_says_what_comes_after_reading(documents_page, documents_app, tmp_path: Path):
    page = documents_page
    pdf = _long_pdf(tmp_path / "harbour-ledger.pdf", 40)
    page.evaluate(RECORD_PROGRESS)
    upload(page, pdf)
    page.locator("#ingest-status .ok").filter(has_text=pdf.name).wait_for()
    seen = page.evaluate("window.progressSeen")
    said = " | ".join(seen)
    assert "Read 1 file; embedding the passages…" in said, said
    assert "Reading page" in said and said.index("Reading page") < said.index("Read 1 file"), said  # moves per page
    assert "saving the passages to the index…" in said, said
    assert said.index("embedding the passages") < said.index("saving the passages"), said
    remove_document(page, pdf.name)


# -- First page --------------------------------------------------------------------------------


def test_example_questions_come_from_the_documents_and_ask_when_clicked(page, app_server):
    examples = page.locator("#examples button.example:visible")
    examples.first.wait_for()
    texts = examples.all_inner_texts()
    assert len(texts) == 3 and len(set(texts)) == 3, texts
    # The article's headings are questions ("The Institution: What Lab Produced ResNet?"): each
    # example asks one as the article words it, past its label.
    article = (PROJECT_ROOT / "corpus" / SEED_FILE).read_text(encoding="utf-8")
    assert all(t.endswith("?") and t in article for t in texts), texts
    new_conversation(page)
    examples.nth(1).click()
    page.wait_for_selector("#chat .answer-meta")
    assert page.locator('#chat [data-testid="user"]').last.inner_text() == texts[1]
    assert SEED_FILE in page.locator('#chat [data-testid="bot"]').last.inner_text()


# -- Dark mode ---------------------------------------------------------------------------------

CONTRAST = """
e => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(e);
  const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_highlight_is_readable_in_both_themes(chromium, app_server, scheme):
    context = _context(chromium, app_server, color_scheme=scheme)
    try:
        page = _open(context, app_server)
        dark = page.evaluate("document.body.classList.contains('dark') || document.documentElement.classList.contains('dark')")
        assert dark == (scheme == "dark"), "the app follows the system theme"
        answer = ask(page, "Who benefited from the ResNet research done at Microsoft Research Asia?")
        contrast = answer.locator("mark").first.evaluate(CONTRAST)
        assert contrast >= MIN_CONTRAST, f"{scheme}: the highlight's contrast is {contrast:.2f}:1"
        with context.expect_page() as opened:
            answer.locator("a.open-source").first.click()
        document = opened.value
        document.wait_for_load_state()
        contrast = document.locator("mark#quote").evaluate(CONTRAST)
        assert contrast >= MIN_CONTRAST, f"{scheme}: the document page's highlight contrast is {contrast:.2f}:1"
    finally:
        context.close()


# -- The pure parts, without a browser -----------------------------------------------------------


def test_the_text_page_escapes_the_document_and_marks_the_quote_across_line_breaks():
    from assistant.web.documents import document_link, text_page

    text = "Intro <script>alert(1)</script>\n\nThe tide rose\n3.2 metres in March. Later text."
    page = text_page("tides & notes.txt", text, "The tide rose 3.2 metres")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<mark id='quote'>The tide rose<br>3.2 metres</mark>" in page
    assert "was not found" in text_page("tides.txt", text, "a sentence the document lacks")
    assert document_link("a b.pdf", 3, "q") == "document/a%20b.pdf#page=3"
    assert document_link("notes/tides.md", None, "rose 3.2 & more") == "document/notes/tides.md?q=rose%203.2%20%26%20more#quote"


def test_example_questions_use_section_headings_when_the_listing_has_them():
    from assistant.web.render import example_questions

    titles_only = {"documents": [{"title": "Tide Notes"}, {"title": "Harbour Log"}]}
    assert example_questions(titles_only, 3) == [
        "What is \u201cTide Notes\u201d about?", "What is \u201cHarbour Log\u201d about?", "Who wrote \u201cTide Notes\u201d?",
    ]
    sections = {"documents": [{"title": "Tide Notes", "sections": ["Introduction", "Spring tides", "Neap tides"]}]}
    assert example_questions(sections, 3) == [
        "What does the section \u201cSpring tides\u201d say?", "What does the section \u201cNeap tides\u201d say?",
        "What does \u201cTide Notes\u201d conclude?",
    ]
    numbered = {"documents": [{"title": "Fast R-CNN", "sections": ["Abstract", "1. Introduction", "2. Fast R-CNN architecture",
                                                                   "A. Object Detection Baselines", "6 Conclusions"]}]}
    assert example_questions(numbered, 3) == [
        "What does the section \u201cFast R-CNN architecture\u201d say?",
        "What does the section \u201cObject Detection Baselines\u201d say?", "What does \u201cFast R-CNN\u201d conclude?",
    ]
    asking = {"documents": [{"title": "Who benefits", "sections": ["The Institution: What Lab Produced ResNet?"]}]}
    assert example_questions(asking, 1) == ["What Lab Produced ResNet?"]
    assert example_questions({"documents": []}, 3) == ["", "", ""]


def test_copy_text_is_the_answer_then_one_line_per_source():
    from assistant.types import Answer, Citation
    from assistant.web.render import plain_text, render_answer

    cite = Citation(n=1, source="a.pdf", title="A <b>title</b>", page=2, chunk_id="c", text="x", quote="The  quote\nhere", start=0, end=1)
    answer = Answer(question="q", answer="It rose 3.2 metres. [1]\n", refused=False, backend="extractive", citations=(cite,))
    assert plain_text(answer) == "It rose 3.2 metres. [1]\n\nSources\n[1] A <b>title</b> (a.pdf, page 2): \u201cThe quote here\u201d"
    shown = render_answer(answer, key="k")
    assert "<a class='cite' href='#src-k-1'>[1]</a>" in shown and "id='src-k-1'" in shown
    assert "A &lt;b&gt;title&lt;/b&gt;" in shown and "\n" not in shown.split("<pre class='copy-text'>")[1]


def test_a_line_break_or_space_at_the_highlights_edges_is_kept():
    from assistant.types import Citation
    from assistant.web.render import render_citation

    text = "The Institution: What Lab Produced ResNet?\nResNet was built at MSRA. It was founded in 1998."
    quote = "ResNet was built at MSRA."
    cite = Citation(n=1, source="a.txt", title="A", page=None, chunk_id="c", text=text, quote=quote, start=0, end=1)
    shown = render_citation(cite)
    assert "ResNet?<br><mark>ResNet was built at MSRA.</mark> It was founded" in shown, shown


# -- Phone ---------------------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
# Elements side by side on the page: none may cover another.
LAYOUT = [
    "#app-header h1", "#banner .banner", "#question textarea", "#ask-button", "#examples button.example",
    "#new-conversation", "#documents .doc-text", "#documents .doc-remove", "#upload [data-testid='block-label']",
    "#upload svg.feather-upload", "#stop-adding", "#backend input", "#sources-filter input",
]
BOXES = """
selectors => selectors.flatMap(selector => [...document.querySelectorAll(selector)]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map((e, i) => { const r = e.getBoundingClientRect();
    return {name: `${selector} #${i}`, left: r.left, top: r.top + scrollY, right: r.right, bottom: r.bottom + scrollY}; }))
"""


def _overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack


def test_phone_layout_nothing_covers_anything(chromium, app_server):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(WAIT_MS)
    try:
        page = _open(context, app_server)
        page.wait_for_selector("#examples button.example:visible")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-chat-phone.png"), full_page=True)
        boxes = page.evaluate(BOXES, LAYOUT)
        names = {b["name"].split(" #")[0] for b in boxes}
        assert names == set(LAYOUT), set(LAYOUT) - names
        covered = [(a["name"], b["name"]) for a, b in itertools.combinations(boxes, 2) if _overlap(a, b)]
        assert not covered, covered
        wide = [b["name"] for b in boxes if b["right"] > PHONE["width"] + 1 or b["left"] < -1]
        assert not wide, f"wider than the phone: {wide}"
    finally:
        context.close()


# -- Generative backends: text as it comes, and Stop ------------------------------------------------

ANSWER = ("Kaiming He left Microsoft Research Asia and joined Facebook AI Research in 2016, where he "
          "continued his work on deep residual networks and visual recognition [1].")


WORDS = re.findall(r"\S+\s*", ANSWER)  # what the slow server streams, one word an event


@pytest.fixture(scope="module")
def slow_llm():
    llm = ScriptedChatServer(lambda passages: WORDS, delay_s=0.25)
    yield llm
    llm.close()


@pytest.fixture(scope="module")
def generative_page(chromium, slow_llm, tmp_path_factory):
    """The read-only seed corpus, answered by default through the slow scripted server."""
    root = tmp_path_factory.mktemp("generative-app")
    server = start_server(root, "generative", env=app_environment(
        root, ASSISTANT_BACKEND="openai", ASSISTANT_OPENAI_BASE_URL=slow_llm.url, ASSISTANT_OPENAI_MODEL="slow",
    ))
    context = _context(chromium, server)
    try:
        yield _open(context, server)
    finally:
        context.close()
        server.stop()


# The distinct texts of the answer being generated, in order.
RECORD_GENERATED = """
() => {
  window.generated = [];
  new MutationObserver(() => {
    const e = document.querySelector('#chat .answering .answer-text');
    const text = e ? e.innerText.replace('▍', '').trim() : null;
    if (text && window.generated[window.generated.length - 1] !== text) window.generated.push(text);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


def test_generated_text_appears_as_it_comes(generative_page, slow_llm):
    page = generative_page
    new_conversation(page)
    page.evaluate(RECORD_GENERATED)
    ask(page, "Which company did Kaiming He join after leaving MSRA?")
    seen = page.evaluate("window.generated")
    assert len(seen) >= len(WORDS) // 2, seen  # word by word (a few may arrive together)
    whole = " ".join(ANSWER.split())
    shown = [" ".join(text.split()) for text in seen]
    # growing, and only ever the generated text (an extractive answer the verifier puts in its
    # place is never shown glued to it); all of it, or all but the last word when the finished
    # answer follows that word at once
    assert all(whole.startswith(text) for text in shown), shown
    assert all(later.startswith(earlier) for earlier, later in zip(shown, shown[1:])), shown
    assert shown[-1] in (whole, whole.rsplit(" ", 1)[0]), shown[-1]


def test_stop_ends_a_generated_answer_and_closes_the_request(generative_page, slow_llm):
    page = generative_page
    new_conversation(page)
    slow_llm.hung_up.clear()
    page.fill("#question textarea", "Which company did Kaiming He join after leaving MSRA?")
    page.press("#question textarea", "Enter")
    partial = page.locator("#chat .answering .answer-text")
    page.wait_for_function("() => (document.querySelector('#chat .answering .answer-text') || {innerText: ''}).innerText.split(' ').length > 3")
    assert page.locator("#stop-answer").is_visible() and not page.locator("#retry").is_visible()
    shown = partial.inner_text().replace("▍", "").strip()
    page.click("#stop-answer")
    page.wait_for_selector("#chat .stopped", timeout=5_000)
    assert page.locator("#chat .answering").count() == 0 and not page.locator("#stop-answer").is_visible()
    kept = page.locator("#chat .stopped-text").inner_text().strip()
    assert kept.startswith(shown) and len(kept) < len(ANSWER.strip()), (shown, kept)
    assert slow_llm.hung_up.wait(10), "the backend's request is closed"
    assert slow_llm.sent[-1] < len(WORDS), slow_llm.sent

    # Retry asks it again, and this time it runs to the end
    page.click("#retry")
    page.wait_for_selector("#chat .answer-meta")
    assert page.locator("#chat .stopped").count() == 0 and _users(page) == ["Which company did Kaiming He join after leaving MSRA?"]
