"""The encoder's short-text path: the same vectors as a plain ``encode``, remembered, bounded."""

from __future__ import annotations

import numpy as np

from assistant import embeddings
from assistant.embeddings import Encoder

TEXTS = ["Who benefited from the ResNet research?", "Kaiming He joined Facebook AI Research in 2016.", "Sun now serves as the company’s chief scientist."]


def test_short_texts_get_the_vectors_encode_gives():
    encoder = Encoder()
    expected = encoder.encode(TEXTS)
    one = Encoder().encode_sentences(TEXTS[:1])  # the single-text path
    np.testing.assert_allclose(one[0], expected[0], atol=1e-6)
    many = Encoder().encode_sentences(TEXTS)  # the batched path
    np.testing.assert_allclose(many, expected, atol=1e-6)
    assert many.dtype == np.float32 and many.shape == (3, encoder.dimension)
    assert Encoder().encode_sentences([]).shape == (0, encoder.dimension)


def test_vectors_are_remembered_and_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(embeddings, "SENTENCE_CACHE_SIZE", 2)
    encoder = Encoder()
    calls: list[list[str]] = []
    original = encoder.encode

    def counting(texts, **kwargs):
        calls.append(list(texts))
        return original(texts, **kwargs)

    monkeypatch.setattr(encoder, "encode", counting)
    first = encoder.encode_sentences(TEXTS[1:])
    again = encoder.encode_sentences(TEXTS[1:])
    assert calls == [TEXTS[1:]], "the second call is answered from memory"
    np.testing.assert_array_equal(first, again)
    encoder.encode_sentences(TEXTS[:1])  # one more: the least recently used one is dropped
    assert list(encoder.sentence_cache) == TEXTS[2:] + TEXTS[:1]
