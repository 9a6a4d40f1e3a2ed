"""Loaders: real PDFs (generated with fpdf2, and the ResNet paper), HTML, Markdown, text, and every
kind of bad file, each refused with the file's name and the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.errors import IngestError
from assistant.ingest.loaders import clean_text, load
from assistant.ingest.pdf_text import clean_line, join_hyphenated
from tests.conftest import PAPERS, RESNET_PDF

from .helpers import encrypted_pdf, paper_pages

MIB = 2**20


def _load(path: Path, **kwargs):
    kwargs.setdefault("max_bytes", 50 * MIB)
    return load(path, source=kwargs.pop("source", path.name), **kwargs)


# -- generated PDFs --------------------------------------------------------------------------
def make_pdf(path: Path, pages: list[list[str]], *, title: str | None = "A Generated Test Document", compress=True) -> Path:
    """A real PDF, one list of lines per page (each line its own text line in the PDF)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(compress)
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


THREE_PAGES = [
    ["Page one opens the document.", "Machine learn-", "ing needs a lot of data.", "One more line."],
    ["Page two talks about residual", "networks and the identity map-", "ping that eases parameter-", "free optimization."],
    ["Page three closes the document."],
]


@pytest.fixture(scope="module")
def generated_pdf(tmp_path_factory) -> Path:
    return make_pdf(tmp_path_factory.mktemp("pdf") / "generated.pdf", THREE_PAGES)


def test_generated_pdf_pages_are_one_based_and_dehyphenated(generated_pdf: Path):
    pages = _load(generated_pdf)
    assert [p.page for p in pages] == [1, 2, 3]
    assert all(p.source == "generated.pdf" for p in pages)
    assert pages[0].title == "A Generated Test Document"  # from the PDF metadata
    assert "Page one opens" in pages[0].text
    assert "Page two" in pages[1].text and "Page three" in pages[2].text
    # "learn-\ning" across a line break is one word again, and so is "map-\nping"; a compound
    # broken at its hyphen keeps it ("parameter-free": "parameterfree" is no word).
    assert "learning needs" in pages[0].text and "learn-" not in pages[0].text
    assert "mapping that" in pages[1].text and "parameter-free optimization" in pages[1].text
    for page in pages:
        assert not re.search(r"\w-\n[a-z]", page.text)


def test_pdf_title_falls_back_to_the_first_line(tmp_path: Path):
    path = make_pdf(tmp_path / "untitled.pdf", [["Residual Learning Explained", "Body text here."]], title=None)
    assert _load(path)[0].title == "Residual Learning Explained"


@pytest.mark.parametrize("meta", ["Microsoft Word - draft3.docx", "main.tex", "untitled", "www.example.com"])
def test_a_metadata_title_that_is_no_title_is_passed_over(tmp_path: Path, meta: str):
    path = make_pdf(tmp_path / "named.pdf", [["Residual Learning Explained", "Body text here."]], title=meta)
    assert _load(path)[0].title == "Residual Learning Explained"


def test_site_chrome_is_no_title(tmp_path: Path):
    # A saved web page's navigation line is its first; the next line is the title.
    lines = ["nature.comPublications A-Z indexBrowse by subject CartLoginRegister", "Residual Learning Explained", "Body text."]
    assert _load(make_pdf(tmp_path / "saved.pdf", [lines], title=None))[0].title == "Residual Learning Explained"


@pytest.mark.parametrize("name, title", [
    # No title in their metadata: the title is the first page's largest type, not its first line
    # (a saved web page's navigation, "nature.comPublications A-Z index...").
    ("alphago_zero_nature2017.pdf", "Mastering the game of Go without human knowledge"),
    ("focal_loss_1708.02002.pdf", "Focal Loss for Dense Object Detection"),
    ("identity_mappings_1603.05027.pdf", "Identity Mappings in Deep Residual Networks"),
    ("resnet_1512.03385.pdf", "Deep Residual Learning for Image Recognition"),
    ("fast_rcnn_iccv2015.pdf", "Fast R-CNN"),  # from the metadata, which holds a title
])
def test_the_papers_are_titled_as_they_are_set(name: str, title: str):
    path = PAPERS / name
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    assert {page.title for page in paper_pages(name)} == {title}


