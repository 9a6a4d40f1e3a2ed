"""The corpus folder as the writer sees it: the files in it and their names, what a folder given to
`add` expands to, and the staging area where `add` keeps a file until the index holds it.

A file enters the corpus only once its registry commit holds: it is copied to
``corpus/.staging/<name>`` first (hidden, on the corpus's file system) and moved into place by
``settle``, which asks the registry, not the caller's report, so it also finishes an `add` that
crashed (``clear_leftovers``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .. import storage
from ..config import SUPPORTED_SUFFIXES
from ..errors import IngestError
from ..store.registry import Registry
from .loaders import check_supported, is_supported
from .report import IngestReport

BACKUP_SUFFIX, PARTIAL_SUFFIX = ".previous", ".partial"
STAGING = ".staging"  # under the corpus: where `add` keeps a file until the index holds it

_UNSAFE_NAME = re.compile(r"[^\w.\-() ]+")


def safe_name(name: str, *, limit: int = 120) -> str:
    """A file name that cannot leave the corpus folder or hide: no separators, no leading dot.

    NFKC-normalised (which includes NFC), so the two spellings of "café.pdf" (é as one code point,
    or e + U+0301 as macOS file names have it) are one document: the second upload replaces the
    first and is reported as updated, under the composed name."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[: max(1, limit - len(suffix) - 1)]
    cleaned = f"{stem}.{suffix}" if suffix else stem
    return cleaned if cleaned.strip("._ ") else "document" + (f".{suffix}" if suffix else "")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CorpusFolder:
    """The corpus folder. ``per_process_staging``: several processes add at once (server mode),
    so each stages apart."""

    def __init__(self, folder: Path, registry: Registry, *, per_process_staging: bool = False) -> None:
        self.folder = Path(folder).resolve()
        self.registry = registry
        self.per_process_staging = per_process_staging

    @property
    def staging(self) -> Path:
        if self.per_process_staging:
            return self.folder / STAGING / f"pid-{os.getpid()}"
        return self.folder / STAGING

    # -- names -------------------------------------------------------------------------------
    def files(self) -> list[Path]:
        self.folder.mkdir(parents=True, exist_ok=True)
        return sorted(  # links too (a link to a FIFO is no file), to be refused by name, unread
            p for p in self.folder.rglob("*")
            if (p.is_file() or p.is_symlink()) and not any(part.startswith(".") for part in p.relative_to(self.folder).parts)
        )

    def source(self, file: Path) -> str:
        """The path relative to the corpus, links not followed (a link is refused later, by name)."""
        return Path(os.path.abspath(file)).relative_to(self.folder).as_posix()

    def name(self, file: Path) -> str:
        """``source``, or the path itself for a file outside the corpus."""
        try:
            return self.source(file)
        except ValueError:
            return str(file)

    @staticmethod
    def resolve_name(name: str, known: set[str]) -> str | None:
        """The source among ``known`` that ``name`` (a source or a unique file name) designates."""
        if name in known:
            return name
        if unicodedata.normalize("NFKC", name) in known:  # "café" typed as e + U+0301, as `add` names it
            return unicodedata.normalize("NFKC", name)
        by_file_name = [s for s in known if s.rsplit("/", 1)[-1] == name]
        return by_file_name[0] if len(by_file_name) == 1 else None

    # -- what `add` brings in ----------------------------------------------------------------
    def expand(self, path: Path, report: IngestReport) -> Iterator[tuple[Path, str]]:
        """A file, or a folder's supported files, with the names they take in the corpus; what
        cannot be added goes to ``report.failed``."""
        if path.is_dir():
            if not any(p.is_file() and is_supported(p) for p in path.rglob("*")):
                report.failed.append(IngestError(path.name or str(path), f"a folder with no supported files ({', '.join(SUPPORTED_SUFFIXES)})"))
            for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if any(part.is_symlink() for part in [file, *file.parents] if part.is_relative_to(path) and part != path):
                    report.failed.append(IngestError(str(file.relative_to(path)), "is a link; links in a folder are not followed (add the file itself)"))
                elif is_supported(file):
                    rel = file.relative_to(path)
                    yield file, "/".join([safe_name(path.name)] + [safe_name(p) for p in rel.parts])
        elif path.is_file():
            yield path, safe_name(path.name)
        else:
            report.failed.append(IngestError(str(path), "no such file or folder"))

    def stage(self, file: Path, name: str, targets: list[Path]) -> tuple[Path, Path | None]:
        """Copy ``file`` to ``corpus/.staging/name``. Returns the target in the corpus and the
        staged copy (None for a file already at its place in the corpus)."""
        check_supported(name, name)
        target = self.folder / name
        if target in targets:
            raise IngestError(name, f"another file of this batch is also named {name!r}; rename one of them")
        if target.is_dir() and not target.is_symlink():
            raise IngestError(name, "a folder of that name is in the corpus; rename the file or the folder")
        if any(parent.is_file() for parent in target.parents if parent.is_relative_to(self.folder)):
            raise IngestError(name, "its folder's name is taken by a file in the corpus; rename the folder")
        if os.path.lexists(target) and file.resolve() == target.resolve():
            return target, None
        copy = self.staging / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(file, copy)
        except BaseException as exc:  # a full disk, an unreadable file, Ctrl+C: no partial copy stays
            copy.unlink(missing_ok=True)
            self.prune_staging()
            if isinstance(exc, OSError) and storage.is_disk_full(exc):
                raise IngestError(name, f"cannot be copied into the corpus: {storage.disk_full(self.folder)}") from None
            raise
        return target, copy

    # -- after a write -----------------------------------------------------------------------
    def settle(self, staged: dict[Path, str]) -> None:
        """Move each staged copy the registry committed into place; drop the rest. The registry,
        not the report, decides, so this also finishes an `add` that crashed."""
        for copy, name in staged.items():
            if not copy.is_file():
                continue
            record = self.registry.document(name)
            target = self.folder / name
            if record is not None and sha256_file(copy) == record.sha256 and not target.is_dir():
                if not (target.is_file() and not target.is_symlink() and sha256_file(target) == record.sha256):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(copy, target)  # atomic: the corpus never holds half a file
                    continue
            copy.unlink(missing_ok=True)
        self.prune_staging()

    def prune_staging(self) -> None:
        if not self.staging.is_dir():
            return
        for folder in sorted((p for p in self.staging.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            try:
                folder.rmdir()
            except OSError:
                pass
        try:
            self.staging.rmdir()
        except OSError:
            pass

    def clear_leftovers(self) -> None:
        """Hidden copies an interrupted `add` left in the corpus: a backup means the replaced
        document was never taken out of the index, so it goes back."""
        if not self.folder.is_dir():
            return
        if self.staging.is_dir():  # an `add` that crashed: keep what the registry committed
            self.settle({p: p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*") if p.is_file()})
        for leftover in self.folder.rglob(".*"):
            if not leftover.is_file():
                continue
            if leftover.name.endswith(PARTIAL_SUFFIX):
                leftover.unlink(missing_ok=True)
            elif leftover.name.endswith(BACKUP_SUFFIX):
                target = leftover.with_name(leftover.name[1 : -len(BACKUP_SUFFIX)])
                record = self.registry.document(self.source(target))
                if record is not None and (not target.is_file() or sha256_file(target) != record.sha256):
                    if sha256_file(leftover) == record.sha256:
                        os.replace(leftover, target)
                        continue
                leftover.unlink(missing_ok=True)
