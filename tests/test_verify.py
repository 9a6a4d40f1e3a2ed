"""The verifier on real chunks of the seed article, with the real sentence encoder (no fakes)."""

from __future__ import annotations

import pytest

from assistant.answering.verify import assess, verify
from assistant.ingest.chunking import chunk_pages, make_splitter
from assistant.config import Settings
from assistant.encoder.encoder import Encoder
from assistant.ingest.loaders import load
from assistant.types import Passage

from assistant.config import PROJECT_ROOT

ARTICLE = PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"

# The calibration set of assistant/answering/verify.py: faithful paraphrases of the article...
FAITHFUL = [
    "ResNet was developed by a small team at Microsoft Research Asia, Microsoft's lab in Beijing.",
    "The ResNet paper had 25,256 citations between 2014 and July 2019.",
    "ResNet is the most-cited paper in any academic field over that period.",
    "Its main contribution was a technique that makes it possible to stack many more layers in a neural network.",
    "In 2015 the team won first place in two major image recognition contests.",
    "By 2017 the technique was one of the core advances behind DeepMind's AlphaGo Zero.",
    "MSRA was founded in 1998 next to Tsinghua University.",
    "In 2004 MIT Technology Review called MSRA the world's hottest computer lab.",
    "The paper's authors were Kaiming He, Xiangyu Zhang, Shaoqing Ren and Jian Sun.",
    "All four authors earned their undergraduate degrees and PhDs at Chinese universities.",
    "Kaiming He joined Facebook AI Research in California in 2016.",
    "Xiangyu Zhang and Jian Sun moved to Megvii, a Chinese computer vision startup.",
    "Jian Sun is now Megvii's chief scientist.",
    "Shaoqing Ren co-founded Momenta, an autonomous vehicle startup based in Beijing.",
    "Megvii was added to the US entity list for its part in surveillance in Xinjiang.",
    "MSRA alumni include Alibaba's CTO and Baidu's President.",
    "Chinese media have compared MSRA to the Whampoa Academy of the Chinese internet.",
    "Microsoft gained a first-mover advantage from developing the technique in-house, but it was probably short-lived.",
    "The biggest gain for Microsoft may have been a stronger talent pipeline of researchers.",
    "Facebook won the biggest prize by hiring ResNet's lead author.",
    "In 2013 Baidu founded its Institute of Deep Learning, the first of its kind in China.",
    "The paper was easy to replicate because it added one critical element to an existing method.",
    "Research from MSRA fed into Windows, Xbox graphics and typing input methods for Chinese.",
    "The ResNet paper was published online right after the team won the 2015 ImageNet contest.",
    "Deeper networks can perform much better on tasks such as facial recognition and speech recognition.",
    "Kaiming He and Jian Sun had been working together on research for three years by 2012.",
    "The author argues for policies that use the scalpel rather than the hammer.",
    "The article was written by Matt Sheehan, a Fellow at MacroPolo.",
]
# ...and invented or distorted claims about the same people and places.
INVENTED = [
    "ResNet was developed at Google Brain in Mountain View.",
    "The ResNet paper had 48,000 citations by 2019.",
    "MSRA was founded in 2005 next to Peking University.",
    "Kaiming He joined Google DeepMind in London in 2018.",
    "Shaoqing Ren founded SenseTime, a facial recognition company.",
    "The paper was written by six researchers from Stanford University.",
    "Jian Sun became the CEO of Alibaba.",
    "Microsoft earned billions of dollars in licensing fees from ResNet.",
    "The US government forced Microsoft to close the Beijing lab in 2012.",
    "ResNet won the Turing Award in 2018.",
    "Xiangyu Zhang moved to the United States to teach at MIT.",
    "The technique reduces the energy consumption of data centers by half.",
    "Most MSRA researchers are hired from Harvard and Oxford.",
    "Megvii sells its products mainly to European banks.",
    "Residual networks were first proposed by Yann LeCun in 1989.",
    "The authors received a patent for the technique and sold it to Amazon.",
    "Baidu acquired Momenta in 2020 for three billion dollars.",
    "The article recommends banning all American research labs in China.",
    "Chinese universities refused to recognize the degrees of the ResNet authors.",
    "AlphaGo Zero was built by OpenAI using transformers.",
    "The lab employs over ten thousand engineers in Shanghai.",
    "Kaiming He was born in Taiwan and studied at Berkeley.",
    "Facebook paid Microsoft a transfer fee to hire the lead author.",
    "The ResNet paper was rejected by several conferences before it was published.",
    "Kaiming He joined Megvii as its chief scientist.",  # a swapped relation: known blind spot
    "Shaoqing Ren joined Facebook AI Research in California.",  # a swapped relation: known blind spot
    "MSRA was founded in 2004.",
    "The research team took home first place in five image recognition contests.",
]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


