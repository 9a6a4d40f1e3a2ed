"""The ``assistant`` command: argument parsing and printing over ``Library`` and ``Assistant``.

``--json`` output is one JSON document on stdout; messages and progress go to stderr.
Exit codes: 0 all done, 1 some inputs failed (the others went in), 2 usage error, 130 cancelled
(Ctrl+C: a write stops before its next document, nothing half-written).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .config import BACKENDS, Settings, is_backend, plugin_backends
from .errors import AssistantError, UsageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def _backend(name: str) -> str:
    """A built-in backend or an installed plugin's (config.BACKEND_ENTRY_POINTS), else a usage error."""
    if not is_backend(name):
        raise argparse.ArgumentTypeError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS + plugin_backends())}")
    return name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Offline, citation-first answers over your documents.")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/, or ASSISTANT_CORPUS)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/, or ASSISTANT_INDEX)")
    parser.add_argument("--chroma-url", help="use a Chroma server instead of the embedded index (ASSISTANT_CHROMA_URL)")
    parser.add_argument("--registry-url", help="keep the registry on PostgreSQL: postgresql://... (ASSISTANT_REGISTRY_URL)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add = commands.add_parser("add", help="copy files or folders into the corpus and index them")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--json", action="store_true")
    for name, text in (("sync", "bring the index in line with the corpus folder"), ("reindex", "rebuild the index from scratch")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--json", action="store_true")
    remove = commands.add_parser("remove", help="remove documents from the corpus and the index")
    remove.add_argument("names", nargs="+")
    remove.add_argument("--json", action="store_true")
    listing = commands.add_parser("list", help="list the indexed documents")
    listing.add_argument("--json", action="store_true")
    original = commands.add_parser("original", help="write a document's original file (any machine sharing the registry)")
    original.add_argument("name")
    original.add_argument("--output", type=Path, help="where to write it (default: stdout)")
    check = commands.add_parser("check", help="verify that the registry and the vectors agree")
    check.add_argument("--repair", action="store_true", help="make them agree")
    check.add_argument("--json", action="store_true")

    search = commands.add_parser("search", help="retrieve passages for a query")
    search.add_argument("query")
    search.add_argument("--k", type=int)
    search.add_argument("--json", action="store_true")

    ask = commands.add_parser("ask", help="answer a question with citations (no question: interactive)")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--backend", type=_backend, metavar="{" + ",".join(BACKENDS) + ",...}")
    ask.add_argument("--k", type=int)
    ask.add_argument("--source", action="append", dest="sources", help="answer only from this document (repeatable)")

    evaluate = commands.add_parser("eval", help="evaluate answers on a question file (JSONL)")
    evaluate.add_argument("questions", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--backend", type=_backend, metavar="{" + ",".join(BACKENDS) + ",...}")
    evaluate.add_argument("--max-words", type=int, help="word limit of a correct answer (default: the file's, or 120)")
    evaluate.add_argument("--min-correct", type=float, help="fail (exit 1) below this fully-correct rate")
    evaluate.add_argument("--min-refusal", type=float, help="fail below this refusal accuracy")
    evaluate.add_argument("--min-support", type=float, help="fail below this citation support rate")
    evaluate.add_argument("--kind", action="append", dest="kinds", help="only questions of this kind (repeatable)")
    evaluate.add_argument("--oracle", action="store_true",
                          help="also check whether the top 6 / top 20 retrieved passages hold each question's facts")
    evaluate.add_argument("--html", type=Path, metavar="PATH",
                          help="also write the run as one self-contained HTML page (metrics, refusal trade-off, answers)")

    serve = commands.add_parser("serve", help="start the web app")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    settings: Settings | None = None
    try:
        try:
            settings = Settings.from_env(
                corpus=args.corpus, index=args.index, chroma_url=args.chroma_url, registry_url=args.registry_url
            )
        except (TypeError, ValueError) as exc:  # a malformed ASSISTANT_* variable is a usage error
            raise UsageError(str(exc)) from None
        return COMMANDS[args.command](args, settings)
    except UsageError as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AssistantError as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    except Exception as exc:  # a full disk or a read-only folder, reported by a library untyped
        from .storage import storage_error

        typed = storage_error(exc, settings.index) if settings is not None else None
        if typed is None:
            raise
        print(f"assistant: {typed}", file=sys.stderr)
        return EXIT_FAILED


def _emit(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _library(settings: Settings):
    from .ingest.library import Library

    return Library(settings)


def _report(args: argparse.Namespace, report) -> int:
    if args.json:
        _emit(report.to_dict())
    print(report.summary(), file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


@contextmanager
def _cancel_on_ctrl_c() -> Iterator[threading.Event]:
    """The first Ctrl+C cancels the write cooperatively (it stops before the next document or
    batch, nothing half-written); a second one interrupts at once (still safe: the journal)."""
    cancel = threading.Event()

    def first(signum, frame) -> None:
        cancel.set()
        print("assistant: cancelling: stopping before the next document (Ctrl+C again to stop at once)", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        previous = signal.signal(signal.SIGINT, first)
    except ValueError:  # not the main thread (embedded use): no handler, no cancel
        yield cancel
        return
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


_UNITS = {"embedding": "chunk", "page": "page"}  # of the library's progress stages; "reading" counts files


def terminal_progress(quiet: bool = False) -> Callable[[str, int, int], None] | None:
    """A tqdm bar per stage of a write on stderr (the library's ``ProgressCallback``); None when
    quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit=_UNITS.get(stage, "file"), file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    return update


def _write(args: argparse.Namespace, settings: Settings, write: Callable[..., object]) -> int:
    """Run a write command with progress and Ctrl+C cancel; its report, exit 130 when cancelled."""
    from .errors import DiskFull, IndexReadOnly, IngestError
    from .ingest.report import IngestReport

    with _cancel_on_ctrl_c() as cancel:
        try:
            report = write(progress=terminal_progress(args.quiet), cancel=cancel)
        except (DiskFull, IndexReadOnly) as exc:  # the index cannot even be opened for writing
            names = [Path(p).name for p in getattr(args, "paths", ())] or [str(settings.index)]
            report = IngestReport(failed=[IngestError(name, str(exc)) for name in names])
    code = _report(args, report)
    if cancel.is_set():
        print("assistant: cancelled; what is listed as added is indexed, nothing else was written", file=sys.stderr)
        return EXIT_CANCELLED
    return code


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    return _write(args, settings, lambda **options: _library(settings).add(args.paths, **options))


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    return _write(args, settings, lambda **options: _library(settings).sync(**options))


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    return _write(args, settings, lambda **options: _library(settings).reindex(**options))


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    return _report(args, _library(settings).remove(args.names))


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    listing = _library(settings).listing()
    if args.json:
        _emit(listing)
        return EXIT_OK
    for d in listing["documents"]:
        print(f"{d['source']}  ({d['pages']} pages, {d['chunks']} chunks)  {d['title']}")
    model = listing["embedding_model"]
    print(f"{len(listing['documents'])} documents, {listing['chunks']} chunks, model {model['name']}", file=sys.stderr)
    return EXIT_OK


def cmd_original(args: argparse.Namespace, settings: Settings) -> int:
    data = _library(settings).original(args.name)
    if args.output:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return EXIT_OK


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    problems = _library(settings).check(repair=args.repair)
    if args.json:
        _emit({"ok": not problems, "problems": problems, "repaired": bool(args.repair and problems)})
    for problem in problems:
        print(f"{'repaired' if args.repair else 'problem'}: {problem}", file=sys.stderr)
    if not problems:
        print("the registry and the vectors agree", file=sys.stderr)
    return EXIT_OK if not problems or args.repair else EXIT_FAILED


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from .pipeline import Assistant

    passages = Assistant(settings).search(args.query, k=args.k)
    results = [
        {"source": p.chunk.source, "title": p.chunk.title, "page": p.chunk.page, "chunk_id": p.chunk.chunk_id,
         "score": round(p.score, 6), "text": p.chunk.text, "section": p.chunk.section}
        for p in passages
    ]
    if args.json:
        _emit({"query": args.query, "results": results})
    else:
        for n, r in enumerate(results, start=1):
            page = f", page {r['page']}" if r["page"] else ""
            print(f"[{n}] {r['source']}{page}  score {r['score']:.3f}\n    {' '.join(r['text'].split())[:300]}")
    return EXIT_OK


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .pipeline import Assistant
    from .citations import format_plain

    assistant = Assistant(settings)
    if args.question is None:
        return _interactive(assistant, args)
    answer = assistant.ask(args.question, backend=args.backend, k=args.k, sources=args.sources)
    if args.json:
        _emit(answer.to_dict())
    else:
        print(format_plain(answer))
    return EXIT_OK


def _interactive(assistant, args: argparse.Namespace) -> int:
    from .citations import format_plain

    history: list[tuple[str, str]] = []
    print("Ask about the corpus (an empty line or Ctrl-D quits).", file=sys.stderr)
    while True:
        try:
            question = input("? ").strip()
        except EOFError:
            return EXIT_OK
        if not question:
            return EXIT_OK
        try:
            answer = assistant.ask(question, history=history, backend=args.backend, k=args.k, sources=args.sources)
        except AssistantError as exc:
            print(f"assistant: {exc}", file=sys.stderr)
            continue
        print(format_plain(answer) + "\n")
        history.append((question, answer.answer))


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from .pipeline import Assistant
    from .evaluation import Thresholds, evaluate_file, format_table

    report = evaluate_file(Assistant(settings), args.questions, backend=args.backend, max_words=args.max_words,
                           kinds=args.kinds or (), oracle=args.oracle)
    if args.html:
        from . import eval_report

        eval_report.write(report, args.html, title=f"Evaluation: {args.questions.name}", min_relevance=settings.min_relevance,
                          note=f"{len(report.results)} questions from {args.questions}, {settings.corpus} indexed in {settings.index}")
    if args.json:
        _emit(report.to_dict())
    else:
        print(format_table(report))
    failures = Thresholds(correct=args.min_correct, refusal=args.min_refusal, support=args.min_support).failures(report.metrics)
    for failure in failures:
        print(f"threshold not met: {failure}", file=sys.stderr)
    return EXIT_FAILED if failures else EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .web.app import serve

    serve(settings.with_(host=args.host, port=args.port))
    return EXIT_OK


COMMANDS = {
    "add": cmd_add, "sync": cmd_sync, "reindex": cmd_reindex, "remove": cmd_remove, "list": cmd_list,
    "check": cmd_check, "original": cmd_original, "search": cmd_search, "ask": cmd_ask, "eval": cmd_eval, "serve": cmd_serve,
}


if __name__ == "__main__":
    sys.exit(main())
