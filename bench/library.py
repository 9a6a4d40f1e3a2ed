"""The library the question bank is written over: the seed article and the six papers.

    .venv/bin/python bench/library.py [--root bench/.cache/library]

Builds (or brings up to date) ``ROOT/corpus`` (copies of ``corpus/``'s article and
``../shared/papers/*.pdf``; the papers are never committed) and its index ``ROOT/index`` with the
write side's ``Library.sync``, and prints the ``sync`` report. Scripts that evaluate or fit on the
bank (``tests/questions/library_*.jsonl``) call :func:`library_settings` to get the same index.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from assistant.config import PROJECT_ROOT, Settings  # noqa: E402

# The shared folder beside the checkout (../shared), or beside the folder holding a worktree
# (/work/wt/<branch> reads /work/shared): the nearest one up.
SHARED = next((p / "shared" for p in PROJECT_ROOT.parents if (p / "shared").is_dir()), PROJECT_ROOT.parent / "shared")
PAPERS = SHARED / "papers"
DEFAULT_ROOT = HERE / ".cache" / "library"


def library_files() -> list[Path]:
    """The article(s) in corpus/ and the six PDFs (not the release README beside them)."""
    articles = sorted(p for p in (PROJECT_ROOT / "corpus").iterdir() if p.is_file() and not p.name.startswith("."))
    papers = sorted(PAPERS.glob("*.pdf"))
    if not papers:
        # Without them the bank's questions about the papers would all fail as if the answerer had.
        raise SystemExit(f"no papers at {PAPERS}: the library needs ../shared/papers beside the checkout")
    return articles + papers


def library_settings(root: Path = DEFAULT_ROOT, *, sync: bool = True) -> Settings:
    """Settings for the library index under ``root``; with ``sync`` the index is brought up to date
    first (only changed files are read again, so a second call costs a registry scan)."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for source in library_files():
        target = corpus / source.name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target)
    settings = Settings.from_env(corpus=corpus, index=root / "index")
    if sync:
        from assistant.ingest.library import Library  # the write side, only to build the index

        report = Library(settings).sync()
        if not report.ok:
            raise SystemExit(f"the library did not index cleanly: {report.summary()}")
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args()
    settings = library_settings(args.root)
    print(f"library index at {settings.index}")


if __name__ == "__main__":
    main()
