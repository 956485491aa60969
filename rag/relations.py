"""Whether a sentence states the same relations as the span it is checked against, not just the same words.

The lexical check in :mod:`rag.citations` accepts a sentence whose words are all in the span. Such a sentence can
still misstate the span; each way is read off spaCy's dependency parse of both texts:

- **fragment**: it stops mid-way ("... Nomsa Kh", "... on Second St.") or has no verb;
- **negation**: a denial added or dropped ("have signed" against "neither Russia nor the US has signed"; "passed
  with the majority" against "two votes short of the majority"; "approved" against "failed to approve");
- **roles** (:mod:`rag.roles`): who did what to whom: subject and object swapped, two actors trading verbs, a verb
  given to another actor, a noun given another owner;
- **numbers** (:mod:`rag.number_relations`): which number belongs to what: another noun, another verb, another
  currency, a part dropped ("11 counts" for "nine of 11"), a bounded date stated as a point, a number made to
  count one more noun, a list item's own number dropped;
- **modality**: what could, would or is planned to happen stated as done ("agreed to a sale for $2bn" against
  "exploring a sale, which could fetch $2bn");
- **recombined**: two words the sentence joins as subject/object/measure of each other ("the pipeline in Ukraine",
  "restarted two months after the assembly voted") come from different sentences of the span, and the span does
  not join them through a pronoun or "the ..." ("It employs 500 people" may become "Acme employs 500 people");
- **speaker**: who said or believes it; a "we"/"I" of a quote given to someone outside its speaker's words.
  "Scholz said the talks were useful" against "..., Macron told reporters":
  the sentence's speaker (subject of a reporting verb, or "according to X") is not a speaker in the span.

``conflict(sentence, span)`` names the first mismatch, or returns None.
"""

from __future__ import annotations

import re

from . import number_relations as numbers
from . import roles
from .lexicon import DANGLING, FAILURE_VERBS, HEDGE_VERBS, MODALS, NEGATIONS, SHORTFALL_WORDS, SPEAKER_VERBS, fold
from .number_relations import counted
from .roles import SUBJECT, name_of
from .sentences import split_sentences
from .text import Analysis, analyse, name_matches

__all__ = ["conflict", "counted"]

# verbs of belief: "X believes ..." puts the claim in X's mouth as much as "X said ..."
_BELIEF_VERBS = frozenset({"believe", "think"})
_CHECKS = (numbers.anchor_order, roles.roles, roles.argument_order, roles.subject_swap, roles.actor,
           roles.possessive, numbers.counted_swap, numbers.reused, numbers.dropped_count,
           numbers.binding, numbers.number_verb, numbers.amount_of, numbers.currency,
           numbers.partitive, numbers.record, numbers.date_bound, roles.subject_head)


def conflict(sentence: str, span: str) -> str | None:
    s, p = analyse(sentence), analyse(span)
    found = _fragment(s, span) or _negation(s, p) or _modality(s, p)
    for check in _CHECKS:
        found = found or check(s, p)
    return found or _recombined(s, p) or _speaker(s, p) or _first_person(s, p)


def _fragment(s: Analysis, span: str) -> str | None:
    """A sentence that stops mid-way ("Net income for the quarter ended Sept.", "... Mission to") or has no verb,
    unless it is the span's own verbless line ("Revenue: $4.9bn")."""
    words = [t for t in s.tokens if t.pos not in ("PUNCT", "SPACE")]
    if not words:
        return "fragment: no words"
    if s.text.rstrip().endswith(("...", "…")) or words[-1].text.lower() in DANGLING or (
            words[-1].text.endswith(".") and len(words[-1].text) <= 5):
        return "fragment: the sentence stops mid-way"
    if _cut_word(s.text, span):
        return "fragment: the sentence stops inside a word"
    mine = " ".join(s.text.split()).rstrip(".")
    if any(mine == " ".join(line.split()).rstrip(".") for line in [span] + span.splitlines()):
        return None  # the span's own line, verbless or not ("Revenue: $4.9bn")
    if not any(t.pos in ("VERB", "AUX") for t in words):
        return "fragment: no verb"
    return None


