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

from .lexicon import DANGLING, NEGATIONS, NUMBER_WORDS, SPEAKER_VERBS, fold
from .text import Analysis, analyse, name_matches

__all__ = ["conflict", "counted"]

_SUBJECT = ("nsubj", "nsubjpass", "csubj")
_OBJECT = ("dobj", "pobj", "dative", "attr", "oprd")


def conflict(sentence: str, span: str) -> str | None:
    s, p = analyse(sentence), analyse(span)
    return (_fragment(s, span) or _anchor_order(s, p) or _negation(s, p) or _roles(s, p) or _argument_order(s, p)
            or _numbers(s, p) or _binding(s, p) or _speaker(s, p))


def _fragment(s: Analysis, span: str) -> str | None:
    """A sentence that stops mid-way ("Net income for the quarter ended Sept.", "... Mission to") or has no verb,
    unless it is the span's own verbless line ("Revenue: $4.9bn")."""
    words = [t for t in s.tokens if t.pos not in ("PUNCT", "SPACE")]
    if not words:
        return "fragment: no words"
    if s.text.rstrip().endswith(("...", "…")) or words[-1].text.lower() in DANGLING or (
            words[-1].text.endswith(".") and len(words[-1].text) <= 5):
        return "fragment: the sentence stops mid-way"
    mine = " ".join(s.text.split()).rstrip(".")
    if any(mine == " ".join(line.split()).rstrip(".") for line in [span] + span.splitlines()):
        return None  # the span's own line, verbless or not ("Revenue: $4.9bn")
    if not any(t.pos in ("VERB", "AUX") for t in words):
        return "fragment: no verb"
    return None


def _anchors(a: Analysis) -> list[str]:
    """The numbers in the order the text gives them (years aside: a date may be written either way round)."""
    out = []
    for t in a.tokens:
        low = t.text.lower().replace(",", "")
        if t.pos == "NUM" and (re.search(r"\d", low) or low in NUMBER_WORDS) and not re.fullmatch(r"(?:19|20)\d\d", low):
            out.append(low)
    return out


def _anchor_order(s: Analysis, p: Analysis) -> str | None:
    """The sentence's numbers must come in the span's order: "to 38 cents from 42" against "to 42 cents from 38",
    "four in favour and nineteen against" against the reverse. A passive sentence may reverse them, so it is not
    checked."""
    if any(t.dep in ("nsubjpass", "agent") for t in s.tokens):
        return None
    theirs = _anchors(p)
    mine = [x for x in dict.fromkeys(_anchors(s)) if x in theirs]
    if len(mine) < 2:
        return None
    positions = [[i for i, y in enumerate(theirs) if y == x] for x in mine]
    at = -1
    for options in positions:  # greedy: the earliest occurrence after the previous anchor
        later = [i for i in options if i > at]
        if not later:
            return f"order: {', '.join(mine)} come in another order in the span"
        at = later[0]
    return None


def _negation(s: Analysis, p: Analysis) -> str | None:
    """A denial added or dropped: the sentence negates a verb the span states plainly, or the reverse ("does
    change" against "does not change", "plans to restart" against "has no plans to restart")."""
    def negated_lemmas(a: Analysis) -> tuple[set[str], set[str]]:
        neg, plain = set(), set()
        for i, t in enumerate(a.tokens):
            if t.pos not in ("VERB", "AUX", "NOUN", "ADJ") or t.lemma in ("be", "have", "do"):
                continue
            kids = [u for u in a.tokens if u.head == i and fold(u.text) in NEGATIONS]
            (neg if kids else plain).add(t.lemma)
        return neg, plain

    s_neg, s_plain = negated_lemmas(s)
    p_neg, p_plain = negated_lemmas(p)
    flipped = (s_neg & p_plain) - p_neg or (s_plain & p_neg) - p_plain
    return f"negation: '{sorted(flipped)[0]}' is denied in one and stated in the other" if flipped else None


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
            if verb is None or verb.lemma in SPEAKER_VERBS:
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


