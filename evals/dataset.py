"""The eval's gold sets: where each set's items, corpus, floors and baseline live, and how items are read and picked.

Kept apart from scoring and the gate so that other tools (``evals.fit``, the README's examples) can read a gold set
without importing the runner.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EvalSet", "SETS", "load_gold", "select_items", "load_seeds", "file_sha256", "EVALS", "ROOT", "GOLD",
           "THRESHOLDS", "BASELINE", "RESULTS", "NEWS", "CATEGORIES", "UNANSWERABLE", "FACTOID"]

EVALS = Path(__file__).resolve().parent
ROOT = EVALS.parent
GOLD = EVALS / "gold.jsonl"
THRESHOLDS = EVALS / "thresholds.toml"
BASELINE = EVALS / "baseline.json"
RESULTS = EVALS / "results"
NEWS = EVALS / "news"
CATEGORIES = ["single_fact", "number_date", "list", "multi_article", "follow_up", "yes_no", "why_how", "typo",
              "lowercase", "unanswerable", "injection"]
UNANSWERABLE = ("unanswerable", "injection")
FACTOID = ("single_fact", "number_date")  # the categories whose answer is one fact (issue 13's length target)


def load_gold(path: str | Path = GOLD) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class EvalSet:
    """A gold set, the corpus it is asked against, and its own floors and baseline."""
    name: str
    gold: Path
    corpus: Path | None  # None: the settings' seeds folder
    thresholds: Path
    baseline: Path
    corpus_filter: str | None = None  # keep only items whose "corpus" field is this

    def items(self) -> list[dict[str, Any]]:
        rows = load_gold(self.gold)
        return [r for r in rows if self.corpus_filter is None or r.get("corpus") == self.corpus_filter]

    @property
    def results(self) -> Path:
        return RESULTS if self.name == "seeds" else RESULTS / self.name


SETS = {
    "seeds": EvalSet("seeds", GOLD, None, THRESHOLDS, BASELINE),
    # news the project was not built on: 9 domains and house styles (evals/news/README.md)
    "news": EvalSet("news", NEWS / "gold.jsonl", NEWS / "articles", NEWS / "thresholds.toml", NEWS / "baseline.json",
                    "articles"),
    # the same entities with every asked fact removed: every item must abstain
    "news-distractors": EvalSet("news-distractors", NEWS / "gold.jsonl", NEWS / "distractors",
                                NEWS / "thresholds_distractors.toml", NEWS / "baseline_distractors.json",
                                "distractors"),
}


def select_items(items: Sequence[dict[str, Any]], limit: int | None = None,
                 category: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Filter by category, then keep ``limit`` items taken round-robin over the categories (gold order within
    each), so a small subset still covers every category."""
    cats = [category] if isinstance(category, str) else list(category or [])
    pool = [it for it in items if not cats or it["category"] in cats]
    if limit is None or limit >= len(pool):
        return list(pool)
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in pool:
        by_cat[it["category"]].append(it)
    order = [c for c in CATEGORIES if c in by_cat] + [c for c in by_cat if c not in CATEGORIES]
    picked: list[dict[str, Any]] = []
    i = 0
    while len(picked) < limit:
        for c in order:
            if i < len(by_cat[c]) and len(picked) < limit:
                picked.append(by_cat[c][i])
        i += 1
    ids = {it["id"] for it in picked}
    return [it for it in pool if it["id"] in ids]


def load_seeds(folder: str | Path) -> dict[str, str]:
    """File name → original text, read byte-exact (citations' offsets point into this)."""
    folder = Path(folder)
    return {p.name: p.read_bytes().decode("utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


def file_sha256(path: Path) -> str:
    """The first 16 hex digits of a file's SHA-256: ties a baseline to the gold file it was measured on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
