"""The shared-stream PDF bomb of issue 16: time to refuse it now, against what extracting it cost.

    .venv/bin/python bench/budget.py [--pages 300] [--stream-mb 2]

Builds the bomb (``pages`` pages drawing one zlib-compressed content stream of about
``stream-mb`` MB: tests/test_budget.py's builder), then measures in one run:

* refused: ``loaders.load`` with the default limits, until the IngestError (target < 10 s);
* before: pypdf's ``extract_text`` of its first page alone (what every page cost before the
  budget), and that times the page count.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.errors import IngestError  # noqa: E402
from assistant.ingest.loaders import load  # noqa: E402
from tests.test_budget import shared_stream_pdf, text_stream  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--stream-mb", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = shared_stream_pdf(Path(folder) / "bomb.pdf", pages=args.pages, stream=text_stream(int(args.stream_mb * 2**20)))
        print(f"bomb: {args.pages} pages, {path.stat().st_size / 2**20:.2f} MB on disk")
        started = time.perf_counter()
        try:
            load(path, source=path.name, max_bytes=2**30)
            print("NOT refused")
            return 1
        except IngestError as exc:
            refused = time.perf_counter() - started
            print(f"refused in {refused:.2f} s: {exc}")
        from pypdf import PdfReader

        started = time.perf_counter()
        chars = len(PdfReader(path).pages[0].extract_text())
        page = time.perf_counter() - started
        print(f"before: one page extracts to {chars:,} characters in {page:.1f} s; "
              f"{args.pages} pages ≈ {page * args.pages / 60:.0f} min and {chars * args.pages / 1e6:.0f} M characters")
        return 0 if refused < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
