"""Whether a text gives the kind of answer a question asks for (a date, a span of time, an amount, a count, a
percentage, a person or organisation, a place, a named thing, someone's words), and whether it says the answer
was withheld (not disclosed, declined, an unnamed source)."""

from __future__ import annotations

import re

from .article_dates import DATELINE_PREFIX
from .lexicon import REPORTING_VERBS as _SPEECH_LEMMAS  # by lemma: what "what did X say" is answered with
from .question import QuestionInfo
from .text import Analysis, analyse_many, duration_spans, fold, name_matches

__all__ = ["has_answer_type", "value_in", "AGE", "NOT_DISCLOSED", "ANONYMOUS", "UNNAMED_SOURCE"]

_COUNT_WORDS = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                r"fifty|hundred|several|few|many|half|couple)")

_UNITS = r"one|two|three|four|five|six|seven|eight|nine"
_AGE_WORD = (rf"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:{_UNITS}))?|ten|eleven|twelve|"
             rf"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|{_UNITS})")
# an age as news writes it: "34-year-old", "Fifteen-year-old", "aged 67", "41 years old", "Voss, 52, ..."
AGE = re.compile(rf"\b(?:\d{{1,3}}|{_AGE_WORD})-year-old\b|\baged \d{{1,3}}\b|\b\d{{1,3}} years old\b|,\s\d{{1,3}}(?:,|\s*$)",
                 re.IGNORECASE)

NOT_DISCLOSED = re.compile(
    r"\b(?:declined|refused|would not|wouldn't|did not|didn't|has not|have not|had not|could not|was not|were not|"
    r"is not|are not)\s+(?:to\s+)?(?:immediately\s+)?(?:say|said|comment|disclose|disclosed|reveal|revealed|specify|"
    r"specified|confirm|confirmed|identify|identified|name|named|give|provide|release|released|made public|"
    r"elaborate)\b|\bnot (?:been )?(?:disclosed|revealed|made public|released|identified|named)\b|\bundisclosed\b|"
    r"\bremains? (?:unclear|unknown)\b|\bwas not immediately (?:clear|known)\b|\bnot yet (?:known|clear|determined)\b|"
    r"\bno details\b|\bdetails (?:remain|were not)\b|\bwere not (?:yet )?available\b|\bnot (?:yet )?been (?:set|decided|"
    r"determined|announced)\b",
    re.IGNORECASE,
)
ANONYMOUS = re.compile(
    r"\b(?:asked not to be (?:named|identified)|(?:on|under) (?:the )?condition of anonymity|requested anonymity|"
    r"speaking anonymously|spoke anonymously|who was not (?:named|identified)|unnamed|unidentified|"
    r"not authori[sz]ed to (?:speak|comment)|declined to be (?:named|identified)|(?:cannot|can't|could not|may not) "
    r"(?:be|legally be) (?:named|identified))\b",
    re.IGNORECASE,
)
_SPEECH = re.compile(
    r"\b(?:said|says|say|told|tells|stated|states|warned|warns|added|adds|announced|announces|described|describes|"
    r"called|calls|urged|urges|stressed|emphasi[sz]ed|argued|argues|insisted|noted|wrote|declared|claimed|claims|"
    r"demanded|suggested|expressed|acknowledged|admitted|denounced|mentioned|affirmed|explained|promised|vowed|"
    r"pledged|predicted|cautioned|conceded|according to|saying|stating)\b",
    re.IGNORECASE,
)
NAME_WITHHELD = re.compile(  # the article says a name is not given: "Their names have not been released"
    r"\b(?:names?|identit(?:y|ies))\b[^.;]{0,30}\bnot\b[^.;]{0,20}\b(?:released|disclosed|given|made public|published)\b"
    r"|\b(?:declined|refused|would not|did not)\s+to\s+(?:name|identify)\b|\bnot (?:been |yet been )?(?:named|identified)\b"
    r"|\b(?:cannot|can't|could not|may not) (?:legally )?be (?:named|identified)\b",
    re.IGNORECASE,
)
UNNAMED_SOURCE = re.compile(r"\b(?:a|an|one|two|three|several)\s+(?:[\w’'\-]+,?\s+){0,6}(?:said|told|says|tells|added)\b",
                             re.IGNORECASE)


_BEARING = r"(?:north|south|east|west|north-?east|north-?west|south-?east|south-?west)(?:ern)?"
_RELATIVE_PLACE = re.compile(
    rf"\b\d[\d,.]*\s*(?:km|kilometres?|kilometers?|miles?|mi|metres?|meters?|m|nautical miles)\s+(?:to the\s+)?"
    rf"{_BEARING}\s+of\b|\b(?:just|off|on the)\s+{_BEARING}\s+(?:of|coast|edge|outskirts|bank)\b", re.IGNORECASE)


