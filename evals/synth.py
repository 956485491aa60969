"""A deterministic synthetic news corpus for the scale benchmark, made from the real seed articles' sentences.

Article ``i`` depends only on ``(seed, i)``: it recombines 20-45 content sentences of ``seeds/`` (in paragraphs of
2-4), with the people, places, weekdays and months swapped for names from small lists (one consistent mapping per
article) and every number replaced by another of the same number of digits. Files are ``syn_000000.txt`` ... so a
smaller corpus is always a prefix of a larger one (the benchmark derives the 100k-chunk vectors from the 10k-chunk
corpus's real embeddings by that property). The five real seed articles are copied in as well, so the gold
questions have their answers in every corpus.

    python -m evals.synth OUT_DIR --chunks 10000      # writes about 10k chunks' worth of files
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["make_corpus", "article", "queries", "chunks_per_article", "SEEDS_DIR"]

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

# Seed entity -> pool it is swapped from. Longer names first so "Antony Blinken" goes before "Blinken".
FIRST_NAMES = ["Anna", "Marek", "Ingrid", "Tomas", "Elena", "Pieter", "Sofia", "Jonas", "Maria", "Luca", "Katrin",
               "Pavel", "Ines", "Oskar", "Laila", "Henrik", "Nadia", "Milan", "Clara", "Viktor"]
SURNAMES = ["Novak", "Lindqvist", "Moreau", "Kowalski", "Brandt", "Haddad", "Varga", "Okafor", "Silva", "Jansen",
            "Petrov", "Rossi", "Dalton", "Eriksen", "Marchetti", "Horvat", "Keller", "Duval", "Sato", "Ferreira"]
CITIES = ["Vienna", "Oslo", "Lisbon", "Tallinn", "Prague", "Dublin", "Warsaw", "Helsinki", "Madrid", "Riga",
          "Zagreb", "Ljubljana", "Bern", "Vilnius", "Sofia City", "Valletta"]
COUNTRIES = ["Moldova", "Georgia", "Armenia", "Serbia", "Montenegro", "Albania", "Kosovo", "Bosnia", "Belarus",
             "Azerbaijan", "Kazakhstan", "Tunisia"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
TOPICS = ["security talks", "sanctions", "troop build-up", "energy deal", "border dispute", "aid package",
          "summit", "ceasefire plan", "arms deliveries", "membership bid"]
VERBS = ["warns on", "pushes for", "rejects", "backs", "questions", "welcomes", "delays", "outlines"]

_PEOPLE = {
    "Antony": "first", "Volodymyr": "first", "Angela": "first", "Joe": "first", "Josep": "first",
    "Steffen": "first", "Dmytro": "first", "Liz": "first", "Jens": "first", "Olaf": "first", "Vladimir": "first",
    "Donald": "first", "Sergei": "first", "Robert": "first", "Emmanuel": "first",
    "Blinken": "last", "Zelenskiy": "last", "Zelenskyy": "last", "Zhelensky": "last", "Merkel": "last",
    "Biden": "last", "Borrell": "last", "Seibert": "last", "Kuleba": "last", "Truss": "last",
    "Stoltenberg": "last", "Scholz": "last", "Putin": "last", "Trump": "last", "Ryapkov": "last", "Macron": "last",
}
_PLACES = {"Kyiv": "city", "Kiev": "city", "KYIV": "city", "Moscow": "city", "Brussels": "city", "Geneva": "city",
           "Ukraine": "country", "Russia": "country", "Crimea": "country", "Donbas": "country"}
_TIME = {**{d: "weekday" for d in WEEKDAYS}, **{m: "month" for m in MONTHS}}
_ENTITIES = {**_PEOPLE, **_PLACES, **_TIME}
_ENTITY_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _ENTITIES), key=len, reverse=True)) + r")\b")
_NUMBER_RE = re.compile(r"\d+")
_POOLS = {"first": FIRST_NAMES, "last": SURNAMES, "city": CITIES, "country": COUNTRIES, "weekday": WEEKDAYS,
          "month": MONTHS}


@lru_cache(maxsize=1)
def seed_sentences() -> tuple[str, ...]:
    """Content sentences of the real seed articles (one line each, 40-400 characters)."""
    from rag.documents import iter_files, load_document

    out: list[str] = []
    for f in iter_files([SEEDS_DIR]):
        doc = load_document(f)
        for s, e in doc.sentences:
            text = " ".join(doc.text[s:e].split())
            if 40 <= len(text) <= 400 and len(text.split()) >= 6 and text not in out:
                out.append(text)
    if not out:
        raise RuntimeError(f"no usable sentences in {SEEDS_DIR}")
    return tuple(out)


def _mapping(rng: random.Random) -> dict[str, str]:
    picks = {kind: rng.sample(pool, len(pool)) for kind, pool in _POOLS.items()}
    used = {kind: 0 for kind in _POOLS}
    out = {}
    for name, kind in _ENTITIES.items():
        pool = picks[kind]
        out[name] = pool[used[kind] % len(pool)]
        used[kind] += 1
    out["KYIV"] = out["Kyiv"].upper()
    return out


def _rewrite(sentence: str, mapping: dict[str, str], rng: random.Random) -> str:
    sentence = _ENTITY_RE.sub(lambda m: mapping[m.group(1)], sentence)

    def number(m: re.Match) -> str:
        digits = m.group(0)
        first = str(rng.randint(1, 9)) if len(digits) > 1 or digits != "0" else "0"
        return first + "".join(str(rng.randint(0, 9)) for _ in digits[1:])

    return _NUMBER_RE.sub(number, sentence)


@dataclass(frozen=True)
class Article:
    name: str
    text: str


def article(i: int, seed: int = 7) -> Article:
    """Synthetic article number ``i`` (deterministic in ``(seed, i)``)."""
    rng = random.Random(f"{seed}:{i}")
    sentences = seed_sentences()
    mapping = _mapping(rng)
    who = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    title = f"{rng.choice(CITIES)}: {who} {rng.choice(VERBS)} {rng.choice(TOPICS)}"
    date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2015, 2025)}"
    picked = [_rewrite(rng.choice(sentences), mapping, rng) for _ in range(rng.randint(20, 45))]
    paragraphs, k = [], 0
    while k < len(picked):
        n = rng.randint(2, 4)
        paragraphs.append(" ".join(picked[k : k + n]))
        k += n
    text = f"{title}\n{date}\n\n" + "\n\n".join(paragraphs) + "\n"
    return Article(f"syn_{i:06d}.txt", text)


def chunks_per_article(seed: int = 7, sample: int = 40, chunk_tokens: int = 180, overlap_tokens: int = 40) -> float:
    """Average chunk count of the first ``sample`` articles under the pipeline's chunker."""
    from rag.chunking import chunk_document
    from rag.documents import parse_document

    total = 0
    for i in range(sample):
        a = article(i, seed)
        doc = parse_document(a.name, a.text, suffix=".txt", path="")
        total += len(chunk_document(doc, chunk_tokens=chunk_tokens, overlap_tokens=overlap_tokens))
    return total / sample