def counted(a: Analysis, words: bool = False) -> dict[str, set[str]]:
    """number → lemmas of the nouns it counts ("900" → {"loan"}), following compound/quantmod chains; with
    ``words``, spelled-out numbers too ("four people")."""
    out: dict[str, set[str]] = {}
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.pos != "NUM" or not (words or re.search(r"\d", t.text)):
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
    theirs = counted(p)
    mine = counted(s)
    said = {n for nouns in mine.values() for n in nouns}
    for number, nouns in mine.items():
        # a swap, not a paraphrase: the span counts this number as another noun the sentence also counts
        if number in theirs and not nouns & theirs[number] and theirs[number] & said:
            return f"number {number} counts {sorted(nouns)[0]} here, {sorted(theirs[number])[0]} in the span"
    return None


def _speakers(a: Analysis) -> list[str]:
    out = []
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.lemma not in SPEAKER_VERBS:
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



def _clause_of(a: Analysis, verb: int) -> list[int]:
    """Token indices whose head chain reaches ``verb`` without passing through another verb."""
    out = []
    for i in range(len(a.tokens)):
        j, steps = i, 0
        while j != verb and steps < 12:
            if j != i and a.tokens[j].pos in ("VERB", "AUX"):
                break
            if a.tokens[j].head == j:
                break
            j, steps = a.tokens[j].head, steps + 1
        if j == verb:
            out.append(i)
    return out


def _active_verbs(a: Analysis):
    """(verb index, subject name) for active, non-reporting verbs whose subject is a name."""
    if any(t.dep in ("nsubjpass", "agent") for t in a.tokens):
        return
    for i, t in enumerate(a.tokens):
        if t.pos != "VERB" or t.lemma in SPEAKER_VERBS:
            continue
        subj = next((j for j, u in enumerate(a.tokens) if u.head == i and u.dep == "nsubj" and u.pos == "PROPN"), None)
        if subj is not None:
            yield i, _name_of(a, subj)


def _in_date(a: Analysis, at: int) -> bool:
    return any(e.start <= at < e.end for e in a.labelled({"DATE", "TIME"}))


def _first_mention(name: str, a: Analysis) -> int | None:
    for i, t in enumerate(a.tokens):
        if t.pos == "PROPN" and name_matches(name, _name_of(a, i)):
            return t.start
    return None


def _argument_order(s: Analysis, p: Analysis) -> str | None:
    """"Sarangi agreed to buy a stake in Hoshizora" against "Hoshizora agreed to buy a stake in Sarangi": the
    subject and a named object of the same verb are mentioned in the opposite order in the span."""
    for verb, subject in _active_verbs(s):
        for j in _clause_of(s, verb):
            u = s.tokens[j]
            if u.pos != "PROPN" or name_matches(subject, _name_of(s, j)) or _in_date(s, u.start):
                continue
            head = s.tokens[u.head]
            dobj = {k for k, w in enumerate(s.tokens) if w.head == verb and w.dep == "dobj"}
            if not (u.dep == "dobj" or (u.dep == "pobj" and head.pos == "ADP" and (head.head == verb or head.head in dobj))):
                continue  # "Secretary of State" inside the subject is not an object of the verb
            obj = _name_of(s, j)
            a, b = _first_mention(subject, p), _first_mention(obj, p)
            if a is not None and b is not None and b < a:
                return f"role swap: {subject} and {obj} swap places against the span"
    return None


def _binding(s: Analysis, p: Analysis) -> str | None:
    """"The Civic Alliance holds 26 seats" against "The People's Congress holds 26 seats, while the Civic
    Alliance holds 15": in the span, the name nearest before the number is another one."""
    for verb, subject in _active_verbs(s):
        numbers = [s.tokens[j].text.replace(",", "") for j in _clause_of(s, verb)
                   if s.tokens[j].pos == "NUM" and re.search(r"\d", s.tokens[j].text)]
        for n in numbers:
            nearest = []
            for i, t in enumerate(p.tokens):
                if t.text.replace(",", "") != n:
                    continue
                before = [k for k in range(i) if p.tokens[k].pos == "PROPN" and p.tokens[k].dep == "nsubj"]
                if before:
                    nearest.append(_name_of(p, before[-1]))
            if nearest and not any(name_matches(subject, x) or name_matches(x, subject) for x in nearest):
                return f"number {n} belongs to {nearest[0]} in the span, not {subject}"
    return None