def value_in(a: Analysis, wants: str, info: QuestionInfo | None) -> bool:
    """Whether the analysed text holds a value of kind ``wants`` that the question did not already give."""
    asked = fold(info.text) if info else ""

    def new(text: str) -> bool:
        t = fold(text).strip()
        return bool(t) and t not in asked

    if wants in ("date",):
        return any(new(e.text) for e in a.labelled({"DATE", "TIME"}))
    if wants == "duration":
        if any(new(a.text[s:e]) for s, e in duration_spans(a.text)):
            return True
        if any(new(m.group(0)) for m in re.finditer(r"\b\d+-[a-z]+\b", a.text)):  # "a 14-match unbeaten run"
            return True
        return any(new(e.text) and re.search(r"\b(?:year|month|week|day|hour|minute|second|decade|century)s?\b",
                                             e.text, re.I) and re.search(rf"\d|\b{_COUNT_WORDS}\b", e.text, re.I)
                   for e in a.labelled({"DATE", "TIME"}))  # "three days", "18 months"; not "this week"
    if wants == "money":
        return any(new(e.text) for e in a.labelled({"MONEY"}))
    if wants == "percent":
        return any(new(e.text) for e in a.labelled({"PERCENT"})) or "%" in a.text
    if wants == "number":
        if AGE.search(a.text):
            return True  # an age
        dates = a.labelled({"DATE", "TIME"})
        for e in a.labelled({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}):
            if new(e.text) and not any(d.start <= e.start < d.end for d in dates):
                return True
        for m in re.finditer(r"\d+(?:[.,]\d+)*", a.text):  # a count the model did not tag ("Score: 2-1", "41,203")
            inside_date = any(d.start <= m.start() < d.end for d in dates)
            if not inside_date and new(m.group(0)) and not re.fullmatch(r"(?:19|20)\d\d", m.group(0)):
                return True
        return False
    if wants == "place" and _RELATIVE_PLACE.search(a.text):
        return True  # "about 340 km west of the Irish coast", "north of the city": a place given by its bearings
    if wants in ("person", "place", "entity"):
        labels = {"person": {"PERSON", "ORG", "NORP", "GPE"}, "place": {"GPE", "LOC", "FAC", "ORG"},
                  "entity": {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART",
                             "LAW"}}[wants]
        qnames = info.names if info else []
        # the dateline's place and wire agency ("ASHBY MILLS, W.Va. (AP) —") say where the story was filed, not who
        # did anything; for "where" the place is an answer
        m = DATELINE_PREFIX.match(a.text) if wants != "place" else None
        filed = m.end() if m else 0
        for e in a.labelled(labels):
            if e.start < filed:
                continue
            if not any(name_matches(n, e.text) or name_matches(e.text, n) for n in qnames) and new(e.text):
                return True
        if wants in ("person", "entity") and info is not None and _does_asked_verb(a, info):
            return True  # "The rerun was ordered by a tribunal" for "Who ordered the rerun?"
        if wants in ("person", "entity"):  # a title-case name the model missed ("Referee: Ana Costa")
            other = [e for e in a.entities if e.label not in labels]  # not one it read as a place or a date
            for m in re.finditer(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z]\.|[A-Z][a-z]+|van|de|da|der|von|bin|al-\w+))+", a.text):
                if new(m.group(0)) and not any(name_matches(n, m.group(0)) for n in qnames) and \
                        not a.text.startswith(m.group(0)) and not any(
                            e.start <= m.start() < e.end or m.start() <= e.start < m.end() for e in other):
                    return True
        return False
    if wants == "speech":
        if not (_SPEECH.search(a.text) or any(t.lemma in _SPEECH_LEMMAS and t.pos == "VERB" for t in a.tokens)
                or re.search(r"[“\"][^”\"]{12,}[”\"]", a.text)):
            return False
        if not info or not info.speaker:
            return True
        if any(name_matches(n, a.text, label="PERSON") for n in info.speaker):
            return True
        return bool(re.search(r"\b(?:he|she|they)\s+(?:said|says|told|added|warned)\b", fold(a.text)))
    return True


def _does_asked_verb(a: Analysis, info: QuestionInfo) -> bool:
    """The sentence names who or what does the question's verb, as its subject or its passive agent, by a noun
    ("a tribunal", "the city council"), not a pronoun."""
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.pos != "VERB" or t.lemma != info.predicate:
            continue
        for j, u in enumerate(toks):
            if u.head != i:
                continue
            if u.dep == "nsubj":
                doer = u
            elif u.dep == "agent":  # "by a tribunal": the noun governed by "by"
                doer = next((w for w in toks if w.head == j), None)
            else:
                continue
            if doer is not None and doer.pos in ("NOUN", "PROPN") and not any(
                    name_matches(n, doer.text) for n in info.names):  # "Veltrix has signed ..." is who was asked about
                return True
    return False


def has_answer_type(text: str, wants: str, info: QuestionInfo | None = None) -> bool:
    """Whether ``text`` gives the kind of answer asked for (always true for untyped questions)."""
    from .citations import strip_markers

    return value_in(analyse_many([strip_markers(text)])[0], wants, info)