def n_articles_for(chunks: int, seed: int = 7) -> int:
    """How many synthetic articles give about ``chunks`` chunks (the seed articles included)."""
    seed_chunks = 31  # the five real seed articles at the default chunk size
    return max(1, math.ceil(max(chunks - seed_chunks, 1) / chunks_per_article(seed)))


def make_corpus(out: str | Path, chunks: int, seed: int = 7, with_seeds: bool = True) -> dict:
    """Write about ``chunks`` chunks' worth of articles into ``out`` (reused when already complete)."""
    out = Path(out)
    n = n_articles_for(chunks, seed)
    manifest = out / ".manifest.json"
    want = {"chunks": chunks, "seed": seed, "articles": n, "with_seeds": with_seeds}
    if manifest.exists() and json.loads(manifest.read_text()) == want:
        return want
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if with_seeds:
        for f in sorted(SEEDS_DIR.glob("*.txt")):
            shutil.copyfile(f, out / f.name)
    for i in range(n):
        a = article(i, seed)
        (out / a.name).write_text(a.text, encoding="utf-8")
    manifest.write_text(json.dumps(want))
    return want


def queries(n: int = 200, seed: int = 7) -> list[str]:
    """``n`` retrieval queries: the gold questions (no follow-ups), then keyword queries cut from rewritten
    seed sentences."""
    gold = Path(__file__).resolve().parent / "gold.jsonl"
    out: list[str] = []
    if gold.exists():
        for line in gold.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if not item.get("history"):
                    out.append(item["user_input"])
    rng = random.Random(f"{seed}:queries")
    sentences = seed_sentences()
    while len(out) < n:
        words = _rewrite(rng.choice(sentences), _mapping(rng), rng).split()
        length = rng.randint(4, 9)
        start = rng.randint(0, max(0, len(words) - length))
        out.append(" ".join(words[start : start + length]).strip(".,;:“”\"'"))
    return out[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.synth", description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    info = make_corpus(args.out, args.chunks, args.seed)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
