"""The dense side through langchain-chroma's ``Chroma`` instead of ``index.ChromaStore``: what it costs.

    pip install langchain-chroma==1.1.0   # no longer a dependency of the assistant (this is why)
    .venv/bin/python bench/dense_store.py [--root bench/.cache/library] [--queries 150]

On the library index (bench/library.py: the seed article and the six papers), the same query
vectors go to ``ChromaStore.query`` (ids and distances, what ``Searcher`` needs) and to
``Chroma.similarity_search_by_vector_with_relevance_scores`` on the same collection, interleaved
(each first on every other query), ``candidates`` results each, as ``Searcher.search`` asks.
Prints both p50s, their ratio, whether both return the same ids, and the extra import time.
Results: docs/ARCHITECTURE.md, "Why these choices".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from library import DEFAULT_ROOT, library_settings  # noqa: E402

from assistant.encoder.encoder import Encoder  # noqa: E402
from assistant.store.vectors import COLLECTION  # noqa: E402
from assistant.store.index import Index  # noqa: E402
from assistant.integrations.langchain import EncoderEmbeddings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--queries", type=int, default=150)
    args = parser.parse_args()
    settings = library_settings(args.root)
    index, encoder = Index(settings), Encoder.from_settings(settings)
    store = index.store
    chunks = index.registry.chunks()
    texts = [c.text[:120] for c in chunks[:: max(1, len(chunks) // args.queries)]][: args.queries]
    vectors = encoder.encode(texts)
    started = time.perf_counter()
    from langchain_chroma import Chroma

    import_s = time.perf_counter() - started
    wrapped = Chroma(client=store.client, collection_name=COLLECTION, embedding_function=EncoderEmbeddings(encoder))
    n = settings.candidates
    seconds: dict[str, list[float]] = {"ChromaStore": [], "langchain_chroma": []}
    same = 0
    for i, vector in enumerate(vectors):
        for name in ("ChromaStore", "langchain_chroma")[:: 1 if i % 2 else -1]:
            started = time.perf_counter()
            if name == "ChromaStore":
                ours = [chunk_id for chunk_id, _ in store.query(vector, n)]
            else:
                theirs = [d.id for d, _ in wrapped.similarity_search_by_vector_with_relevance_scores(vector.tolist(), k=n)]
            seconds[name].append(time.perf_counter() - started)
        same += ours == theirs
    p50 = {name: statistics.median(values) * 1000 for name, values in seconds.items()}
    print(f"{len(vectors)} queries, {n} results each, {len(chunks)} chunks")
    print(
        f"p50 ChromaStore.query {p50['ChromaStore']:.2f} ms, langchain_chroma {p50['langchain_chroma']:.2f} ms "
        f"({p50['langchain_chroma'] / p50['ChromaStore']:.2f}x); same ids on {same}/{len(vectors)} queries"
    )
    print(f"import langchain_chroma after chromadb and langchain-core: {import_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
