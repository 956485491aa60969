"""The verifier's own precision and recall (issue 13, point 2), on hand-labelled (sentence, span, supported?) pairs.

``evals/verifier/pairs.jsonl`` holds sentences of real drafts of this pipeline (several models, the seed and news
sets) with the span the verifier compares each to, plus constructed hard negatives; ``evals/verifier/README.md``
says how it was built and labelled. The verifier under test is the project's public check,
``rag.citations.verify`` when that exists and ``rag.citations.supports`` otherwise, called as
``check(sentence, span, similarity, title=..., article=...)`` with the embedding cosine the pipeline itself uses and
the span's article as the pipeline reads it (its title and text may resolve a name). No LLM is loaded.

    python -m evals.verifier            # figures, then every disagreement (pair id, label, verdict, note)
    python -m evals.verifier --json     # the same as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .dataset import EVALS, NEWS, ROOT

__all__ = ["PAIRS", "load_pairs", "verifier_check", "verifier_scores", "main"]

PAIRS = EVALS / "verifier" / "pairs.jsonl"


def load_pairs(path: str | Path = PAIRS) -> list[dict[str, Any]]:
    """The labelled pairs, one JSON object a line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; it is committed with the repository (evals/verifier/), "
                                "restore it with git or regrow it with python -m evals.verifier_drafts")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verifier_check() -> tuple[str, Callable[[str, str, float | None], bool]]:
    """The check under test and its name: a richer ``rag.citations.verify`` when the package has one, else
    ``rag.citations.supports`` (the check :func:`rag.citations.enforce` applies)."""
    from rag import citations

    fn = getattr(citations, "verify", None)
    if callable(fn):
        return "rag.citations.verify", fn
    return "rag.citations.supports", citations.supports


def _similarity() -> Callable[[list[tuple[str, str]]], list[float]]:
    from rag.answer import cosine_pairs
    from rag.embeddings import get_embeddings

    return cosine_pairs(get_embeddings().embed_cached)


def _articles(pairs: Sequence[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(set, source) → (title, text) as the pipeline reads that article (:func:`rag.documents.load_document`);
    ("", "") for an article that is not on disk."""
    from rag.documents import load_document

    out = {}
    for key in {(p.get("set", ""), p["source"]) for p in pairs}:
        path = (ROOT / "seeds" if key[0] == "seeds" else NEWS / "articles") / key[1]
        doc = load_document(path) if path.is_file() else None
        out[key] = (doc.title, doc.text) if doc else ("", "")
    return out


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _figures(rows: Sequence[tuple[dict[str, Any], bool]]) -> dict[str, Any]:
    accepted = [p for p, ok in rows if ok]
    supported = [p for p, _ in rows if p["supported"]]
    both = sum(1 for p, ok in rows if ok and p["supported"])
    return {"pairs": len(rows), "supported": len(supported), "accepted": len(accepted),
            "precision": _ratio(both, len(accepted)), "recall": _ratio(both, len(supported))}


def verifier_scores(pairs: Sequence[dict[str, Any]] | None = None,
                    similarity: Callable[[list[tuple[str, str]]], list[float]] | None = None) -> dict[str, Any]:
    """Run the verifier on every pair and score it against the labels.

    ``verifier_precision``: of the pairs it accepts, the share labelled supported (None when it accepts none);
    ``verifier_recall``: of the pairs labelled supported, the share it accepts; ``verifier_pairs``: how many
    pairs. Also ``verifier_by_model`` and ``verifier_by_set`` (the same figures per group), ``verifier_check``
    (which function was tested) and ``verifier_disagreements`` (every pair where verdict and label differ)."""
    pairs = load_pairs() if pairs is None else list(pairs)
    name, check = verifier_check()
    sims = (similarity or _similarity())([(p["sentence"], p["span"]) for p in pairs]) if pairs else []
    articles = _articles(pairs)

    def verdict(p: dict[str, Any], similarity: float) -> bool:
        title, text = articles[(p.get("set", ""), p["source"])]
        return bool(check(p["sentence"], p["span"], similarity, title=title, article=text))

    rows = [(p, verdict(p, s)) for p, s in zip(pairs, sims)]
    overall = _figures(rows)
    groups: dict[str, dict[str, list[tuple[dict[str, Any], bool]]]] = {"model": defaultdict(list),
                                                                         "set": defaultdict(list)}
    for p, ok in rows:
        groups["model"][p["model"]].append((p, ok))
        groups["set"][p.get("set", "?")].append((p, ok))
    disagreements = [
        {"id": p["id"], "model": p["model"], "supported": p["supported"], "accepted": ok,
         "similarity": round(float(s), 4), "note": p.get("note", ""), "sentence": p["sentence"], "span": p["span"]}
        for (p, ok), s in zip(rows, sims) if ok != p["supported"]]
    return {"verifier_precision": overall["precision"], "verifier_recall": overall["recall"],
            "verifier_pairs": overall["pairs"], "verifier_supported": overall["supported"],
            "verifier_accepted": overall["accepted"], "verifier_check": name,
            "verifier_by_model": {k: _figures(v) for k, v in sorted(groups["model"].items())},
            "verifier_by_set": {k: _figures(v) for k, v in sorted(groups["set"].items())},
            "verifier_disagreements": disagreements}


def _print(scores: dict[str, Any]) -> None:
    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    print(f"verifier: {scores['verifier_check']} on {scores['verifier_pairs']} pairs "
          f"({scores['verifier_supported']} labelled supported, {scores['verifier_accepted']} accepted)")
    print(f"precision {fmt(scores['verifier_precision'])}  recall {fmt(scores['verifier_recall'])}")
    for kind in ("model", "set"):
        for name, f in scores[f"verifier_by_{kind}"].items():
            print(f"  {kind} {name}: {f['pairs']} pairs, precision {fmt(f['precision'])}, recall {fmt(f['recall'])}")
    dis = scores["verifier_disagreements"]
    print(f"\n{len(dis)} disagreements (label / verdict):")
    for d in dis:
        label = "supported" if d["supported"] else "unsupported"
        verdict = "accepted" if d["accepted"] else "rejected"
        note = f" ({d['note']})" if d["note"] else ""
        print(f"- {d['id']}: {label} / {verdict}, cos {d['similarity']:.2f}{note}\n"
              f"    sentence: {d['sentence']}\n    span:     {' '.join(d['span'].split())}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.verifier", description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", default=str(PAIRS), help="labelled pairs (JSONL)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = p.parse_args(argv)
    scores = verifier_scores(load_pairs(args.pairs))
    if args.json:
        print(json.dumps(scores, ensure_ascii=False, indent=1))
    else:
        _print(scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