def test_blank_pdf_pages_are_skipped_but_numbering_stays_true(tmp_path: Path):
    path = make_pdf(tmp_path / "gap.pdf", [["First page text."], [], ["Third page text."]])
    pages = _load(path)
    assert [(p.page, p.text) for p in pages] == [(1, "First page text."), (3, "Third page text.")]


# -- the real ResNet paper -------------------------------------------------------------------
@pytest.fixture(scope="module")
def resnet_pages():
    if not RESNET_PDF.is_file():
        pytest.skip(f"{RESNET_PDF} is not there")
    return _load(RESNET_PDF, source="resnet.pdf")


def test_an_accent_drawn_beside_its_letter_is_put_on_it(resnet_pages):
    """The references print "M¨uller", "Doll´ar", "Mont´ufar": one word each, accented."""
    text = "\n".join(p.text for p in resnet_pages)
    assert "Müller" in text and "Dollár" in text and "Montúfar" in text
    assert "\u0301" not in text and "\u0308" not in text


@pytest.mark.parametrize("raw, clean", [
    ("Piotr Doll\u00b4ar", "Piotr Dollár"),  # before its letter (TeX)
    ("Man\u00b4dziuk, Moravc\u02c7\u00edk", "Mańdziuk, Moravčík"),  # after it, where none goes on the next
    ("A na\u00a8\u0131ve unit", "A naïve unit"),  # on a dotless i
    ("www.robots.ox.ac.uk/\u02dcvgg/", "www.robots.ox.ac.uk/~vgg/"),  # a tilde outside a word
])
def test_spacing_accents(raw, clean):
    assert clean_line(raw) == clean


def test_resnet_pages_title_and_clean_text(resnet_pages):
    assert [p.page for p in resnet_pages] == list(range(1, 13))
    assert {p.title for p in resnet_pages} == {"Deep Residual Learning for Image Recognition"}
    text = "\n".join(p.text for p in resnet_pages)
    assert "ﬁ" not in text and "ﬂ" not in text and "ﬀ" not in text  # NFKC took the ligatures apart
    # The raw page holds "learn-\ning" and "com-\nprehensive" (abstract) and "Speciﬁ-\ncally" on
    # the last page; the loader joins them (and the ligature inside one of them).
    first, last = resnet_pages[0].text, resnet_pages[-1].text
    assert "residual learning framework" in first
    assert "comprehensive empirical evidence" in first and "com-\nprehensive" not in first
    assert "Specifically" in last and "Speciﬁ" not in last
    assert "classification" in text and "classiﬁ" not in text
    for page in resnet_pages:
        assert not re.search(r"[a-z]-\n[a-z]", page.text), page.page
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", page.text)


@pytest.mark.parametrize(("left", "right", "joined"), [
    ("the Fast R-", "CNN method", "the Fast R-CNN method"),  # a name goes on: no space, hyphen kept
    ("a ResNet-101-", "FPN backbone", "a ResNet-101-FPN backbone"),
    ("on CIFAR-", "100 as well", "on CIFAR-100 as well"),  # a number goes on
    ("the PAS-", "CAL VOC sets", "the PASCAL VOC sets"),  # the document writes "PASCAL" whole
    ("Monte-", "Carlo search", "Monte-Carlo search"),
])
def test_a_line_going_on_with_a_name_after_a_hyphen_is_joined_without_a_space(left, right, joined):
    assert join_hyphenated(left, right, {"pascal", "r-cnn"}) == joined


