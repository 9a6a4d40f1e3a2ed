"""What a write did (``IngestReport``: the ``add``/``sync``/``remove --json`` contract) and how it
tells a face its progress (``ProgressCallback``: the CLI draws bars, the web app a status line)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import IngestError

# (stage, done, total). Stages: "reading" (files read of the write's files), "page" (pages read of
# the PDF being read; called from the read-ahead thread), "embedding" (passages of the batch embedded).
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[IngestError] = field(default_factory=list)
    embedded: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def merge(self, other: "IngestReport") -> "IngestReport":
        for name in ("added", "updated", "unchanged", "removed", "failed"):
            getattr(self, name).extend(getattr(other, name))
        self.embedded += other.embedded
        return self

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": [{"file": e.file, "reason": e.reason} for e in self.failed],
            "embedded": self.embedded,
        }

    def summary(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in self.to_dict().items() if isinstance(v, list) and v]
        lines = [", ".join(parts) or "nothing to do"]
        lines += [f"  failed: {e.file}: {e.reason}" for e in self.failed]
        return "\n".join(lines)
