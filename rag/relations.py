"""Whether a sentence states the same relations as the span it is checked against, not just the same words.

The lexical check in :mod:`rag.citations` accepts a sentence whose words are all in the span. Three ways such a
sentence can still misstate the span, each read off spaCy's dependency parse of both texts:

- **roles**: who did what to whom. "Northgate beat Harbour City" against "Harbour City beat Northgate": a name is
  the subject of a verb in the sentence and the object of the same verb in the span (or the reverse);
- **numbers**: which number belongs to what. "the $900 million loan will cover the remaining 800 million shares"
  against "...800 million shares ... $900 million loan": a number counts one noun in the sentence and another in
  the span;
- **speaker**: who said it. "Scholz said the talks were useful" against "..., Macron told reporters": the sentence's
  speaker (subject of a reporting verb, or "according to X") is not a speaker in the span.

``conflict(sentence, span)`` names the first mismatch, or returns None.
"""

from __future__ import annotations

import re

from .text import Analysis, analyse, name_matches

__all__ = ["conflict"]

_SUBJECT = ("nsubj", "nsubjpass", "csubj")
_OBJECT = ("dobj", "pobj", "dative", "attr", "oprd")
_REPORTING = frozenset("say tell add announce state warn claim argue insist describe confirm deny note write "
                       "accord".split())


def conflict(sentence: str, span: str) -> str | None:
    s, p = analyse(sentence), analyse(span)
    return _roles(s, p) or _numbers(s, p) or _speaker(s, p)


def _name_of(a: Analysis, i: int) -> str:
    """The whole name a token heads ("Northgate Rovers" for "Rovers")."""
    toks = a.tokens
    parts = [j for j, t in enumerate(toks) if t.head == i and t.dep in ("compound", "flat") and t.pos == "PROPN"]
    lo = min([i] + parts)
    return " ".join(t.text for t in toks[lo: i + 1])


def _roles(s: Analysis, p: Analysis) -> str | None:
    """(verb lemma, name, role) triples of the sentence that the span holds with subject and object swapped."""
    def triples(a: Analysis) -> list[tuple[str, str, str]]:
        out = []
        for t in a.tokens:
            if t.pos != "PROPN" or t.dep not in _SUBJECT + _OBJECT:
                continue
            head = a.tokens[t.head]
            verb = head if head.pos in ("VERB", "AUX") else (a.tokens[head.head] if head.pos == "ADP" else None)
            if verb is None or verb.lemma in _REPORTING:
                continue
            role = "subject" if t.dep in _SUBJECT else "object"
            if t.dep == "nsubjpass" or (t.dep == "pobj" and head.text.lower() == "by"):
                role = "object" if t.dep == "nsubjpass" else "subject"  # passive: "was beaten by X"
            out.append((verb.lemma, _name_of(a, a.tokens.index(t)), role))
        return out

    theirs = triples(p)
    for verb, name, role in triples(s):
        same = [r for v, n, r in theirs if v == verb and (name_matches(name, n) or name_matches(n, name))]
        if same and role not in same:
            return f"role swap: {name} is the {role} of '{verb}' here, not in the span"
    return None


def _counted(a: Analysis) -> dict[str, set[str]]:
    """number → lemmas of the nouns it counts ("900" → {"loan"}), following compound/quantmod chains."""
    out: dict[str, set[str]] = {}
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.pos != "NUM" or not re.search(r"\d", t.text):
            continue
        j, seen = i, 0
        while toks[j].dep in ("compound", "quantmod", "nummod", "nmod") and toks[j].head != j and seen < 4:
            j, seen = toks[j].head, seen + 1
            if toks[j].pos in ("NOUN", "PROPN"):
                break
        if toks[j].pos in ("NOUN", "PROPN") and j != i:
            out.setdefault(t.text.replace(",", ""), set()).add(toks[j].lemma)
    return out


def _numbers(s: Analysis, p: Analysis) -> str | None:
    theirs = _counted(p)
    for number, nouns in _counted(s).items():
        if number in theirs and not nouns & theirs[number]:
            return f"number {number} counts {sorted(nouns)[0]} here, {sorted(theirs[number])[0]} in the span"
    return None


def _speakers(a: Analysis) -> list[str]:
    out = []
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.lemma not in _REPORTING:
            continue
        for j, u in enumerate(toks):
            if u.head == i and u.dep in _SUBJECT and u.pos in ("PROPN", "NOUN"):
                out.append(_name_of(a, j) if u.pos == "PROPN" else u.text)
            if t.lemma == "accord" and u.head == i and u.dep == "prep":  # "according to X"
                out += [_name_of(a, k) for k, w in enumerate(toks) if w.head == j and w.dep == "pobj"]
    return out


def _speaker(s: Analysis, p: Analysis) -> str | None:
    theirs = _speakers(p)
    for who in _speakers(s):
        if not who[:1].isupper():
            continue  # "officials said": not a name to check
        if theirs and not any(name_matches(who, t) or name_matches(t, who) for t in theirs):
            return f"speaker: {who} is not who speaks in the span"
    return None

