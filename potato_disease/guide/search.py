"""Find the guide sections that best answer a question: BM25 over sections.

Words are reduced to their Snowball (Porter2) English stems with ``snowballstemmer`` and
sections are ranked with ``bm25s``; both are small and need nothing beyond numpy.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache, lru_cache

import bm25s
import numpy as np
import snowballstemmer

from potato_disease.guide.documents import TREATMENT_SECTION, GuideEntry, load_guide
from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES, NOT_LEAF

# BM25's usual constants: term-frequency saturation and length normalisation.
K1 = 1.5
B = 0.3  # sections differ in length for good reasons (treatment lists are long)
LABEL_BOOST = 2.0  # the current diagnosis is the likeliest topic of a follow-up question
TOPIC_BOOST = 3.0  # but a disease named in the question is its topic for sure
HEADING_WEIGHT = 5  # a heading word says more about a passage than a word in its body
TITLE_WEIGHT = 3  # and the document title says which disease the passage is about
SYNONYM_WEIGHT = 0.75  # related words count, but less than the question's own
SKIPPED_SECTIONS = ("Sources",)  # bibliographies match disease names, not questions
NEXT_STEPS = {label: TREATMENT_SECTION for label in DISEASE_LABELS} | {
    NOT_LEAF: "How to take a good photo"
}
"""Where a question about a diagnosis with no words of its own but one of
:data:`ACTION_WORDS` ("What should I do now?") is answered: the passages under this
heading of that label's document. Any other such question ("What is it?") gets the
passage under :data:`ABOUT_HEADING`."""
HEADING_TOPICS = {TREATMENT_SECTION: "control treatment management prevention"}
"""Words indexed as if in the heading of every passage under these headings: what people
call the section when they ask for it ("How do I control late blight?"), which its own
words ("What to do now", all stopwords) do not say."""
ACTION_WORDS = frozenset({"do", "doing", "done", "now", "next", "should"})
ABOUT_HEADING = "What it is"

_STOPWORD_TEXT = """
a about after again against all also am an and any are as at be been before being but by can
could did do does doing done for from get gets got had has have having he her here his how i
if in into is it its itself just like look looks me more most my no nor now of off on once
only or other our ours out over own please same she should so some such than that the their
them then there these they this those through to too under until up us very was we were what
when where which while who whom why will with would you your yours
bad best better good know lot make many much need one really see several thing things use used
using want way well worse
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

IRREGULAR = {"leaves": "leaf", "mineral": "mineral"}
"""Where Snowball's stem is wrong for the guide: it stems 'leaves' to 'leav' (with 'leave'),
missing 'leaf'; and 'mineral' to 'miner', so 'mineral oil' would find leaf miners."""

_ENGLISH = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # a Snowball stemmer keeps the word it works on as its state


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A lower-case word's Snowball English stem: 'spraying' and 'sprays' both become 'spray'.

    Words with digits (FRAC and IRAC group codes such as 'm03' or '22a') are kept as they are.
    """
    if word in IRREGULAR:
        return IRREGULAR[word]
    if not word.isalpha():
        return word
    with _STEMMER_LOCK:
        return _ENGLISH.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Lower-case word stems without stopwords; numbers are kept (FRAC and IRAC codes)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [
        stem(word) for word in words if word not in STOPWORDS and (len(word) > 1 or word.isdigit())
    ]


SYNONYMS = {
    stem(word): tuple(stem(related) for related in relateds.split())
    for word, relateds in {
        "spray": "fungicide insecticide chemical product",
        "fungicide": "spray chemical frac",
        "insecticide": "spray chemical irac",
        "pesticide": "fungicide insecticide chemical",
        "treat": "control spray product",
        "cure": "control treat",
        "kill": "control spray",
        "rid": "control",
        "organic": "copper biological",
        "confirm": "test laboratory",
        "test": "confirm laboratory",
        "sure": "confirm",
        "weather": "temperature humidity rain wet",
        "rain": "wet humidity",
        "contagious": "spread",
        "serious": "destructive loss yield",
        "dangerous": "destructive loss yield",
        "else": "alikes",
        "similar": "alikes",
        "confuse": "alikes",
        "mistake": "alikes",
        "tell": "alikes confirm",
        "difference": "alikes",
        "distinguish": "alikes",
        "bug": "insect pest",
        "insect": "pest",
        "worm": "nematode larva",
        "photo": "picture",
        "picture": "photo",
    }.items()
}


TOPIC_NAMES = {
    "late_blight": "late blight, phytophthora, infestans, oomycete",
    "early_blight": "early blight, alternaria, target spot",
    "bacteria": "bacteria, bacterial, bacterium, blackleg, black leg, ralstonia, pectobacterium, "
    "dickeya, clavibacter, brown rot, ring rot, soft rot, bacterial wilt",
    "virus": "virus, viral, pvy, plrv, pvx, mosaic, leafroll, leaf roll",
    "pest": "pest, insect, beetle, aphid, leafminer, leaf miner, moth, thrips, mite, bug, "
    "caterpillar, larva, flea beetle",
    "nematode": "nematode, eelworm, pcn, cyst, globodera, meloidogyne, root knot",
    "healthy": "healthy",
    "not_leaf": "refused, rejected, not a leaf, not a potato leaf",
}
"""Words and phrases, comma-separated, that name each label's topic in a question."""


def _stemmed_words(text: str) -> str:
    """A text's word stems (stopwords kept), space-separated, with a space at each end."""
    return " " + " ".join(stem(word) for word in re.findall(r"[a-z0-9]+", text.lower())) + " "


_TOPIC_PATTERNS = {
    label: tuple(_stemmed_words(name) for name in names.split(","))
    for label, names in TOPIC_NAMES.items()
}


