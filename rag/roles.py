"""Who did what to whom: the role checks of :mod:`rag.relations`, read off spaCy's dependency parse.

Each check compares a drafted sentence with the span it is verified against and names the mismatch, or returns
None:

- :func:`roles`: a name is the subject of a verb in one and its object in the other ("Northgate beat Harbour
  City" against "Harbour City beat Northgate");
- :func:`argument_order`: the subject and a named object of the same verb (or of the verb it governs, "agreed to
  buy a stake in X") come in the opposite order in the span;
- :func:`subject_swap`: two actors trade verbs ("Hamada promised ..., a condition the company demanded" against
  "The company promised ..., a commitment Hamada demanded");
- :func:`actor`: the sentence gives a verb to another actor of the span ("The town assembly gave its consent"
  where the governor gave it and the assembly voted);
- :func:`possessive`: the owner of a noun changes ("Biden's spokesman" for "Merkel's spokesman");
- :func:`subject_head`: the subject is what the span's subject is a part or attribute of ("The Russian leadership
  has become militant" for "the statements of the Russian leadership have become militant"), or another head of
  the same modifier ("The earthquake in the church collapsed" for "The bell tower of the church collapsed").
"""

from __future__ import annotations

from collections.abc import Iterator

from .lexicon import QUANTITY_NOUNS, SPEAKER_VERBS
from .text import Analysis, name_matches

__all__ = ["SUBJECT", "OBJECT", "name_of", "roles", "argument_order", "subject_swap", "actor", "possessive",
           "subject_head", "noun_subjects", "own_line", "clause_of", "active_verbs", "in_date"]

SUBJECT = ("nsubj", "nsubjpass", "csubj")
OBJECT = ("dobj", "pobj", "dative", "attr", "oprd")


def name_of(a: Analysis, i: int) -> str:
    """The whole name a token heads ("Northgate Rovers" for "Rovers")."""
    toks = a.tokens
    parts = [j for j, t in enumerate(toks) if t.head == i and t.dep in ("compound", "flat") and t.pos == "PROPN"]
    lo = min([i] + parts)
    return " ".join(t.text for t in toks[lo: i + 1])


def _same(x: str, y: str) -> bool:
    return x == y or name_matches(x, y) or name_matches(y, x)


def roles(s: Analysis, p: Analysis) -> str | None:
    """(verb lemma, name, role) triples of the sentence that the span holds with subject and object swapped."""
    def triples(a: Analysis) -> list[tuple[str, str, str]]:
        out = []
        for t in a.tokens:
            if t.pos != "PROPN" or t.dep not in SUBJECT + OBJECT:
                continue
            head = a.tokens[t.head]
            verb = head if head.pos in ("VERB", "AUX") else (a.tokens[head.head] if head.pos == "ADP" else None)
            if verb is None or verb.lemma in SPEAKER_VERBS:
                continue
            role = "subject" if t.dep in SUBJECT else "object"
            if t.dep == "nsubjpass" or (t.dep == "pobj" and head.text.lower() == "by"):
                role = "object" if t.dep == "nsubjpass" else "subject"  # passive: "was beaten by X"
            out.append((verb.lemma, name_of(a, a.tokens.index(t)), role))
        return out

    theirs = triples(p)
    for verb, name, role in triples(s):
        same = [r for v, n, r in theirs if v == verb and _same(name, n)]
        if same and role not in same:
            return f"role swap: {name} is the {role} of '{verb}' here, not in the span"
    return None


def clause_of(a: Analysis, verb: int) -> list[int]:
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


def active_verbs(a: Analysis) -> Iterator[tuple[int, str]]:
    """(verb index, subject name) for active, non-reporting verbs whose subject is a name."""
    if any(t.dep in ("nsubjpass", "agent") for t in a.tokens):
        return
    for i, t in enumerate(a.tokens):
        if t.pos != "VERB" or t.lemma in SPEAKER_VERBS:
            continue
        subj = next((j for j, u in enumerate(a.tokens) if u.head == i and u.dep == "nsubj" and u.pos == "PROPN"), None)
        if subj is not None:
            yield i, name_of(a, subj)


def in_date(a: Analysis, at: int) -> bool:
    return any(e.start <= at < e.end for e in a.labelled({"DATE", "TIME"}))


def _first_mention(name: str, a: Analysis) -> int | None:
    for i, t in enumerate(a.tokens):
        if t.pos == "PROPN" and name_matches(name, name_of(a, i)):
            return t.start
    return None


def argument_order(s: Analysis, p: Analysis) -> str | None:
    """"Sarangi agreed to buy a stake in Hoshizora" against "Hoshizora agreed to buy a stake in Sarangi": the
    subject and a named object of the same verb, or of a verb it governs as its complement ("agreed to buy"), are
    mentioned in the opposite order in the span."""
    toks = s.tokens
    for verb, subject in active_verbs(s):
        verbs = [verb] + [j for j, t in enumerate(toks) if t.head == verb and t.dep == "xcomp" and t.pos == "VERB"]
        for v in verbs:
            dobj = {k for k, w in enumerate(toks) if w.head == v and w.dep == "dobj"}
            for j in clause_of(s, v):
                u = toks[j]
                if u.pos != "PROPN" or name_matches(subject, name_of(s, j)) or in_date(s, u.start):
                    continue
                head = toks[u.head]
                if not ((u.dep == "dobj" and v == verb) or
                        (u.dep == "pobj" and head.pos == "ADP" and (head.head == v or head.head in dobj))):
                    continue  # "Secretary of State" inside the subject is not an object of the verb
                obj = name_of(s, j)
                a, b = _first_mention(subject, p), _first_mention(obj, p)
                if a is not None and b is not None and b < a:
                    return f"role swap: {subject} and {obj} swap places against the span"
    return None


