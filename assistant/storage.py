"""What a failed write to disk means, in words a user can act on.

SQLite, Chroma (its Rust core reports SQLite's errors as ``InternalError`` text) and the file
system each report a full disk or a read-only folder their own way; ``storage_error`` turns any
of them into one typed error naming the disk, so the CLI prints one line (and its JSON report)
instead of a 29-line traceback, and nobody is told to rebuild an index that is not damaged.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from .errors import DiskFull, IndexReadOnly

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_READ_ONLY_TEXTS = ("readonly database", "read-only file system", "attempt to write a readonly")
# A write that fails while its disk has less than this free failed for the full disk, whatever its
# words (``nearly_full``): Chroma's Rust core, compacting on a full disk, says only "Error in
# compaction: Failed to apply logs to the metadata segment" (tests/test_write_limits.py).
_NEARLY_FULL = 1 << 20


def mount_point(path: Path) -> Path:
    """The mount point of the file system that holds ``path`` (or would hold it)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    while path != path.parent and os.path.ismount(path) is False:
        path = path.parent
    return path


def describe_disk(path: Path) -> str:
    """"the disk mounted at /data (12 KB free)"."""
    mount = mount_point(path)
    free = _free(mount)
    return f"the disk mounted at {mount}" if free == float("inf") else f"the disk mounted at {mount} ({_size(free)} free)"


def is_disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS) or any(t in str(exc).lower() for t in _FULL_TEXTS)


def is_read_only(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno in _READ_ONLY_ERRNOS) or any(t in str(exc).lower() for t in _READ_ONLY_TEXTS)


def disk_full(folder: Path) -> DiskFull:
    return DiskFull(
        f"{describe_disk(folder)}, which holds {folder}, is full: free some space there, then try again "
        "(nothing was half-written)"
    )


def ensure_room(folder: Path, needed: int) -> None:
    """Raise ``DiskFull`` before a write that needs ``needed`` bytes under ``folder`` and would
    not find them, so the write is refused before it starts rather than failing halfway."""
    if _free(folder) < needed:  # (free space unknown: the write itself reports a full disk)
        raise disk_full(folder)


def read_only(folder: Path) -> IndexReadOnly:
    return IndexReadOnly(
        f"the index folder {folder} is read-only: listing, searching and asking work, but adding, syncing "
        "or removing documents needs write access to it (make it writable, or use another --index)"
    )


def storage_error(exc: BaseException, folder: Path) -> DiskFull | IndexReadOnly | None:
    """The typed error for a write under ``folder`` that failed with ``exc``; None if it is neither."""
    if is_disk_full(exc):
        return disk_full(folder)
    if is_read_only(exc):
        return read_only(folder)
    return None


def nearly_full(folder: Path) -> bool:
    """Whether the disk holding ``folder`` has under 1 MB free: a write under it that just failed,
    whatever its error's words, failed for the full disk."""
    return _free(folder) < _NEARLY_FULL


def _free(folder: Path) -> float:
    try:
        return shutil.disk_usage(mount_point(folder)).free
    except OSError:
        return float("inf")  # cannot tell: not a full disk


def is_writable(folder: Path) -> bool:
    """Whether this process may create files in ``folder`` (False on a read-only mount, even for root)."""
    return os.access(folder, os.W_OK | os.X_OK)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
