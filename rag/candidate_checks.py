"""Checks of one candidate sentence against the question's analysis: its lemmas, whether it states the asked verb
(with its particle), whether it holds the verb in another relation (another subject, the question's subject as
the object), whether it keeps the asked person anonymous, whether it is two sentences. Used by rag.evidence."""

from __future__ import annotations

import re

from .answer_kinds import ANONYMOUS, NOT_DISCLOSED
from .citations import Span
from .question import QuestionInfo, term_matches
from .text import Analysis, analyse, fold, name_matches, subtree_text

__all__ = ["lemma_set", "states_predicate", "role_swap", "anonymous_role", "withholds_verb", "is_pair"]


def lemma_set(a: Analysis) -> set[str]:
    out = set()
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.pos in ("PUNCT", "SPACE"):
            continue
        if i >= 2 and toks[i - 1].text == "-" and toks[i - 2].pos == "NUM":
            continue  # "a 14-match run" is a run, not a match
        out.add(t.lemma)
        out.add(fold(t.text))
    return out


def states_predicate(info: QuestionInfo, a: Analysis, lemmas: set[str]) -> bool:
    """The question's main verb is in the sentence, with its particle when it has one ("sent *off*" is not "send the
    ball into the net")."""
    if not term_matches(info.predicate, lemmas):
        return False
    if not info.particle:
        return True
    toks = a.tokens
    return any(term_matches(info.predicate, {t.lemma}) and any(u.text.lower() == info.particle for u in toks[i + 1:i + 4])
               for i, t in enumerate(toks))


def role_swap(info: QuestionInfo, a: Analysis) -> bool:
    """The sentence has the question's verb but another relation: "Who did Northgate beat?" against "Harbour City
    beat Northgate" (the question's subject is the object here), or "Why was Marlowe sent off?" against "Brandt was
    sent off" (another named subject, and none of the verb's uses has the question's)."""
    if not info.subject or not info.predicate:
        return False
    toks = a.tokens
    other_subject = own_subject = False
    for i, t in enumerate(toks):
        if t.pos == "VERB" and term_matches(info.predicate, {t.lemma}):
            for j, u in enumerate(toks):
                if u.head != i:
                    continue
                if u.dep in ("dobj", "pobj") and name_matches(info.subject, u.text, label="PERSON"):
                    return True
                if u.dep in ("nsubj", "nsubjpass") and u.pos == "PROPN":
                    phrase = subtree_text(a, j)  # "the Ogun State House of Assembly", not "House"
                    if name_matches(info.subject, phrase, label="PERSON"):
                        own_subject = True
                    else:
                        other_subject = True
    return other_subject and not own_subject


def anonymous_role(info: QuestionInfo, text: str) -> bool:
    """The person a who-question asks for by role is the one the sentence keeps anonymous: a relation word of the
    question stands just before "who asked not to be named" / "speaking on condition of anonymity"."""
    for m in ANONYMOUS.finditer(text):
        before = fold(text[max(0, m.start() - 60):m.start()])
        if any(re.search(rf"\b{re.escape(r)}s?\b", before) for r in info.relation if not r.isdigit()):
            return True
    return False


def withholds_verb(info: QuestionInfo, text: str) -> bool:
    """The sentence says the asked verb's detail was withheld: "It declined to say whether it had *paid* the
    attackers" for "Did Quillpay pay the hackers?". The articles then say the answer is not known, whatever value
    another sentence holds ("a payments app", "5%")."""
    m = NOT_DISCLOSED.search(text)
    return bool(m and info.predicate and term_matches(info.predicate, lemma_set(analyse(text[m.start():]))))


def is_pair(sp: Span) -> bool:
    return bool(re.search(r"[.!?][\"”’)]?\s+[A-Z“\"]", sp.text.strip()[:-1]))
