"""Checks of one candidate sentence against the question's analysis: its lemmas, whether it states the asked verb
(with its particle), whether it holds the verb in another relation (another subject, the question's subject as
the object), whether it keeps the asked person anonymous, whether its number counts the asked noun, whether it is
a "label: value" line whose label is what the question asks, whether it is two sentences. Used by rag.evidence."""

from __future__ import annotations

import re

from .answer_kinds import ANONYMOUS, NAME_WITHHELD, NOT_DISCLOSED, UNNAMED_SOURCE
from .citations import Span
from .lexicon import REPORTING_VERBS
from .line_shapes import is_label_value
from .question import QuestionInfo, term_matches
from .relations import counted
from .text import Analysis, analyse, fold, name_matches, subtree_text

__all__ = ["lemma_set", "states_predicate", "role_swap", "anonymous_role", "withholds_verb", "is_pair", "is_withheld",
           "counts_focus", "label_asked",
           "paraphrased_verbs", "VERB_PARAPHRASE"]


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


# fitted on news a+b (evals/fit.py, /work/dev/vsim.py): 0.65-0.7 answer "chosen" for "pick", "begun" for
# "start", "keep" for "stay" (a+b FA 0.146 -> 0.131, held-out c 0.145 -> 0.130, abstentions and seeds unchanged);
# 0.75 loses "keep"/"stay". Antonyms can score this high too ("buy"/"sell" 0.76), so it only lifts the verb
# requirement of untyped questions, whose answer still needs the names and relation words
VERB_PARAPHRASE = 0.7


def paraphrased_verbs(info: QuestionInfo, analyses: list[Analysis], embed, floor: float = VERB_PARAPHRASE) -> set[str]:
    """The verb lemmas of the candidates that say the question's main verb in other words ("chosen" for "pick",
    "begun" for "start"), by the embedding cosine of the two lemmas. Not for a verb with a particle: "sent off"
    means what "send" alone does not."""
    if not info.predicate or info.particle:
        return set()
    verbs = sorted({t.lemma.lower() for a in analyses for t in a.tokens if t.pos == "VERB" and t.lemma.isalpha()}
                   - {info.predicate})
    if not verbs:
        return set()
    vectors = embed([info.predicate] + verbs)
    return {v for v, sim in zip(verbs, vectors[1:] @ vectors[0]) if sim >= floor}


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


# verbs whose subject is the source of a piece of news: "Who revealed / disclosed / told reporters ...?"
_SOURCE_VERBS = REPORTING_VERBS | {"reveal", "disclose", "leak"}
_UNNAMED_ACCORDING = re.compile(r"\baccording to (?:a|an|one|two|three|several|people|sources)\b", re.IGNORECASE)


def is_withheld(info: QuestionInfo, a: Analysis, text: str, value: bool, *, typed: bool) -> bool:
    """The sentence says the asked thing was not disclosed, or gives it from a source it does not name."""
    if NOT_DISCLOSED.search(text) and (not typed or not value):
        return True
    if info.wants in ("person", "entity") and not value and ANONYMOUS.search(text):
        return True
    if info.wants == "person" and not a.labelled({"PERSON"}) and UNNAMED_SOURCE.search(text):
        return True  # "..., a NATO official told Reuters": the source is not named
    if info.wants == "entity" and not a.labelled({"PERSON"}) and any(
            _names_role(info, m.group(0)) for m in UNNAMED_SOURCE.finditer(text)):
        return True  # "What is the name of the spokeswoman who ..." against "A company spokeswoman said ..."
    if info.wants == "person" and info.predicate in _SOURCE_VERBS and _UNNAMED_ACCORDING.search(text):
        return True  # "Who revealed the rival bid?" against "..., according to a person familiar with the matter"
    # "Who was the official who ...?" against "An official, who requested anonymity, ..."
    return info.wants == "person" and anonymous_role(info, text)


def anonymous_role(info: QuestionInfo, text: str) -> bool:
    """The person a who-question asks for by role is the one the sentence keeps anonymous: a relation word of the
    question stands just before "who asked not to be named" / "speaking on condition of anonymity"."""
    return any(_names_role(info, text[max(0, m.start() - 60):m.start()]) for m in ANONYMOUS.finditer(text))


