"""The verifier's labelled set (evals/verifier/pairs.jsonl) is well-formed, and evals.verifier scores it as stated.

Figures are not gated here: this checks the set and the arithmetic, not how good the verifier is."""

from collections import Counter

import pytest

from evals.dataset import EVALS, ROOT
from evals.verifier import load_pairs, verifier_scores

FOLDERS = {"seeds": ROOT / "seeds", "news": EVALS / "news" / "articles", "news-distractors": EVALS / "news" / "distractors"}
FIELDS = {"id", "model", "set", "question_id", "user_input", "sentence", "span", "source", "start", "end", "supported",
          "note"}


@pytest.fixture(scope="module")
def pairs():
    return load_pairs()


def test_every_pair_has_the_fields_and_a_bool_label(pairs):
    for p in pairs:
        assert FIELDS <= set(p), f"{p.get('id')}: missing {sorted(FIELDS - set(p))}"
        assert isinstance(p["supported"], bool), f"{p['id']}: label {p['supported']!r} is not a bool"
        assert p["sentence"].strip() and p["span"].strip(), p["id"]
        if not p["supported"]:
            assert p["note"].strip(), f"{p['id']}: an unsupported pair says why in 'note'"


def test_ids_are_unique(pairs):
    repeated = [i for i, n in Counter(p["id"] for p in pairs).items() if n > 1]
    assert not repeated, f"repeated ids: {repeated}"


def test_every_span_is_the_exact_text_of_its_file(pairs):
    texts = {}
    for p in pairs:
        assert p["set"] in FOLDERS, f"{p['id']}: unknown set {p['set']!r}"
        path = FOLDERS[p["set"]] / p["source"]
        if path not in texts:
            texts[path] = path.read_bytes().decode("utf-8")
        assert texts[path][p["start"]:p["end"]] == p["span"], f"{p['id']}: span is not {path}[{p['start']}:{p['end']}]"


def test_the_set_is_large_and_mixed_enough(pairs):
    unsupported = [p for p in pairs if not p["supported"]]
    constructed = [p for p in pairs if p["model"] == "constructed"]
    assert len(pairs) >= 200
    assert len(unsupported) >= 60
    assert len(constructed) <= 0.25 * len(pairs), "constructed pairs are at most a quarter of the set"
    real = {(p["model"], p["set"]) for p in pairs if p["model"] != "constructed"}
    models = {m for m, _ in real}
    assert len(models) >= 2, f"drafts of at least two models, got {sorted(models)}"
    for m in models:
        assert {"seeds", "news"} <= {s for mm, s in real if mm == m}, f"{m}: pairs from both the seed and news sets"


def test_scores_count_precision_and_recall_over_the_verdicts():
    span = "Harbour City beat Northgate Rovers 2-1 in the Women's Coastal Cup final on Saturday."
    base = {"set": "news", "source": "x.txt", "note": ""}
    pairs = [
        dict(base, id="a", model="m1", sentence=span, span=span, supported=True),  # accepted, right
        dict(base, id="b", model="m1", sentence=span.replace("2-1", "3-1"), span=span, supported=False),  # rejected
        dict(base, id="c", model="m2", sentence=span.replace("2-1", "3-1"), span=span, supported=True),  # missed
        dict(base, id="d", model="m2", sentence=span, span=span, supported=False, note="labelled wrong on purpose"),
    ]
    scores = verifier_scores(pairs, similarity=lambda batch: [1.0] * len(batch))
    assert scores["verifier_pairs"] == 4
    assert scores["verifier_precision"] == 0.5  # a and d accepted, a supported
    assert scores["verifier_recall"] == 0.5  # a and c supported, a accepted
    assert scores["verifier_by_model"]["m1"]["precision"] == 1.0
    assert scores["verifier_by_model"]["m2"]["recall"] == 0.0
    assert [d["id"] for d in scores["verifier_disagreements"]] == ["c", "d"]


def test_scores_say_none_when_nothing_is_accepted():
    pair = {"id": "a", "model": "m", "set": "news", "sentence": "Two men.", "span": "Two men were jailed on Friday.",
            "supported": False, "note": "fragment", "source": "x.txt"}
    scores = verifier_scores([pair], similarity=lambda batch: [1.0] * len(batch))
    assert scores["verifier_precision"] is None and scores["verifier_accepted"] == 0