def _cut_word(sentence: str, span: str) -> bool:
    """"... the long-serving councillor Nomsa Kh" against "... Nomsa Khumalo.": no closing punctuation, and the last
    word is only the start of a word of the span."""
    body = sentence.rstrip()
    if re.search(r"[.!?\"”’)\]]$", body):
        return False
    last = re.findall(r"[^\W\d_]+", body)
    if not last:
        return False
    w = re.escape(last[-1].lower())
    low = span.lower()
    return not re.search(rf"\b{w}\b", low) and re.search(rf"\b{w}\w", low) is not None


def _negation(s: Analysis, p: Analysis) -> str | None:
    """A denial added or dropped: the sentence negates a verb the span states plainly, or the reverse ("does
    change" against "does not change", "plans to restart" against "has no plans to restart")."""
    def negated_lemmas(a: Analysis) -> tuple[set[str], set[str]]:
        toks = a.tokens
        neg, plain, via_be = set(), set(), set()
        for i, t in enumerate(toks):
            if t.pos not in ("VERB", "AUX", "NOUN", "ADJ"):
                continue
            denied = any(u.head == i and fold(u.text) in NEGATIONS for u in toks) or any(
                u.head == i and u.dep in SUBJECT and _denied_subject(a, j) for j, u in enumerate(toks)) or _fallen_short(a, i)
            if t.lemma in ("be", "have", "do"):
                if denied:  # "are not ready": the complement is what is denied
                    complements = {u.lemma for u in toks if u.head == i and u.dep in ("acomp", "attr", "xcomp")}
                    neg.update(complements)
                    via_be.update(complements)
                continue
            (neg if denied else plain).add(t.lemma)
        return neg, plain - via_be

    s_neg, s_plain = negated_lemmas(s)
    p_neg, p_plain = negated_lemmas(p)
    flipped = (s_neg & p_plain) - p_neg or (s_plain & p_neg) - p_plain
    return f"negation: '{sorted(flipped)[0]}' is denied in one and stated in the other" if flipped else None


def _fallen_short(a: Analysis, i: int) -> bool:
    """Token ``i`` is what a shortfall denies: the object of "shy of" / "short of" ("four votes shy of the
    majority") or the verb after "failed to" ("failed to override")."""
    toks = a.tokens
    t = toks[i]
    if t.dep == "xcomp" and t.head != i and toks[t.head].lemma in FAILURE_VERBS:
        return True
    def object_of_shortfall(j: int) -> bool:
        u = toks[j]
        return u.dep in ("pobj", "pcomp") and toks[u.head].lemma == "of" and toks[u.head].head != u.head and \
            toks[toks[u.head].head].lemma in SHORTFALL_WORDS

    if object_of_shortfall(i):  # "shy of the majority"; but in "short of overriding the veto" the verb is denied
        return not any(toks[j].pos == "VERB" and toks[j].dep in ("amod", "compound") for j in _subtree(a, i) - {i})
    if t.pos != "VERB":
        return False
    for _ in range(4):  # "short of overriding X's veto" parses "overriding" as a modifier inside the object
        if t.dep not in ("amod", "compound", "poss") or t.head == i:
            return False
        i, t = t.head, toks[t.head]
        if object_of_shortfall(i):
            return True
    return False


def _denied_subject(a: Analysis, j: int) -> bool:
    """"Neither Russia nor the US (has signed)", "No countries (have committed)": a subject that denies its verb."""
    return fold(a.tokens[j].text) in ("nobody", "none") or any(
        u.head == j and u.dep in ("preconj", "det") and fold(u.text) in ("neither", "no") for u in a.tokens)


