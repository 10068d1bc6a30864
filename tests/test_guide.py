"""The disease guide: every label's document, its structure, its facts, and search over it."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from potato_disease.guide import (
    GuideSection,
    guide_entry,
    load_guide,
    parse_document,
    search_guide,
)
from potato_disease.guide.search import (
    SYNONYM_WEIGHT,
    mentioned_labels,
    query_weights,
    stem,
    tokenize,
)
from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES, NOT_LEAF

# Written out again here (not imported) so a change to the required structure is deliberate.
LEAF_HEADINGS = [
    "What it is",
    "Symptoms",
    "Look-alikes",
    "How to confirm in the field",
    "Conditions that favour it",
    "How it spreads (and how fast)",
    "What to do now",
    "Resistance management",
    "When to call an expert",
    "Sources",
]
PHOTO_HEADINGS = [
    "What it is",
    "Why a photo is refused",
    "How to take a good photo",
    "When to call an expert",
    "Sources",
]
CODE = re.compile(r"\b(?:FRAC|IRAC) (M\d+|P\d+|BM\d+|UN|\d+[A-Z]?)\b")


def codes(text: str, scheme: str) -> set[str]:
    """The FRAC or IRAC group codes written as 'FRAC 40' or 'IRAC 4A' in a text."""
    return {match.group(1) for match in CODE.finditer(text) if match.group(0).startswith(scheme)}


def chemical(label: str) -> str:
    return guide_entry(label).subsections("What to do now")["Chemical"]


@pytest.mark.parametrize("label", MODEL_CLASSES)
def test_every_label_has_a_document_with_every_section(label):
    entry = guide_entry(label)
    expected = PHOTO_HEADINGS if label == NOT_LEAF else LEAF_HEADINGS
    assert list(entry.sections) == expected
    assert all(len(text.split()) >= 20 for heading, text in entry.sections.items()), label
    assert entry.title and len(entry.summary.split()) >= 20
    assert len(entry.sources) >= 4
    assert resources.files("potato_disease.guide").joinpath(f"{label}.md").is_file()


@pytest.mark.parametrize("label", DISEASE_LABELS)
def test_treatment_has_cultural_organic_and_chemical_and_defers_to_the_label(label):
    treatment = guide_entry(label).subsections("What to do now")
    assert list(treatment) == ["Cultural", "Organic", "Chemical"]
    assert "label and registration" in treatment["Chemical"]


@pytest.mark.parametrize(
    ("label", "scheme", "expected"),
    [
        ("late_blight", "FRAC", {"4", "40", "49", "45", "29", "M03", "M05", "M01"}),
        ("early_blight", "FRAC", {"11", "7", "3", "M03", "M05"}),
        ("pest", "IRAC", {"28", "5", "6", "4A", "29", "9D", "17", "22A", "3A"}),
        ("virus", "IRAC", {"29", "9D", "4D", "4C", "23"}),
        ("nematode", "IRAC", {"1A", "1B"}),
    ],
)
def test_chemical_sections_give_group_codes(label, scheme, expected):
    assert expected <= codes(chemical(label), scheme)


@pytest.mark.parametrize(
    ("label", "heading", "phrases"),
    [
        ("late_blight", "What it is", ["Phytophthora infestans", "oomycete"]),
        ("late_blight", "Resistance management", ["phenylamides (FRAC 4)", "mixtures"]),
        ("early_blight", "What it is", ["Alternaria solani"]),
        ("early_blight", "Resistance management", ["F129L", "SDHI"]),
        ("bacteria", "What it is", ["Ralstonia", "Pectobacterium", "Dickeya", "quarantine"]),
        ("bacteria", "How to confirm in the field", ["Stem streaming test"]),
        ("bacteria", "What to do now", ["No chemical cures"]),
        ("virus", "What it is", ["PVY", "PLRV", "PVX"]),
        ("virus", "What to do now", ["certified seed", "rogue", "mineral (paraffin) oil"]),
        ("pest", "What it is", ["Liriomyza", "Phthorimaea operculella", "Leptinotarsa"]),
        ("pest", "What it is", ["Aphids", "Thrips", "Flea beetles"]),
        ("nematode", "What it is", ["Globodera", "Meloidogyne", "quarantine"]),
        ("nematode", "How to confirm in the field", ["roots", "soil samples"]),
        ("healthy", "How to confirm in the field", ["zigzag"]),
        ("not_leaf", "How to take a good photo", ["One leaf, filling the frame", "daylight"]),
    ],
)
def test_documents_state_the_key_facts(label, heading, phrases):
    text = guide_entry(label).sections[heading]
    for phrase in phrases:
        assert phrase in text, f"{label} / {heading} should mention {phrase!r}"


def test_load_guide_returns_every_label_and_a_copy():
    guide = load_guide()
    assert list(guide) == list(MODEL_CLASSES)
    guide.clear()
    assert list(load_guide()) == list(MODEL_CLASSES)


def test_guide_entry_rejects_unknown_labels():
    with pytest.raises(ValueError, match="Unknown label"):
        guide_entry("rust")


def real_text(label: str) -> str:
    return resources.files("potato_disease.guide").joinpath(f"{label}.md").read_text()


def without(text: str, heading: str) -> str:
    """A document with one heading and its body removed."""
    level = heading.split(" ", 1)[0]
    pattern = rf"^{re.escape(heading)}\n.*?(?=^#{{2,{len(level)}}} |\Z)"
    return re.sub(pattern, "", text, count=1, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        ("## Look-alikes", "missing Look-alikes"),
        ("## Sources", "missing Sources"),
        ("### Organic", "missing Organic"),
    ],
)
def test_a_document_missing_a_section_is_refused(heading, message):
    broken = without(real_text("late_blight"), heading)
    assert heading not in broken
    with pytest.raises(ValueError, match=f"late_blight.md is malformed: .*{message}"):
        parse_document("late_blight", broken)


def test_sections_out_of_order_or_untitled_are_refused():
    text = real_text("early_blight")
    swapped = text.replace("## Symptoms", "## TEMP").replace("## What it is", "## Symptoms")
    swapped = swapped.replace("## TEMP", "## What it is")
    with pytest.raises(ValueError, match="out of order"):
        parse_document("early_blight", swapped)
    with pytest.raises(ValueError, match="Title"):
        parse_document("early_blight", text.split("\n", 1)[1])


@pytest.mark.parametrize(
    ("question", "label", "expected_label", "expected_heading"),
    [
        ("What fungicide should I spray for late blight?", None, "late_blight", "Chemical"),
        ("How do I confirm late blight in the field?", None, "late_blight", "confirm"),
        ("What weather favours late blight?", None, "late_blight", "Conditions"),
        ("organic control of late blight", None, "late_blight", "Organic"),
        ("QoI resistance and the F129L mutation", None, "early_blight", "Resistance"),
        ("How is the stem streaming test done?", None, "bacteria", "confirm"),
        ("How do aphids spread the virus?", None, "virus", "spreads"),
        ("Which insecticide for Colorado potato beetle?", None, "pest", "Chemical"),
        ("How do I take a better photo?", None, "not_leaf", "good photo"),
        ("What does a healthy potato leaf look like?", None, "healthy", "What it is"),
        ("how fast does it spread", "late_blight", "late_blight", "spreads"),
        # Asking for control, prevention or treatment finds what to do, not resistance.
        ("How do I control late blight?", None, "late_blight", "What to do now"),
        ("how do I prevent late blight", None, "late_blight", "What to do now"),
        ("How do I control the beetles?", None, "pest", "What to do now"),
        ("How can I get rid of aphids?", None, "pest", "What to do now"),
        ("treatment for bacterial wilt", None, "bacteria", "What to do now"),
        # A disease named in the question wins over the diagnosed one.
        ("How does early blight spread?", "late_blight", "early_blight", "spreads"),
    ],
)
def test_search_ranks_the_right_section_first(question, label, expected_label, expected_heading):
    best = search_guide(question, label)[0]
    assert (best.label, expected_heading in best.heading) == (expected_label, True), best


@pytest.mark.parametrize("label", DISEASE_LABELS)
def test_the_diagnosis_label_decides_an_ambiguous_question(label):
    results = search_guide("What can I spray now?", label)
    assert results[0].label == label
    assert results[0].heading == "What to do now: Chemical"


def test_without_a_label_an_ambiguous_question_is_not_tied_to_one_disease():
    labels = {section.label for section in search_guide("What can I spray now?", None, limit=5)}
    assert len(labels) > 1


def test_search_returns_nothing_for_unrelated_questions_and_respects_the_limit():
    assert search_guide("recipe for chocolate cake", None) == []
    results = search_guide("late blight", None, limit=5)
    assert len(results) == 5
    assert all(isinstance(section, GuideSection) for section in results)
    assert all(section.heading != "Sources" for section in results)


@pytest.mark.parametrize("question", ["What should I do now?", "what now", "What should we do?"])
def test_a_question_with_no_words_of_its_own_gets_the_diagnosis_next_steps(question):
    steps = search_guide(question, "late_blight", limit=4)
    assert [section.heading for section in steps] == [
        "What to do now",
        "What to do now: Cultural",
        "What to do now: Organic",
        "What to do now: Chemical",
    ]
    assert {section.label for section in steps} == {"late_blight"}
    assert len(search_guide(question, "virus", limit=2)) == 2
    photo = search_guide(question, "not_leaf")
    assert [(s.label, s.heading) for s in photo] == [("not_leaf", "How to take a good photo")]
    assert search_guide(question, None) == []  # no diagnosis: nothing to go on


@pytest.mark.parametrize("question", ["What is this?", "what is it", "Is it?"])
def test_a_question_with_no_words_of_its_own_and_no_action_gets_what_it_is(question):
    assert [(s.label, s.heading) for s in search_guide(question, "virus")] == [
        ("virus", "What it is")
    ]


def test_search_validates_its_arguments():
    with pytest.raises(ValueError, match="Unknown label"):
        search_guide("blight", "rust")
    with pytest.raises(ValueError, match="limit"):
        search_guide("blight", None, limit=0)


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (("spray", "sprays", "spraying", "sprayed"), True),
        (("leaf", "leaves"), True),
        (("rot", "rotting"), True),
        (("cause", "causes", "caused"), True),
        (("infection", "infected", "infects"), True),
        (("virus", "viruses"), True),
        (("early", "ear"), False),
        (("mineral", "miners"), False),
    ],
)
def test_stem_joins_word_forms(words, same):
    assert (len({stem(word) for word in words}) == 1) is same


@pytest.mark.parametrize(
    ("question", "other_form"),
    [
        ("spraying schedule", "sprays schedule"),
        ("yellow leaves", "yellow leaf"),
        ("rotting tubers", "rotted tubers"),
        ("infected seed", "infection in seed"),
    ],
)
def test_word_forms_of_a_question_find_the_same_sections(question, other_form):
    found = search_guide(question, None, limit=5)
    assert found
    assert found == search_guide(other_form, None, limit=5)


def test_mineral_oil_is_not_mistaken_for_leaf_miners():
    # Snowball alone stems 'mineral' to 'miner', which would rank leaf-miner sections here.
    found = search_guide("mineral oil", None, limit=2)
    assert all("mineral" in section.text.lower() for section in found), found


def test_related_words_count_less_than_the_questions_own(monkeypatch):
    question = "What weather suits the virus?"
    weights = query_weights(question)
    assert weights[stem("weather")] == 1.0
    assert weights[stem("humidity")] == SYNONYM_WEIGHT < 1
    assert query_weights("spray fungicide")[stem("fungicide")] == 1.0  # own word, not synonym
    # The virus section says 'weather'; late blight's only has related words (humidity, rain).
    best = search_guide(question, None)[0]
    assert (best.label, best.heading) == ("virus", "Conditions that favour it")
    monkeypatch.setattr("potato_disease.guide.search.SYNONYM_WEIGHT", 1.0)
    # (the question names the virus, which keeps other labels out: let them in here)
    monkeypatch.setattr("potato_disease.guide.search._on_topic", lambda _, scores, __: scores)
    assert search_guide(question, None)[0].label == "late_blight"


def test_tokenize_drops_stopwords_and_keeps_group_codes():
    assert tokenize("What is FRAC 4 and M03?") == ["frac", "4", "m03"]


@pytest.mark.parametrize(
    ("question", "labels"),
    [
        ("Is PVY in my seed?", {"virus"}),
        ("late blight or early blight?", {"late_blight", "early_blight"}),
        ("Aphids everywhere", {"pest"}),
        ("root knot galls", {"nematode"}),
        ("when should I irrigate", set()),
    ],
)
def test_questions_name_their_topics(question, labels):
    assert mentioned_labels(question) == labels