def test_the_papers_names_are_not_broken_at_their_line_ends():
    """pypdf gives "Fast R-" and "CNN" on two lines; joined with a space, "Fast R- CNN" was what
    the index, the answers and the citations read."""
    for name in ("fast_rcnn_iccv2015.pdf", "focal_loss_1708.02002.pdf", "identity_mappings_1603.05027.pdf"):
        text = "\n".join(p.text for p in paper_pages(name))
        assert not re.search(r"\w- [A-Z0-9]", text), name
    text = "\n".join(p.text for p in paper_pages("fast_rcnn_iccv2015.pdf"))
    assert "The Fast R-CNN method has several advantages" in text


# -- clean_text ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ﬁnd the ﬂow of eﬀort", "find the flow of effort"),  # ligatures (fpdf2's core fonts cannot draw them)
        ("Machine learn-\ning works", "Machine learning works"),
        ("classiﬁ-\ncation", "classification"),  # a ligature inside a hyphenated word
        ("ResNet-\n34 layers", "ResNet-\n34 layers"),  # a hyphen before a number stays
        ("Le-\nCun", "Le-\nCun"),  # ... and before a capital (a name, not a broken word)
        ("a\r\nb\rc", "a\nb\nc"),
        ("tab\tand\u00a0nbsp   runs", "tab and nbsp runs"),
        ("zero\u200bwidth\ufeff and \x07bell", "zerowidth and bell"),
        ("\n\n\n\npara one\n\n\n\n\npara two\n\n", "para one\n\npara two"),
        ("Ｆｕｌｌｗｉｄｔｈ", "Fullwidth"),
    ],
)
def test_clean_text(raw: str, clean: str):
    assert clean_text(raw) == clean


def test_clean_text_is_idempotent():
    sample = "The ﬁrst learn-\ning step\r\n\n\n\tends  here."
    assert clean_text(clean_text(sample)) == clean_text(sample)


# -- HTML, Markdown, text --------------------------------------------------------------------
HTML = """<!DOCTYPE html>
<html><head><title>The Page Title</title>
<style>body { color: red } .SECRETSTYLE {}</style>
<script>var secret = "SECRETSCRIPT";</script>
<meta name="description" content="SECRETMETA"></head>
<body><!-- SECRETCOMMENT -->
<nav>Home</nav>
<h1>Main   Heading</h1>
<p>The first paragraph has an <b>inline</b> word and
a line break in its source.</p>
<noscript>SECRETNOSCRIPT</noscript><template><p>SECRETTEMPLATE</p></template>
<div hidden>SECRETHIDDEN</div><p style="display: none">SECRETDISPLAYNONE</p>
<ul><li>first item</li><li>second item</li></ul>
<script type="application/ld+json">{"SECRETJSON": 1}</script>
<p>Fish &amp; chips&nbsp;&mdash; ﬁne.</p></body></html>"""