def _speakers(a: Analysis) -> list[str]:
    out = []
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.lemma not in SPEAKER_VERBS | _BELIEF_VERBS:
            continue
        for j, u in enumerate(toks):
            if u.head == i and u.dep in SUBJECT and u.pos in ("PROPN", "NOUN"):
                out.append(name_of(a, j) if u.pos == "PROPN" else u.text)
            elif u.head == i and u.dep in SUBJECT:  # "Presiding Judge Kenji Morimoto said", parsed as a verb
                out += [name_of(a, k) for k, w in enumerate(toks) if w.head == j and k != j and w.pos == "PROPN"]
            if t.lemma == "accord" and u.head == i and u.dep == "prep":  # "according to X"
                out += [name_of(a, k) for k, w in enumerate(toks) if w.head == j and w.dep == "pobj"]
    return out


def _speaker(s: Analysis, p: Analysis) -> str | None:
    theirs = _speakers(p)
    for who in _speakers(s):
        if theirs and not who[:1].isupper() and _only_quoted(who, p.text) and who not in theirs:
            return f"speaker: '{who}' is only inside the quote in the span, not who speaks"
        if not who[:1].isupper():
            continue  # "officials said": not a name to check
        if theirs and not any(name_matches(who, t) or name_matches(t, who) for t in theirs):
            return f"speaker: {who} is not who speaks in the span"
    return None


_QUOTED = re.compile(r"[\"“]([^\"“”]*)[\"”]")


def _only_quoted(word: str, text: str) -> bool:
    """Whether ``word`` occurs in ``text`` and only inside quotation marks: '"The court has ignored the snow,"
    said the residents' lawyer' has the court as what is said, never as who says it."""
    quoted = [m.span(1) for m in _QUOTED.finditer(text)]
    hits = [m.start() for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)]
    return bool(hits) and all(any(a <= h < b for a, b in quoted) for h in hits)





def _governing_verb(a: Analysis, i: int) -> int | None:
    toks = a.tokens
    j, steps = i, 0
    while toks[j].pos not in ("VERB", "AUX") and toks[j].head != j and steps < 8:
        j, steps = toks[j].head, steps + 1
    return j if toks[j].pos in ("VERB", "AUX") else None


def _hedged(a: Analysis, v: int | None) -> bool:
    """The verb, or the verb it complements ("plans to cut", "a sale, which could fetch"), is a possibility. A
    "would" reported after "said" is a past "will", not a hedge."""
    toks = a.tokens
    for _ in range(4):
        if v is None:
            return False
        head = toks[toks[v].head]
        reported = toks[v].dep == "ccomp" and head.lemma in SPEAKER_VERBS
        modal = [u.text.lower() for u in toks if u.head == v and u.dep == "aux" and u.text.lower() in MODALS]
        if toks[v].lemma in HEDGE_VERBS or any(not (reported and m == "would") for m in modal):
            return True
        if toks[v].dep not in ("xcomp", "relcl", "acl") or toks[v].head == v:
            return False
        v = toks[v].head
        if toks[v].pos not in ("VERB", "AUX"):
            v = _governing_verb(a, v) if toks[v].head != v else None
    return False


def _modality(s: Analysis, p: Analysis) -> str | None:
    """A number or verb that the span has only as a possibility, stated plainly in the sentence."""
    def numbers(a: Analysis) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, t in enumerate(a.tokens):
            if t.pos == "NUM" and re.search(r"\d", t.text):
                out.setdefault(t.text.replace(",", ""), []).append(i)
        return out

    theirs = numbers(p)
    for n, mine in numbers(s).items():
        if n in theirs and all(_hedged(p, _governing_verb(p, j)) for j in theirs[n]) and not any(
                _hedged(s, _governing_verb(s, i)) for i in mine):
            return f"modality: {n} is what may happen in the span, stated as fact here"
    verbs = {t.lemma: i for i, t in enumerate(s.tokens) if t.pos == "VERB"}
    span_verbs = [(i, t.lemma) for i, t in enumerate(p.tokens) if t.pos == "VERB" and t.lemma in verbs]
    for lemma in {lemma for _, lemma in span_verbs}:
        if all(_hedged(p, i) for i, w in span_verbs if w == lemma) and not _hedged(s, verbs[lemma]):
            return f"modality: '{lemma}' may happen in the span, it happens here"
    return None


