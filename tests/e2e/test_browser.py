"""The web chat in a real browser: Debian's Chromium driven by Playwright (no display needed).

One browser. Questions go to a page of the read-only app (each starts a new conversation); each
test that uploads or removes gets a page of its own on the session's documents app, and leaves its
corpus as it found it (as test_webchat's upload tests do). A screenshot of the final state is saved
to test-artifacts/ for CI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import WAIT_MS, open_chat

pytestmark = pytest.mark.timeout(600)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SEED_FILE = "who-benefits-from-american-ai-research-in-china.txt"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(WAIT_MS)
        yield context
        context.close()


@pytest.fixture(scope="module")
def page(browser, app_server):
    """The chat of the read-only app (questions only)."""
    page = open_chat(browser, app_server)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-chat-final.png"), full_page=True)


@pytest.fixture
def own_page(browser, documents_app):
    """A page of the test's own, for a test that changes documents: (page, server). The server is
    the session's documents app, shared rather than started per test (~10-20 s each on 2 cores);
    each such test removes what it added."""
    page = open_chat(browser, documents_app)
    yield page, documents_app
    page.close()


def new_conversation(page) -> None:
    """Start a new conversation, and wait until the server's reply to the click has arrived: the
    reply empties the question box too, so a question typed before it lands would be wiped and
    sent empty. An empty chat alone does not show it (a fresh page's chat is empty already): the
    box is filled first, and its emptying is the reply."""
    page.fill("#question textarea", "(starting a new conversation)")
    page.click("#new-conversation")
    page.wait_for_function(
        "() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0"
        " && document.querySelector('#question textarea').value === ''"
    )


def ask(page, question: str):
    """Type a question, press Enter, wait for the finished answer; the answer's element."""
    done = "#chat .answer-meta, #chat .error-message"
    before = page.locator(done).count()
    box = page.locator("#question textarea")
    # The previous turn clears the box after its answer is marked done: under load that clear can
    # land after this fill and send an empty question, so fill once the box is clear (or already holds
    # this question, typed by the test), and send once it holds the question.
    expect(box).to_have_value(re.compile(f"^(|{re.escape(question)})$"), timeout=WAIT_MS)
    box.fill(question)
    expect(box).to_have_value(question, timeout=WAIT_MS)
    box.press("Enter")
    page.wait_for_function(f"n => document.querySelectorAll({json.dumps(done)}).length > n", arg=before, timeout=WAIT_MS)
    return page.locator('#chat [data-testid="bot"]').last


def upload(page, path: Path) -> None:
    page.set_input_files("#upload input[type=file]", str(path))


def remove_document(page, name: str) -> None:
    """The row's "Remove", then "Remove" again where the row asks; waits for the report."""
    row = page.locator(f"#documents .doc[data-source='{name}']")
    row.locator(".doc-remove").click()
    row.locator(".doc-remove-yes").click()
    page.locator("#ingest-status").filter(has_text=f"Removed {name}").wait_for()


def test_question_gets_a_cited_answer(page):
    new_conversation(page)
    answer = ask(page, "Who benefited from the ResNet research done at Microsoft Research Asia?")
    text = answer.inner_text()
    assert "[1]" in text
    assert "Not found in your documents" not in text
    assert SEED_FILE in text
    first = answer.locator(".source").first
    assert first.locator(".source-n").inner_text() == "[1]"
    quote = first.locator("mark").first.inner_text()
    assert len(quote.split()) >= 4, "the supporting quote is highlighted in the passage"
    assert page.locator("#question textarea").input_value() == "", "the input is cleared after sending"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-chat-answer.png"))


def test_uploaded_pdf_is_cited_with_its_page_then_removed(own_page, sample_pdf: Path):
    page, app_server = own_page
    new_conversation(page)
    upload(page, sample_pdf)
    status = page.locator("#ingest-status")
    status.filter(has_text="zorblax.pdf").wait_for()
    assert "Added" in status.inner_text(), status.inner_text()
    page.wait_for_selector("#documents .doc[data-source='zorblax.pdf']")
    assert "2 pages" in page.locator("#documents .doc[data-source='zorblax.pdf']").inner_text()

    answer = ask(page, "When and where was the Zorblax protocol ratified?")
    text = answer.inner_text()
    assert "1987" in text and "Tallinn" in text, text
    heads = [h for h in answer.locator(".source-head").all_inner_texts() if "zorblax.pdf" in h]
    assert heads, text
    assert all("page 2" in h for h in heads), heads
    assert "Tallinn" in " ".join(answer.locator("mark").all_inner_texts())

    # remove it: it leaves the list, the corpus folder, and the answers
    remove_document(page, "zorblax.pdf")
    page.wait_for_selector("#documents .doc[data-source='zorblax.pdf']", state="detached")
    assert not (app_server.corpus / "zorblax.pdf").exists()

    answer = ask(page, "When and where was the Zorblax protocol ratified?")
    assert "zorblax.pdf" not in answer.inner_text()


def test_corrupt_upload_is_reported_by_name(own_page, tmp_path: Path):
    page, app_server = own_page
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    upload(page, bad)
    failed = page.locator("#ingest-status .failed").filter(has_text="bad.pdf")
    failed.wait_for()
    message = failed.inner_text()
    assert "was not added" in message and ("corrupt" in message or "PDF" in message), message
    assert "Traceback" not in page.locator("#ingest-status").inner_text()
    assert page.locator("#documents .doc[data-source='bad.pdf']").count() == 0
    assert not (app_server.corpus / "bad.pdf").exists(), "nothing half-added"


def test_refusal_and_follow_up(page):
    new_conversation(page)
    refusal = ask(page, "What is the boiling point of liquid nitrogen in Kelvin?")
    text = refusal.inner_text()
    assert "Not found in your documents" in text
    assert "closest passages" in text.lower() and SEED_FILE in text

    ask(page, "What did Shaoqing Ren do?")
    follow_up = ask(page, "Where did he go after MSRA?")
    assert "Momenta" in follow_up.inner_text()
    assert page.locator('#chat [data-testid="user"]').count() == 3


def test_updated_label_source_filter_and_whole_passage(own_page, tmp_path: Path):
    """README "Web chat": a file with an indexed name but other content is reported as "Updated";
    "Answer only from selected documents" keeps the others out; "whole passage" shows all of it."""
    page, server = own_page
    new_conversation(page)
    filler = "The quay was repaired with granite blocks brought from the northern quarry by barge. " * 3
    status = page.locator("#ingest-status")
    for version, height in (("v1", "2.9"), ("v2", "3.2")):
        path = tmp_path / version / "tides.txt"
        path.parent.mkdir()
        path.write_text(f"Tide notes\n\n{filler}The spring tide at Quayside rose {height} metres in March. {filler}\n")
        upload(page, path)
        status.filter(has_text="Added" if version == "v1" else "Updated").filter(has_text="tides.txt").wait_for()
    assert "Updated tides.txt" in " ".join(status.inner_text().split()), status.inner_text()

    page.click("#sources-filter input")
    page.get_by_role("option", name="tides.txt").click()
    page.keyboard.press("Escape")
    answer = ask(page, "How high did the spring tide at Quayside rise?")
    text = answer.inner_text()
    assert "3.2" in text and "2.9" not in text, text
    heads = answer.locator(".source-head").all_inner_texts()
    assert heads and all("tides.txt" in h for h in heads), heads
    whole = answer.locator("details.whole").first
    whole.locator("summary").click()
    passage = whole.locator("blockquote").inner_text()
    assert passage.count("granite blocks") >= 4 and "3.2 metres" in passage  # the passage beyond the excerpt
    seed_question = ask(page, "Who benefited from the ResNet research done at Microsoft Research Asia?")
    assert "Not found in your documents" in seed_question.inner_text()  # the seed article is not selected
    assert not [h for h in seed_question.locator(".source-head").all_inner_texts() if SEED_FILE in h]

    remove_document(page, "tides.txt")
    assert not (server.corpus / "tides.txt").exists()