@pytest.fixture(scope="module")
def article() -> str:
    (page,) = load(ARTICLE, source=ARTICLE.name, max_bytes=2**20)
    return page.text


@pytest.fixture(scope="module")
def chunks(encoder: Encoder):
    pages = load(ARTICLE, source=ARTICLE.name, max_bytes=2**20)
    settings = Settings()
    splitter = make_splitter(encoder.count_tokens, chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
    return chunk_pages(pages, splitter)


def passage_with(chunks, phrase: str) -> Passage:
    (chunk,) = [c for c in chunks if phrase in c.text][:1]
    return Passage(chunk, score=1.0, relevance=0.5)


def test_calibration_examples_are_separated(chunks, encoder):
    """The measured thresholds still separate the calibration set (27/28 and 26/28 at writing)."""
    passages = [Passage(c, 1.0, 0.5) for c in chunks]
    faithful = assess(FAITHFUL, passages, encoder)
    invented = assess(INVENTED, passages, encoder)
    kept = sum(any(s.supported for s in row) for row in faithful)
    let_through = [c for c, row in zip(INVENTED, invented) if any(s.supported for s in row)]
    assert kept >= 26, kept
    assert len(let_through) <= 3, let_through
    numbered = [c for c in INVENTED if any(ch.isdigit() for ch in c)]
    assert not set(numbered) & set(let_through)  # an invented number is always caught


def test_catches_invented_sentence_and_wrong_citations(chunks, encoder, article):
    departures = passage_with(chunks, "joined Facebook AI Research in California")
    authors = passage_with(chunks, "authored by four researchers")
    founding = passage_with(chunks, "Founded in 1998")
    passages = [departures, authors, founding]
    answer = (
        "Kaiming He joined Facebook AI Research in California in 2016 [1]. "
        "Xiangyu Zhang and Jian Sun joined Megvii, a Chinese computer vision startup [7]. "
        "MSRA was founded in 1998 next to Tsinghua University [1]. "
        "Kaiming He later won the Turing Award in 2019 for ResNet [2]."
    )
    checked = verify(answer, passages, encoder)

    first, megvii, msra, invented = checked.sentences
    assert first.supported and first.citations == (1,)
    # [7] does not exist (3 passages were given): removed, and the sentence re-cited to passage 1.
    assert any("[7]" in note and "no such passage" in note for note in checked.notes)
    assert megvii.supported and megvii.citations == (2,)
    assert checked.citations[1].quote.startswith("Xiangyu Zhang and Jian Sun joined Megvii")
    # [1] is a given passage but the wrong one: re-cited to the founding passage.
    assert msra.supported
    (n,) = msra.citations
    assert checked.citations[n - 1].chunk_id == founding.chunk.chunk_id
    assert any("re-cited to passage [3]" in note for note in checked.notes)
    # The invention is flagged, and the note names what no passage mentions.
    assert not invented.supported and invented.citations == ()  # no citation vouches for it
    assert any("Turing" in note and "not supported" in note for note in checked.notes)
    assert not checked.mostly_unsupported

    assert "[7]" not in checked.text
    assert checked.text.startswith("Kaiming He joined Facebook AI Research in California in 2016. [1]")
    assert [c.n for c in checked.citations] == list(range(1, len(checked.citations) + 1))
    for citation in checked.citations:  # quotes are exact spans of the passage and of the article
        assert citation.quote in citation.text
        assert article[citation.start : citation.end] == citation.quote


def test_markers_forms_and_mostly_unsupported(chunks, encoder):
    departures = passage_with(chunks, "joined Facebook AI Research in California")
    founding = passage_with(chunks, "Founded in 1998")
    text = (
        "According to passage 2, MSRA was founded in 1998 next to Tsinghua University. [Passage 2] "
        "Jian Sun now serves as Megvii's chief scientist [1, 3]."
    )
    checked = verify(text, [departures, founding], encoder)
    assert [s.supported for s in checked.sentences] == [True, True]
    assert checked.sentences[0].text.endswith("Tsinghua University.")
    assert any("[3]" in note for note in checked.notes)
    assert all(c.quote in c.text for c in checked.citations)

    nonsense = verify(
        "ResNet was invented by Alan Turing in 1950 [1]. It runs on quantum computers in Geneva [2].",
        [departures, founding],
        encoder,
    )
    assert nonsense.mostly_unsupported
    assert not any(s.supported for s in nonsense.sentences)
    assert verify("", [departures], encoder).mostly_unsupported