def mentioned_labels(question: str) -> set[str]:
    """The labels whose topic the question names (for example 'PVY' names ``virus``)."""
    words = _stemmed_words(question)
    return {
        label
        for label, patterns in _TOPIC_PATTERNS.items()
        if any(pattern in words for pattern in patterns)
    }


@dataclass(frozen=True)
class GuideSection:
    """One searchable passage of the guide: a section, or a subsection of 'What to do now'."""

    label: str
    title: str
    heading: str
    text: str


@dataclass(frozen=True)
class _Index:
    sections: tuple[GuideSection, ...]
    retriever: bm25s.BM25


def passages(entry: GuideEntry) -> list[GuideSection]:
    """Split one guide entry into searchable passages (subsections become their own)."""
    found = []
    for heading, body in entry.sections.items():
        if heading in SKIPPED_SECTIONS:
            continue
        subsections = entry.subsections(heading)
        intro = body.split("\n###", 1)[0].strip() if subsections else body
        if intro:
            found.append(GuideSection(entry.label, entry.title, heading, intro))
        for name, text in subsections.items():
            found.append(GuideSection(entry.label, entry.title, f"{heading}: {name}", text))
    return found


def heading_topics(heading: str) -> str:
    """The :data:`HEADING_TOPICS` words of a passage's heading ('What to do now: Organic'
    is under 'What to do now'), or nothing."""
    return HEADING_TOPICS.get(heading.split(":", 1)[0], "")


@cache
def _index() -> _Index:
    sections = tuple(section for entry in load_guide().values() for section in passages(entry))
    # Field weighting by repetition: a heading word counts as HEADING_WEIGHT body words.
    corpus = [
        tokenize(f"{section.heading} {heading_topics(section.heading)}") * HEADING_WEIGHT
        + tokenize(section.title) * TITLE_WEIGHT
        + tokenize(section.text)
        for section in sections
    ]
    # "lucene" is BM25 with idf log(1 + (N - df + 0.5) / (df + 0.5)); it leaves out the
    # (k1 + 1) numerator, a constant factor that changes no ranking. float64 keeps near-ties
    # in the same order as exact arithmetic would.
    retriever = bm25s.BM25(k1=K1, b=B, method="lucene", dtype="float64")
    retriever.index(corpus, show_progress=False)
    return _Index(sections=sections, retriever=retriever)


def all_sections() -> tuple[GuideSection, ...]:
    """Every searchable passage of the guide, label by label, in document order."""
    return _index().sections


def query_weights(question: str) -> dict[str, float]:
    """The question's terms with weights: its own words 1, related words ``SYNONYM_WEIGHT``."""
    weights: dict[str, float] = {}
    terms = tokenize(question)
    for term in terms:
        for related in SYNONYMS.get(term, ()):
            weights.setdefault(related, SYNONYM_WEIGHT)
    for term in terms:
        weights[term] = 1.0
    return weights


def wordless_heading(question: str, label: str) -> str:
    """For a question with no words of its own: the heading of ``label``'s document that
    answers it (its next steps when it asks what to do, else what it is)."""
    asks_what_to_do = not ACTION_WORDS.isdisjoint(re.findall(r"[a-z]+", question.lower()))
    return NEXT_STEPS[label] if asks_what_to_do else ABOUT_HEADING


def _passages_under(index: _Index, label: str, heading: str) -> list[GuideSection]:
    """``label``'s passages under ``heading`` (its subsections included), in order."""
    return [s for s in index.sections if s.label == label and s.heading.startswith(heading)]


def _on_topic(
    sections: tuple[GuideSection, ...], scores: np.ndarray, focus: set[str]
) -> np.ndarray:
    """``scores`` with other labels' sections left out when a section of the ``focus``
    labels (the diagnosis and the diseases the question names) answers at all: "It's an
    organic farm, what can I use?" about late blight is not answered with early blight's
    organic options too. With nothing on topic, every label's sections stay."""
    on_topic = np.array([section.label in focus for section in sections])
    if not focus or not (scores[on_topic] > 0).any():
        return scores
    return np.where(on_topic, scores, 0.0)


WEATHER_WORDS = frozenset(stem(word) for word in ("weather", "forecast", "tomorrow", "rain"))


def asks_about_weather(question: str) -> bool:
    """Whether the question asks about the weather (the guide has no forecasts)."""
    return not WEATHER_WORDS.isdisjoint(tokenize(question))


def search_guide(question: str, label: str | None = None, limit: int = 3) -> list[GuideSection]:
    """The guide sections most relevant to a question, favouring the diagnosed label's; a
    question with no words of its own gets that label's next steps or what it is
    (:data:`NEXT_STEPS`)."""
    if label is not None and label not in MODEL_CLASSES:
        raise ValueError(f"Unknown label {label!r}; expected one of {', '.join(MODEL_CLASSES)}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    index = _index()
    weights = query_weights(question)
    if not weights and label is not None:  # only words like "what", "is", "do", "now"
        return _passages_under(index, label, wordless_heading(question, label))[:limit]
    scores = np.zeros(len(index.sections))
    for term, weight in weights.items():
        # One term at a time, since each term has its own weight; unknown terms score 0.
        scores += weight * index.retriever.get_scores([term])
    topics = mentioned_labels(question)
    for position, section in enumerate(index.sections):
        if section.label in topics:
            scores[position] *= TOPIC_BOOST
        if section.label == label:
            scores[position] *= LABEL_BOOST
    scores = _on_topic(index.sections, scores, topics | ({label} if label else set()))
    ranked = sorted(np.flatnonzero(scores > 0), key=lambda position: (-scores[position], position))
    return [index.sections[position] for position in ranked[:limit]]