def test_html_keeps_visible_text_only(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    [page] = _load(path)
    assert page.page is None
    assert page.title == "The Page Title"
    assert "SECRET" not in page.text, page.text
    assert "var secret" not in page.text and "color: red" not in page.text
    lines = page.text.split("\n")
    # Inline elements stay inside their line; the source's line break inside a paragraph is not text.
    assert "The first paragraph has an inline word and a line break in its source." in lines
    assert "Main Heading" in lines and "first item" in lines and "second item" in lines
    assert "Fish & chips — fine." in lines


def test_html_title_from_h1_without_title_tag(tmp_path: Path):
    path = tmp_path / "page.htm"
    path.write_text("<html><body><h1>Only a Heading</h1><p>Body.</p></body></html>", encoding="utf-8")
    [page] = _load(path)
    assert page.title == "Only a Heading"
    assert page.text == "Only a Heading\n\nBody."


def test_markdown_title_from_first_heading(tmp_path: Path):
    path = tmp_path / "notes.md"
    path.write_text("---\ntitle: Front Matter Title\ntags: [x]\n---\n\nAn intro line.\n\n## The First Heading\n\nBody.\n")
    [page] = _load(path)
    assert page.title == "The First Heading"
    assert "An intro line." in page.text

    path.write_text("Setext Heading\n==============\n\nBody *text*.\n")
    assert _load(path)[0].title == "Setext Heading"

    path.write_text("```\n# not a heading\n```\n\n# Real Heading #\n")
    assert _load(path)[0].title == "Real Heading"

    path.write_text("---\ntitle: \"Only Front Matter\"\n---\n\nplain words\n")
    assert _load(path)[0].title == "Only Front Matter"


def test_text_title_is_the_first_line_and_bom_utf16_decode(tmp_path: Path):
    path = tmp_path / "plain.txt"
    path.write_bytes("\ufeff\n  First Line Title  \nsecond line\n".encode("utf-8"))
    [page] = _load(path)
    assert page.title == "First Line Title" and page.text == "First Line Title\nsecond line"
    utf16 = tmp_path / "wide.txt"
    utf16.write_bytes("Wide text — ok".encode("utf-16"))  # with a byte-order mark
    assert _load(utf16)[0].text == "Wide text — ok"


# -- bad files: each refused with the file's name and the reason -----------------------------
def _refused(path: Path, *reason_parts: str, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as caught:
        _load(path, **kwargs)
    error = caught.value
    assert error.file == path.name and str(error).startswith(f"{path.name}: ")
    for part in reason_parts:
        assert part in error.reason, error.reason
    return error


def test_corrupt_pdf(tmp_path: Path):
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    _refused(path, "corrupt")
    notpdf = tmp_path / "notpdf.pdf"
    notpdf.write_text("this is plain text wearing a .pdf name")
    _refused(notpdf, "corrupt")


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9])
def test_truncated_pdf(tmp_path: Path, generated_pdf: Path, fraction: float):
    data = generated_pdf.read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: int(len(data) * fraction)])
    _refused(path, "truncated")


def test_encrypted_pdf(tmp_path: Path, generated_pdf: Path):
    _refused(encrypted_pdf(tmp_path / "encrypted.pdf", generated_pdf), "encrypted", "password")


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path, generated_pdf: Path):
    path = encrypted_pdf(tmp_path / "restricted.pdf", generated_pdf, user_password="")
    assert [p.page for p in _load(path)] == [1, 2, 3]


def test_pdf_page_limit(generated_pdf: Path):
    _refused(generated_pdf, "3 pages", "2-page limit", max_pdf_pages=2)


def test_empty_files(tmp_path: Path):
    for name in ("empty.txt", "empty.pdf", "empty.md", "empty.html"):
        path = tmp_path / name
        path.write_bytes(b"")
        _refused(path, "empty")
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\t\n  \n")
    _refused(blank, "no text")
    bare = tmp_path / "bare.html"
    bare.write_text("<html><head><title>t</title><script>x()</script></head><body> </body></html>")
    _refused(bare, "no text")


def test_binary_data_in_text(tmp_path: Path):
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _refused(path, "binary")
    late = tmp_path / "late.txt"  # the first NUL far into the file still counts
    late.write_bytes(b"plain words " * 2000 + b"\x00\x00\x00 more")
    _refused(late, "binary")


def test_undecodable_text(tmp_path: Path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Grüße aus Köln, naïve café".encode("latin-1"))
    _refused(path, "UTF-8")
    markdown = tmp_path / "bad.md"
    markdown.write_bytes(b"# Title\n\n\xff\xfe\xfd broken")
    _refused(markdown, "UTF-8")


def test_unsupported_extension(tmp_path: Path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04 not really a docx")
    _refused(path, "unsupported", ".docx", ".pdf")
    bare = tmp_path / "README"
    bare.write_text("no suffix")
    _refused(bare, "unsupported")


def test_missing_path(tmp_path: Path):
    _refused(tmp_path / "missing.txt", "no such file")


def test_oversize_file(tmp_path: Path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 30_000)  # 150,000 bytes
    error = _refused(path, "over the", "limit", "ASSISTANT_MAX_FILE_MB", max_bytes=int(0.05 * MIB))
    assert "0.05 MiB" in error.reason and "0.143 MiB" in error.reason  # no "0 MiB limit"