def _names_role(info: QuestionInfo, phrase: str) -> bool:
    """A relation word of the question ("official", "spokeswoman", "man") is in ``phrase``."""
    return any(re.search(rf"\b{re.escape(r)}s?\b", fold(phrase)) for r in info.relation if not r.isdigit())


def asks_name(info: QuestionInfo) -> bool:
    """The question asks who someone is or what they are called ("Who is the third man…", "the names of…")."""
    return info.wants == "person" or bool(re.search(r"\bnames?\b", info.text, re.IGNORECASE))


_WH_CLAUSE = re.compile(r"\s*(?:how much|how many|how long|when|where|who|whom|whether|if|what|which|why|how)\b"
                        r"(?:\s+\S+){1,10}", re.IGNORECASE)


def withholds_verb(info: QuestionInfo, text: str, before: str = "") -> bool:
    """The sentence says the asked verb's detail was withheld: "It declined to say whether it had *paid* the
    attackers" for "Did Quillpay pay the hackers?". The articles then say the answer is not known, whatever value
    another sentence holds ("a payments app", "5%"). A name asked for and withheld counts too, for the role asked
    about, in the sentence or (for "Their names…") in ``before``, the text just before it."""
    if asks_name(info) and NAME_WITHHELD.search(text) and (_names_role(info, text) or (
            re.match(r"\s*(?:their|his|her)\b", text, re.IGNORECASE) and _names_role(info, before))):
        return True  # "A third man, who cannot be named"; "Their names have not been released" after the patients
    m = NOT_DISCLOSED.search(text)
    if not m:
        return False
    after = lemma_set(analyse(text[m.start():]))
    if info.predicate and term_matches(info.predicate, after):
        return True
    # "has not disclosed how much water the facility would use" for "How much water will it use?": what is withheld
    # is introduced by a question word and shares the question's relation words
    clause = _WH_CLAUSE.match(text[m.end():])
    if not clause:
        return False
    said = lemma_set(analyse(clause.group(0)))
    if info.wants == "yesno" and re.match(r"\s*(?:whether|if)\b", clause.group(0), re.IGNORECASE):
        # "declined to say whether it intended to buy the rest" for "Does it plan to buy the remaining 49%?": a verb
        # of the question is what "whether" leaves open
        verbs = {t.lemma for t in analyse(info.text).tokens if t.pos == "VERB"}
        return any(term_matches(v, said) for v in verbs if v in info.relation)
    return sum(1 for r in info.relation if term_matches(r, said)) >= 2


def is_pair(sp: Span) -> bool:
    return bool(re.search(r"[.!?][\"”’)]?\s+[A-Z“\"]", sp.text.strip()[:-1]))


_KIND_NOUNS = {"date", "day", "time", "year", "month", "number", "amount", "figure", "value", "name"}  # the asked kind


def label_asked(info: QuestionInfo, text: str) -> bool:
    """A "label: value" line whose label is the asked noun or verb: "Turnout: 41.3%" for "What was the turnout",
    "Displaced: about 4,200" for "how many people were displaced". The article's own table row for the question
    (alone, or after the line naming its record)."""
    asked = [w for w in list(info.focus) + [info.predicate] if w and w not in _KIND_NOUNS]
    for line in text.strip().split("\n"):  # a pair: the record's name line and its row
        if is_label_value(line) and any(term_matches(w, lemma_set(analyse(line.split(":", 1)[0]))) for w in asked):
            return True
    return False


def counts_focus(info: QuestionInfo, a: Analysis, labelled: bool) -> bool:
    """For "how many X": a number in the sentence counts X ("won 48,215 votes"), or the sentence is X's table row
    (``labelled``, from :func:`label_asked`: "Registered voters: 194,400"). "Two weeks before voters choose" has
    voters and numbers, but no count of them."""
    return labelled or any(term_matches(f, nouns) for f in info.focus for nouns in counted(a, words=True).values())