def _subjects(a: Analysis) -> list[tuple[str, str, str]]:
    """(verb lemma, subject, subject's part of speech) for the active, non-reporting verbs; a name is given whole,
    a common noun by its lemma."""
    toks = a.tokens
    out = []
    for i, t in enumerate(toks):
        head = toks[t.head]
        if t.dep == "nsubj" and t.pos in ("PROPN", "NOUN") and head.pos == "VERB" and head.lemma not in SPEAKER_VERBS:
            out.append((head.lemma, name_of(a, i) if t.pos == "PROPN" else t.lemma, t.pos))
    return out


def subject_swap(s: Analysis, p: Analysis) -> str | None:
    """The subject of a verb differs, at least one of the two is a name, and each text also mentions the other's
    subject: two actors trade what they did."""
    mine, theirs = _subjects(s), _subjects(p)
    s_low, p_low = s.text.lower(), p.text.lower()
    for verb, x, x_pos in mine:
        others = [(y, y_pos) for v, y, y_pos in theirs if v == verb]
        if not others or any(_same(x, y) for y, _ in others):
            continue
        if x_pos != "PROPN" and all(y_pos != "PROPN" for _, y_pos in others):
            continue  # "the round" against "the route": common nouns say too little to call a swap
        if x.lower() in p_low and any(y.lower() in s_low for y, _ in others):
            return f"role swap: {x} is the subject of '{verb}' here, {others[0][0]} in the span"
    return None


def actor(s: Analysis, p: Analysis) -> str | None:
    """The span has a named subject for the verb and the sentence gives it to someone the span has doing
    something else: "The town assembly gave its consent" against "Hamada gave his consent ... The town assembly
    had voted"."""
    mine, theirs = _subjects(s), _subjects(p)
    s_low = s.text.lower()
    for verb, x, _ in mine:
        others = [(y, y_pos) for v, y, y_pos in theirs if v == verb]
        if not others or any(_same(x, y) for y, _ in others) or all(y_pos != "PROPN" for _, y_pos in others):
            continue
        if any(y.lower() in s_low for y, _ in others):
            continue  # both are in the sentence: subject_swap's case
        if any(v != verb and _same(x, y) for v, y, _ in theirs):
            return f"wrong actor: {x} does '{verb}' here, {others[0][0]} in the span"
    return None


def possessive(s: Analysis, p: Analysis) -> str | None:
    """"Biden's spokesman Steffen Seibert" against "Merkel's spokesman Steffen Seibert": the span gives the same
    noun another named owner, and never this one."""
    def owned(a: Analysis) -> list[tuple[str, str]]:
        return [(name_of(a, i), a.tokens[t.head].lemma) for i, t in enumerate(a.tokens)
                if t.dep == "poss" and t.pos == "PROPN"]

    theirs = owned(p)
    for owner, noun in owned(s):
        same = [o for o, n in theirs if n == noun]
        if same and not any(_same(owner, o) for o in same):
            return f"owner: {owner}'s {noun} is {same[0]}'s in the span"
    return None


def noun_subjects(a: Analysis) -> list[tuple[str, int]]:
    """(verb lemma, subject index) for noun subjects of content verbs other than reporting ones."""
    toks = a.tokens
    return [(toks[t.head].lemma, i) for i, t in enumerate(toks)
            if t.dep in SUBJECT and t.pos in ("NOUN", "PROPN") and toks[t.head].pos in ("VERB", "AUX")
            and toks[t.head].lemma not in SPEAKER_VERBS | {"be", "have"}]


def _prep_objects(a: Analysis, i: int) -> set[str]:
    """Lemmas of the nouns hanging by a preposition under token ``i`` ("church" for "the tower of the church")."""
    toks = a.tokens
    preps = {j for j, t in enumerate(toks) if t.head == i and t.dep == "prep" and j != i}
    return {t.lemma for t in toks if t.dep == "pobj" and t.head in preps}


def own_line(s: Analysis, p: Analysis) -> bool:
    """The sentence is the span, or one of its lines, as the span writes it: it cannot misstate it."""
    mine = " ".join(s.text.split()).rstrip(".").lower()
    return any(mine == " ".join(x.split()).rstrip(".").lower() for x in [p.text, *p.text.splitlines()])


def subject_head(s: Analysis, p: Analysis) -> str | None:
    """For a verb both texts have: the sentence's subject is a noun the span's subject is "of" (the head that said
    what it is of is gone), or shares the span subject's modifier under another head. A quantity head ("the price
    of oil rose" → "oil rose") keeps the relation."""
    if own_line(s, p):
        return None
    theirs = noun_subjects(p)
    for verb, i in noun_subjects(s):
        x = s.tokens[i].lemma
        for v, j in theirs:
            y = p.tokens[j].lemma
            if v != verb or x == y or y in QUANTITY_NOUNS:
                continue
            under = _prep_objects(p, j)
            if x in under:
                return f"subject: the {x} does '{verb}' here, the span's {y} of the {x}"
            shared = _prep_objects(s, i) & under
            if shared and x not in p.text.lower():
                return f"subject: the {x} of the {sorted(shared)[0]} does '{verb}' here, the span's {y}"
    return None
