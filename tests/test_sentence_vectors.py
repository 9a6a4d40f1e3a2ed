"""Sentence vectors computed at ingest (assistant/store/sentence_vectors.py), with the real model and
a real index on disk: an answer reads them instead of encoding its passages' sentences, gives the
same answer as without them, and neither a removed document's rows nor an unreadable file survive
as anything but encoding."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np

from assistant.config import PROJECT_ROOT
from assistant.encoder.encoder import Encoder
from assistant.ingest.library import Library
from assistant.pipeline import Assistant
from assistant.store.sentence_vectors import SENTENCES_FILE, sentence_texts

from .conftest import make_settings

SEED_ARTICLE = PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"
QUESTION = "Who benefited from ResNet?"


def _counting(encoder: Encoder, monkeypatch) -> list[str]:
    """Every text ``encoder``'s model (shared by the process's encoders) encodes from now on, until the test ends."""
    encoded: list[str] = []
    model = encoder.model
    encode, encode_one = model.encode, model.encode_one

    def counting_encode(texts, **options):
        encoded.extend(texts)
        return encode(texts, **options)

    def counting_one(text):
        encoded.append(text)
        return encode_one(text)

    monkeypatch.setattr(model, "encode", counting_encode)
    monkeypatch.setattr(model, "encode_one", counting_one)
    return encoded


def _rows(root: Path) -> int:
    with sqlite3.connect(root / "index" / SENTENCES_FILE) as db:
        return db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0]


def test_an_answer_reads_the_sentences_encoded_at_ingest_and_says_the_same(fresh_root: Path, monkeypatch):
    shutil.copy(SEED_ARTICLE, fresh_root / "corpus")
    assert Library(make_settings(fresh_root)).sync().ok
    chunks = Assistant(make_settings(fresh_root)).searcher.index.registry.chunks()
    assert _rows(fresh_root) == sum(len(sentence_texts(c)) for c in chunks) > 0

    # A reader in its own encoder (no vectors remembered from the ingest) encodes the question and
    # the relation it asks about ("Who benefited?"), none of the sentences it reads.
    reader = Assistant(make_settings(fresh_root), encoder=Encoder())
    encoded = _counting(reader.encoder, monkeypatch)
    stored = reader.ask(QUESTION)
    assert QUESTION in encoded and len(encoded) <= 2
    assert not set(encoded) & {text for c in chunks for text in sentence_texts(c)}

    # With the setting off, the same index answers the same, encoding every sentence it reads.
    plain = Assistant(make_settings(fresh_root, sentence_vectors=False), encoder=Encoder())
    encoded = _counting(plain.encoder, monkeypatch)
    assert plain.searcher.index.sentences is None
    unstored = plain.ask(QUESTION)
    assert len(encoded) > 10
    assert stored.answer == unstored.answer and not stored.refused
    assert [c.text for c in stored.citations] == [c.text for c in unstored.citations]


def test_stored_vectors_are_the_encoders_own(fresh_root: Path):
    shutil.copy(SEED_ARTICLE, fresh_root / "corpus")
    library = Library(make_settings(fresh_root))
    assert library.sync().ok
    chunk = library.registry.chunks()[3]
    stored = library.index.sentences.lookup([chunk])
    assert set(stored) == set(sentence_texts(chunk))
    texts = list(stored)
    fresh = Encoder().encode(texts, batch_size=16)
    assert np.allclose(np.stack([stored[t] for t in texts]), fresh, atol=1e-5)


def test_removing_and_rebuilding_drop_the_rows_of_chunks_that_left(fresh_root: Path):
    shutil.copy(SEED_ARTICLE, fresh_root / "corpus")
    (fresh_root / "corpus" / "note.md").write_text("# A note\n\nThe note says that residual nets train well.\n", encoding="utf-8")
    library = Library(make_settings(fresh_root))
    assert library.sync().ok
    both = _rows(fresh_root)
    note = [c for c in library.registry.chunks() if c.source == "note.md"]
    assert library.index.sentences.lookup(note)

    (fresh_root / "corpus" / "note.md").unlink()
    assert library.sync().ok
    assert library.index.sentences.lookup(note) == {}
    assert _rows(fresh_root) == both - sum(len(sentence_texts(c)) for c in note)

    library.reindex()
    assert _rows(fresh_root) == both - sum(len(sentence_texts(c)) for c in note)


def test_an_unreadable_sentence_file_only_costs_encoding(fresh_root: Path, caplog, monkeypatch):
    shutil.copy(SEED_ARTICLE, fresh_root / "corpus")
    assert Library(make_settings(fresh_root)).sync().ok
    expected = Assistant(make_settings(fresh_root), encoder=Encoder()).ask(QUESTION).answer
    (fresh_root / "index" / SENTENCES_FILE).write_bytes(b"not a database" * 100)
    for leftover in (fresh_root / "index").glob(SENTENCES_FILE + "-*"):
        leftover.unlink()

    reader = Assistant(make_settings(fresh_root), encoder=Encoder())
    encoded = _counting(reader.encoder, monkeypatch)
    answer = reader.ask(QUESTION)
    assert answer.answer == expected
    assert len(encoded) > 10
    assert "cannot be used" in caplog.text and SENTENCES_FILE in caplog.text


def test_an_index_built_without_them_gets_them_at_the_next_sync(fresh_root: Path):
    shutil.copy(SEED_ARTICLE, fresh_root / "corpus")
    assert Library(make_settings(fresh_root, sentence_vectors=False)).sync().ok
    assert not (fresh_root / "index" / SENTENCES_FILE).exists()

    library = Library(make_settings(fresh_root))
    report = library.sync()
    assert report.ok and report.unchanged and not report.added
    chunks = library.registry.chunks()
    assert _rows(fresh_root) == sum(len(sentence_texts(c)) for c in chunks) > 0
    assert library.writer.backfill_sentences() == 0  # once done, nothing is encoded again
