"""Validation of the hand-checked gold Q&A set in evals/gold.jsonl."""
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "gold.jsonl"
SEEDS = ROOT / "seeds"

MIN_COUNTS = {
    "single_fact": 12,
    "number_date": 12,
    "list": 6,
    "multi_article": 8,
    "unanswerable": 8,
    "injection": 4,
    "follow_up": 8,
}
CATEGORIES = set(MIN_COUNTS)
MIN_TOTAL = 66
MIN_ITEMS_PER_SEED = 4

REQUIRED_FIELDS = {
    "id": str,
    "user_input": str,
    "reference": str,
    "reference_contexts": list,
    "key_facts": list,
    "answerable": bool,
    "category": str,
    "history": list,
}

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
    "\u00a0": " ",
})


def normalise(text: str) -> str:
    """Lowercase, unify quotes, strip thousands commas, collapse whitespace."""
    text = text.translate(_QUOTES).lower()
    text = re.sub(r"(?<=\d),(?=\d)", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _load_lines():
    assert GOLD.is_file(), f"missing {GOLD}"
    return [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def _load_items():
    return [json.loads(line) for line in _load_lines()]


def _seed_texts():
    return {p.name: p.read_bytes().decode("utf-8") for p in sorted(SEEDS.glob("*.txt"))}


ITEMS = _load_items()
SEED_TEXTS = _seed_texts()


def _ids(items):
    return [it.get("id", f"#{i}") for i, it in enumerate(items)]


def test_each_line_parses_as_json_object():
    for n, line in enumerate(_load_lines(), 1):
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {n} is not a JSON object"


def test_seed_files_present():
    assert len(SEED_TEXTS) == 5, sorted(SEED_TEXTS)


def test_total_count():
    assert len(ITEMS) >= MIN_TOTAL


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_required_fields_and_types(item):
    for field, typ in REQUIRED_FIELDS.items():
        assert field in item, f"missing field {field}"
        assert isinstance(item[field], typ), f"{field} should be {typ.__name__}"
    assert item["id"].strip() and item["user_input"].strip() and item["reference"].strip()
    assert item["category"] in CATEGORIES
    for rc in item["reference_contexts"]:
        assert isinstance(rc, dict)
        assert isinstance(rc.get("source"), str) and isinstance(rc.get("quote"), str)
        assert rc["quote"].strip()
    for fact in item["key_facts"]:
        assert isinstance(fact, list) and fact, "each key fact is a non-empty list of variants"
        for variant in fact:
            assert isinstance(variant, str) and variant.strip()
    for turn in item["history"]:
        assert isinstance(turn, dict)
        assert turn.get("role") in ("user", "assistant")
        assert isinstance(turn.get("content"), str) and turn["content"].strip()


def test_ids_unique():
    counts = Counter(it["id"] for it in ITEMS)
    dupes = [i for i, c in counts.items() if c > 1]
    assert not dupes, dupes


def test_category_minimums():
    counts = Counter(it["category"] for it in ITEMS)
    for cat, minimum in MIN_COUNTS.items():
        assert counts[cat] >= minimum, f"{cat}: {counts[cat]} < {minimum}"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_quotes_are_verbatim(item):
    for rc in item["reference_contexts"]:
        assert rc["source"] in SEED_TEXTS, f"unknown source {rc['source']}"
        assert rc["quote"] in SEED_TEXTS[rc["source"]], f"quote not verbatim: {rc['quote']!r}"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_answerability_consistency(item):
    if item["category"] in ("unanswerable", "injection"):
        assert item["answerable"] is False
        assert item["key_facts"] == []
        if item["category"] == "unanswerable":
            assert item["reference_contexts"] == []
    else:
        assert item["answerable"] is True
        assert item["key_facts"], "answerable items need key facts"
        assert item["reference_contexts"], "answerable items need reference contexts"


@pytest.mark.parametrize("item", [it for it in ITEMS if it["answerable"]],
                         ids=_ids([it for it in ITEMS if it["answerable"]]))
def test_key_facts_supported(item):
    haystacks = [normalise(item["reference"])]
    haystacks += [normalise(rc["quote"]) for rc in item["reference_contexts"]]
    for fact in item["key_facts"]:
        assert any(normalise(v) in h for v in fact for h in haystacks), (
            f"key fact {fact} not found in reference or quotes")


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_history_shape(item):
    history = item["history"]
    if item["category"] == "follow_up":
        assert history, "follow_up items need history"
        assert history[0]["role"] == "user"
        for prev, cur in zip(history, history[1:]):
            assert prev["role"] != cur["role"], "roles must alternate"
        assert history[-1]["role"] == "assistant"
    else:
        assert history == [], "only follow_up items carry history"


@pytest.mark.parametrize("item", [it for it in ITEMS if it["category"] == "multi_article"],
                         ids=_ids([it for it in ITEMS if it["category"] == "multi_article"]))
def test_multi_article_cites_two_sources(item):
    sources = {rc["source"] for rc in item["reference_contexts"]}
    assert len(sources) >= 2, sources


def test_every_seed_covered():
    coverage = Counter()
    for it in ITEMS:
        for source in {rc["source"] for rc in it["reference_contexts"]}:
            coverage[source] += 1
    for name in SEED_TEXTS:
        assert coverage[name] >= MIN_ITEMS_PER_SEED, f"{name}: {coverage[name]} items"


# -- the news gold set (evals/news): text the project was not built on -------------------------------------------

NEWS = ROOT / "evals" / "news"
NEWS_ITEMS = [json.loads(line) for line in (NEWS / "gold.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
ABSTAIN_KINDS = {"missing_attribute", "other_year", "distractor_topic", "false_premise", "declined", "anonymous",
                 "off_topic", "distractor_corpus"}
NEWS_CATEGORIES = {"single_fact", "number_date", "list", "multi_article", "follow_up", "yes_no", "why_how", "typo",
                   "lowercase", "unanswerable"}


def test_news_set_is_large_and_varied():
    answerable = [it for it in NEWS_ITEMS if it["answerable"]]
    abstain = [it for it in NEWS_ITEMS if not it["answerable"]]
    assert len(NEWS_ITEMS) >= 240 and len(abstain) >= 70
    assert len(list((NEWS / "articles").glob("*.txt"))) >= 24
    counts = Counter(it["category"] for it in answerable)
    assert set(counts) == NEWS_CATEGORIES - {"unanswerable"} and min(counts.values()) >= 5
    kinds = Counter(it["abstain_kind"] for it in abstain)
    assert set(kinds) == ABSTAIN_KINDS and kinds["distractor_corpus"] >= 10
    hard = sum(n for k, n in kinds.items() if k != "off_topic")
    assert hard >= 0.8 * len(abstain)  # most must-abstain items are hard ones
    domains = {p.name.split("_")[1] for p in (NEWS / "articles").glob("*.txt")}
    assert len(domains) >= 8


@pytest.mark.parametrize("item", NEWS_ITEMS, ids=lambda it: it["id"])
def test_news_items_are_well_formed(item):
    for name, kind in REQUIRED_FIELDS.items():
        assert isinstance(item[name], kind), name
    assert item["category"] in NEWS_CATEGORIES and item["corpus"] in ("articles", "distractors")
    if not item["answerable"]:
        assert item["reference_contexts"] == [] and item["key_facts"] == []
        assert item["abstain_kind"] in ABSTAIN_KINDS
        assert (item["corpus"] == "distractors") == (item["abstain_kind"] == "distractor_corpus")
        return
    assert item["corpus"] == "articles" and item["reference_contexts"] and item["key_facts"]
    texts = []
    for rc in item["reference_contexts"]:
        text = (NEWS / "articles" / rc["source"]).read_text(encoding="utf-8")
        assert rc["quote"] in text, rc["quote"]  # verbatim, byte for byte
        texts.append(normalise(text))
    for group in item["key_facts"]:
        assert any(normalise(v) in " ".join(texts) for v in group), group
    if item["category"] == "follow_up":
        assert item["history"] and {m["role"] for m in item["history"]} <= {"user", "assistant"}


def test_news_ids_unique():
    ids = [it["id"] for it in NEWS_ITEMS]
    assert len(ids) == len(set(ids))


def test_fresh_spot_check_is_well_formed():
    """evals/news/fresh: every key fact is written in one of its articles, and some questions must abstain."""
    fresh = ROOT / "evals" / "news" / "fresh"
    texts = " ".join(p.read_text(encoding="utf-8") for p in (fresh / "articles").glob("*.txt"))
    items = [json.loads(line) for line in (fresh / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) == 57 and len({it["id"] for it in items}) == 57
    assert sum(not it["answerable"] for it in items) == 10
    for it in items:
        assert it["answerable"] == bool(it["key_facts"]), it["id"]
        assert all(any(k in texts for k in alts) for alts in it["key_facts"]), it["id"]