_JOINS = ("nsubj", "nsubjpass", "dobj", "npadvmod", "nummod", "attr", "acomp", "agent")
_CONTENT = ("NOUN", "PROPN", "VERB", "ADJ", "NUM")
_POINTERS = frozenset("the this that these those".split())
_FIRST_PERSON = frozenset("i we me us".split())


def _resolved(p: Analysis, head_lemma: str, dep: str) -> bool:
    """The span gives ``head_lemma`` a pronoun or a "the ..." noun in role ``dep``: the sentence may name who that
    is (whether a quote's "we" may be named so is :func:`_first_person`'s question)."""
    toks = p.tokens
    for k, u in enumerate(toks):
        if u.lemma.lower() != head_lemma:
            continue
        for j, w in enumerate(toks):
            if j == k or w.head != k or w.dep != dep:
                continue
            if w.pos == "PRON" and w.text.lower() != "you":
                return True
            if w.pos == "NOUN" and any(d.head == j and d.dep == "det" and d.text.lower() in _POINTERS for d in toks):
                return True
    return False


def _recombined(s: Analysis, p: Analysis) -> str | None:
    bounds = split_sentences(p.text)
    if len(bounds) < 2 or roles.own_line(s, p):
        return None
    per: list[set[str]] = [set() for _ in bounds]
    for t in p.tokens:
        for k, (a, b) in enumerate(bounds):
            if a <= t.start < b:
                per[k].add(t.lemma.lower())
    anywhere = set().union(*per)
    toks = s.tokens

    def apart(x: str, y: str) -> bool:
        return x != y and x in anywhere and y in anywhere and not any(x in ws and y in ws for ws in per)

    for i, t in enumerate(toks):
        if t.head == i:
            continue
        head = toks[t.head]
        if t.dep == "pobj" and head.pos == "ADP" and head.head != t.head:  # "the pipeline in Ukraine"
            noun = toks[head.head]
            if t.pos in _CONTENT and noun.pos in ("NOUN", "PROPN") and apart(t.lemma.lower(), noun.lemma.lower()):
                return f"recombined: '{noun.text}' and '{t.text}' are in different sentences of the span"
            continue
        if t.dep not in _JOINS or t.pos not in _CONTENT or head.pos not in _CONTENT:
            continue
        if {head.lemma, t.lemma} & {"be", "have", "do"} or head.lemma in SPEAKER_VERBS:
            continue
        x, y = t.lemma.lower(), head.lemma.lower()
        if apart(x, y) and not _resolved(p, y, t.dep):
            return f"recombined: '{head.text}' and '{t.text}' are in different sentences of the span"
    return None


def _first_person(s: Analysis, p: Analysis) -> str | None:
    """'"We will appeal," said Emiko Taniguchi, the residents' lawyer' makes the lawyer's side the one appealing: a
    sentence may give the verb to the speaker or anyone in the speaker's description, not to another noun."""
    toks = p.tokens
    ours = {toks[t.head].lemma for t in toks if t.dep in SUBJECT and t.pos == "PRON"
            and t.text.lower() in _FIRST_PERSON and toks[t.head].pos in ("VERB", "AUX")}
    if not ours:
        return None
    described: set[str] = set()
    for i, t in enumerate(toks):
        if t.lemma not in SPEAKER_VERBS:
            continue
        for j, u in enumerate(toks):
            if u.head == i and u.dep in SUBJECT and u.text.lower() not in _FIRST_PERSON:
                described |= {toks[k].lemma.lower() for k in _subtree(p, j)}
    for verb, i in roles.noun_subjects(s):
        if verb in ours and s.tokens[i].lemma.lower() not in described:
            return f"speaker: the {s.tokens[i].text} does '{verb}' here, the quote's 'we' in the span"
    return None


def _subtree(a: Analysis, root: int) -> set[int]:
    out = {root}
    grown = True
    while grown:
        grown = False
        for k, w in enumerate(a.tokens):
            if k not in out and w.head in out and w.head != k:
                out.add(k)
                grown = True
    return out
