"""What a question asks: the kind of answer (a date, a count, a person, yes/no, a reason, ...), the names it is
about and the words that carry the asked relation ("refereed", "tanks", "resign").

Decided from English question syntax (interrogative words, auxiliaries, the noun after "how many"/"which") and
spaCy's tags, never from lists of topics, places or people, so it holds for any article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicon import LIGHT_VERBS, QUESTION_WORDS, fold, numbers_in, tokenize, word_spans, years_in
from .text import analyse

__all__ = ["QuestionInfo", "analyse_question", "term_matches", "question_parts", "periods_in"]

_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "1st": "1", "2nd": "2", "3rd": "3", "4th": "4"}
_PERIOD = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[\s\-]+(quarter|half)\b|\b([QH])([1-4])\b",
                     re.IGNORECASE)

_MONEY_NOUNS = ("money", "cash", "funding")  # "how much money": money, where "how much water" is an amount of water
_WH = r"(?:what|how|who|whom|whose|when|where|which|why|did|does|do|is|was|were|are|has|have)"
_PARTS = re.compile(rf",?\s+(?:and|but)\s+(?={_WH}\b)", re.IGNORECASE)

_AUX_START = re.compile(r"^(?:and\s+|so\s+|but\s+)?(did|does|do|is|are|was|were|has|have|had|can|could|will|would|"
                        r"should|shall|may|might|must)\b", re.IGNORECASE)
_SUFFIXES = ("er", "ner", "r", "s", "es", "ed", "d", "ing", "ion", "ation", "tion", "ment", "al", "ance", "ence",
             "ity", "ness", "ist", "ive", "ory", "y", "ies", "ful", "ship", "or")


@dataclass
class QuestionInfo:
    text: str
    terms: list[str]                 # retrieval tokens (rag.retrieval.tokenize) of the content words
    names: list[str]                 # names the question is about: "Ines Marlowe", "Harbour City", "Kyiv"
    numbers: set[str]
    wants: str                       # date | duration | number | money | percent | person | place | speech | yesno
                                     # | reason | any
    relation: list[str] = field(default_factory=list)   # lemmas of the asked relation: "referee", "tank", "send"
    focus: list[str] = field(default_factory=list)      # the noun the answer must be about ("how many *tanks*")
    speaker: list[str] = field(default_factory=list)    # for "what did X say": X's names
    name_labels: dict[str, str] = field(default_factory=dict)  # name -> spaCy label ("PERSON", "ORG", ...)
    predicate: str = ""              # the main verb's lemma ("scrap" in "Why did Veltrix scrap its plans?")
    years: list[str] = field(default_factory=list)  # "2023" in "the 2023 final": the answer must be about it
    subject: str = ""                # the name that does the main verb ("Northgate" in "Who did Northgate beat?")
    particle: str = ""               # the main verb's particle ("off" in "Why was Marlowe sent off?")
    periods: set[tuple[str, str]] = field(default_factory=set)  # {("2", "quarter")} for "the second quarter", "Q2"

    @property
    def typed(self) -> bool:
        return self.wants in ("date", "duration", "number", "money", "percent", "person", "place")


def _wants(low: str) -> str:
    if _AUX_START.match(low) and not re.match(r"^\s*(?:do|does|did|can|could)\s+you\s+(?:tell|say|know)\b", low):
        return "yesno"
    body = re.sub(r"^(?:and|so|but|also|then|ok|okay)[, ]+", "", low)
    body = re.sub(r"^(?:(?:do|does|did|can|could) you (?:tell me|say|know)|tell me|i(?:'d| would) like to know)[, ]*",
                  "", body)
    if re.match(r"^(?:when\b|at what time|what time\b)", body) or re.search(
            r"\b(?:what|which|on what|in what|by what)\s+(?:date|day|month|year|time|week|season)\b", body):
        return "date"
    if re.search(r"\bhow long\b|\bfor how many (?:days|weeks|months|years|hours|minutes)\b", body):
        return "duration"
    if re.search(r"\bhow many (?:days|weeks|months|years|hours|minutes|seconds|decades)\b", body):
        return "duration"
    if re.search(r"\bwhat (?:percentage|percent|share|proportion)\b|\bby how much\b.*%|\bwhat (?:rate)\b", body):
        return "percent"
    if re.search(r"\bhow much\b|\bwhat (?:price|cost|amount|sum|value|fee|fine|salary|budget)\b|\bworth\b|"
                 r"^what (?:does|do|did|will|would) .{1,60}\bcost\b", body):
        return "money"
    if re.search(r"^(?:what|which) (?:[\w\-]+ ){0,3}(?:threshold|limit|cap|ceiling|quota)\b", body):
        return "number"  # "what daily water-use threshold": a quantity, whatever it is written in
    if re.search(r"\bhow (?:many|old|far|big|large|tall|high|deep|fast)\b|\bwhat(?:'s| is| was| were| are)?(?: the)?"
                 r"(?: final| total| official)? (?:number|figure|total|score|margin|magnitude|size|age|turnout|"
                 r"attendance|height|capacity|count|tally|rating)\b", body):
        return "number"
    if re.match(r"^(?:what|how)\b.{0,60}\b(?:say|said|tell|told|describe|call|warn|announce|argue|claim)\b", body) \
            and re.search(r"\b(?:did|does|has|have)\b", body[:40]):
        return "speech"
    if re.match(r"^where\b", body) or re.search(
            r"^(?:in |at |from |to )?(?:which|what) (?:city|country|town|state|province|region|village|district|"
            r"county|venue|stadium|place|location|island|capital|nation|countries|cities|towns)\b", body):
        return "place"
    if re.match(r"^(?:who|whom|whose)\b", body) or re.match(r"^(?:to|by|with|from|for) whom\b", body):
        return "person"
    if re.match(r"^(?:in |at |from |to |for |by |with )?which\b(?! (?:is|was|are|were|do|does|did|has|have|will)\b)", body) or \
            re.search(r"\bwhat (?:is|was|are|were) the names? of\b|\bname (?:of )?the\b", body):
        return "entity"
    if re.match(r"^why\b|^for what reason\b|^what (?:caused|led to|prompted|triggered)\b", body):
        return "reason"
    return "any"


def _attribute_head(q: str, tokens, names: list[str]) -> str:
    """The attribute a "What was the <attribute> ..." or "What was <name>'s <attribute> ..." question asks for: the
    phrase's first noun ("net *income*", "*vote* count": the word an answer restates). Not for "What are the ...":
    a list's items seldom repeat what they are a list of."""
    m = re.match(r"^\s*what(?:'s| is| was)\s+(?:the\s+|(?:the\s+)?(?P<owner>.{2,60}?)(?:'s|’s|'|’)\s+)",
                 q, re.IGNORECASE)
    if not m or (m.group("owner") and not any(n in m.group("owner") for n in names)):
        return ""
    for t in tokens:
        if t.start < m.end():
            continue
        if t.pos not in ("NOUN", "ADJ", "PROPN") or t.text[:1].isupper():
            break
        if t.pos == "NOUN":
            return t.lemma
    return ""


def _verb_after_subject(low: str, tokens, names: list[str], relation: list[str]) -> str:
    """In "<wh> did/does/will <subject> <verb> ...", the word after a named subject is the verb even when the tagger
    calls it a noun ("fire coach Abara")."""
    for n in names:
        m = re.match(rf"^\s*(?:\w+\s+)?(?:did|does|do|will|would|can|could|should)\s+(?:the\s+)?{re.escape(fold(n))}"
                     rf"\s+([a-z]+)\b", low)
        if m:
            t = next((t for t in tokens if fold(t.text) == m.group(1)), None)
            if t is not None and t.lemma in relation and t.pos in ("VERB", "NOUN"):
                return t.lemma
    return ""


def question_parts(question: str) -> list[str]:
    """``"When was it played, and what was the score?"`` → the two questions; one part for anything else."""
    pieces = [p.strip(" ,?") for p in _PARTS.split(question)]
    return [p for p in pieces if len(p.split()) >= 2] if len(pieces) > 1 else [question]


def periods_in(text: str) -> set[tuple[str, str]]:
    """The quarters and halves of a year a text names: "second-quarter", "Q2" → ("2", "quarter")."""
    out = set()
    for m in _PERIOD.finditer(text):
        if m.group(1):
            out.add((_ORDINALS[m.group(1).lower()], m.group(2).lower()))
        elif m.group(3).isupper():
            out.add((m.group(4), "quarter" if m.group(3) == "Q" else "half"))
    return out


def term_matches(q: str, words: set[str]) -> bool:
    """A question lemma found among a sentence's lemmas, allowing derivation: "resign" ~ "resignation",
    "win" ~ "winner", "refereed" ~ "referee"; not "war" ~ "warn"."""
    if q in words:
        return True
    for w in words:
        short, long_ = (q, w) if len(q) <= len(w) else (w, q)
        if len(short) >= 3 and long_.startswith(short) and long_[len(short):] in _SUFFIXES:
            return True
        if len(short) >= 5 and long_[: len(short) - 1] == short[:-1] and long_[len(short) - 1:] in (
                _SUFFIXES + ("e", "ed", "es")):
            return True  # "decide"/"decision" no, "approve"/"approval" via the stem "approv"
    return False


def analyse_question(question: str, previous: str | None = None) -> QuestionInfo:
    """``previous``: the last question of the conversation, whose kind of answer an elliptic follow-up keeps
    ("How much does the Fold X cost?" → "What about the 512GB version?" asks for money too)."""
    q = " ".join(question.strip().split())
    low = fold(q)
    a = analyse(q)
    wants = _wants(low)
    elliptic = bool(previous) and wants in ("any", "entity") and re.match(
        r"^\s*(?:and|what about|how about|also|same)\b", low) is not None
    if elliptic:
        wants = _wants(fold(previous))
    tokens = a.tokens
    if wants == "any" and len(tokens) > 2 and tokens[0].text.lower() == "how" and tokens[1].pos == "ADJ" and \
            tokens[2].pos in ("AUX", "VERB"):
        wants = "number"  # "How effective was the vaccine?", "How close was the race?": a measure
    if wants == "money":  # "how much rain / water / land": an amount of that thing, not necessarily money
        for i, t in enumerate(tokens[:-2]):
            if t.text.lower() == "how" and tokens[i + 1].text.lower() == "much" and tokens[i + 2].pos == "NOUN" and \
                    tokens[i + 2].lemma not in _MONEY_NOUNS:
                wants = "number"
                break
    names: list[str] = []
    labels: dict[str, str] = {}
    ents = []
    for e in a.names():  # adjacent entities are one name ("Ursula von der" + "Leyen")
        if ents and q[ents[-1].end:e.start] == " ":
            prev = ents.pop()
            e = type(e)(prev.label if prev.label == "PERSON" else e.label, q[prev.start:e.end], prev.start, e.end)
        ents.append(e)
    for e in ents:
        text = e.text
        while e.start > 0 and q[e.start - 1].isalnum() and not text.startswith(q[e.start - 1]):
            text = q[e.start - 1] + text  # the whole written word: "512GB", not "GB"
            e = type(e)(e.label, text, e.start - 1, e.end)
        model = re.match(r" (?:[A-Z]|\d{1,2}|[A-Z]\d{1,3})(?![\w'’-])", q[e.end:])
        if model and e.label not in ("DATE", "TIME", "CARDINAL"):  # a model's letter or number: "Fold X", "Pixel 9"
            text += model.group(0)
            e = type(e)(e.label, text, e.start, e.end + len(model.group(0)))
        if re.fullmatch(r"[QH][1-4]|FY\d*", text):
            continue  # "Q2", "H1": a period of the year, asked as words ("second quarter") as often as not
        nm = re.sub(r"^(?:the|a|an)\s+", "", e.text, flags=re.IGNORECASE)
        nm = re.sub(r"(?:'s|’s|'|’)$", "", nm)
        if e.start == 0 and len(nm.split()) == 1:
            continue  # a capitalised first word is not a name by its case
        if nm:
            names.append(nm)
            labels[nm] = e.label
    # proper nouns the model did not tag, taken as the whole written word ("SB-DV4", not "SB" and "DV4")
    for t in tokens:
        if t.pos != "PROPN" or not t.text[:1].isupper() or t.start == 0 or t.text.lower() in QUESTION_WORDS:
            continue
        if any(e.start <= t.start < e.end for e in a.labelled({"DATE", "TIME"})):
            continue  # "the December meeting": a date, checked as a date
        word = next(((ws, we) for ws, we in word_spans(q) if ws <= t.start < we), None)
        whole = q[word[0]:word[1]].strip("?,;:!\"“”()") if word else t.text
        if whole.endswith(".") and len(whole) <= 5:
            continue  # "Dr.", "Sen.": titles, not names
        whole = re.sub(r"(?:'s|’s|'|’)$", "", whole.rstrip("."))
        if len(whole) < 2 or any(whole in n or n in whole for n in names) or re.fullmatch(r"[QH][1-4]|FY\d*", whole):
            continue
        names.append(whole)
    relation, focus = [], []
    for i, t in enumerate(tokens):
        if t.pos in ("PUNCT", "SPACE", "DET", "PRON", "ADP", "CCONJ", "SCONJ", "PART", "AUX", "INTJ"):
            continue
        lem = t.lemma
        if (lem in QUESTION_WORDS and t.dep != "amod") or t.text.lower() in QUESTION_WORDS or lem in LIGHT_VERBS or (
                t.is_stop and t.pos != "NUM" and not (t.dep == "ROOT" and t.pos == "VERB")):
            continue
        if t.text.endswith(".") or any(fold(t.text).removesuffix("'s").strip("'") in re.split(r"[\s\-]+", fold(n))
                                       for n in names):
            continue
        if not re.search(r"[a-z0-9]", lem):
            continue
        if re.fullmatch(r"(?:19|20)\d\d|[QqHh][1-4]", t.text):
            continue  # a year is checked as a year, not as a relation word
        relation.append(lem)
    # "how old", "how far": the adjective asks for the number, it is not a word the answer repeats ("how effective"
    # is: "67% effective")
    if wants == "number" and (m := re.search(r"\bhow (old|far|big|large|tall|high|deep|fast)\b", low)):
        relation = [r for r in relation if r != m.group(1)]
    # "which countries", "what date": the noun after which/what names the kind of answer, not the relation
    for i, t in enumerate(tokens[:-1]):
        if t.text.lower() in ("which", "what") and tokens[i + 1].pos == "NOUN" and wants in (
                "place", "date", "percent", "entity", "person", "number", "money", "duration"):
            relation = [r for r in relation if r != tokens[i + 1].lemma]
            break
    # "how many tanks", "what share of voters": the counted noun must be in the answer sentence
    if wants in ("number", "money", "percent", "duration") and len(question_parts(q)) == 1:
        for i, t in enumerate(tokens):
            if t.text.lower() in ("many", "of") and i > 0 and tokens[i - 1].text.lower() in (
                    "how", "percentage", "percent", "share", "proportion", "number"):
                noun = next((u for u in tokens[i + 1: i + 4] if u.pos in ("NOUN", "PROPN")), None)
                if noun is not None and noun.lemma not in QUESTION_WORDS and not any(noun.text in n for n in names):
                    focus.append(noun.lemma)
                break
        attr = re.match(r"^\s*what(?:'s| is| was| are| were) the (?:final |total |official )?([a-z]+)\b", low)
        if attr and not focus and attr.group(1) not in QUESTION_WORDS:
            focus.append(analyse(attr.group(1)).tokens[0].lemma)  # "What was the attendance": the attendance
    if elliptic and not focus and not any(t.pos == "NOUN" and t.lemma not in ("one", "ones") for t in tokens):
        focus = analyse_question(previous).focus  # "And in the 2024 one?" after "How many people died": people
    speaker: list[str] = []
    if wants == "speech":
        sm = re.match(r"^\s*(?:what|how)\s+(?:did|does|has|have)\s+(.{2,80}?)\s+(?:say|said|tell|told|describe|call|"
                      r"warn|announce|argue|claim)", q, re.IGNORECASE)
        if sm:
            speaker = [n for n in names if n in sm.group(1)] or ([sm.group(1)] if sm.group(1)[:1].isupper() else [])
    terms = [t for t in tokenize(q) if t not in QUESTION_WORDS]
    # numbers specific enough that an article about something else would not hold them ("512", "4.7", not "11")
    numbers = {n for n in numbers_in(q) if len(n) >= 3}
    predicate = ""
    root = next((t for t in tokens if t.dep == "ROOT"), None)
    particle = ""
    attribute = re.match(r"^\s*(?:what|which)\s+(?:[a-z\-]+\s+){0,2}?([a-z\-]+)\s+(?:did|does|do|has|have|had|will|"
                         r"would)\b", low) if wants == "any" else None
    if attribute and (head := analyse(attribute.group(1)).tokens[0].lemma) in relation:
        predicate = head  # "What net income did Kestrel post": the income, however it was posted
    elif root is not None and root.pos == "VERB" and root.lemma in relation:
        predicate = root.lemma
        ri = tokens.index(root)
        particle = next((t.text.lower() for t in tokens if t.head == ri and t.dep == "prt"), "")
    elif (head := _attribute_head(q, tokens, names)) and wants in ("any", "entity") and head in relation:
        predicate = head  # "What was the outcome of ...", "What was Kestrel's net income": the asked attribute
    elif verb := _verb_after_subject(low, tokens, names, relation):
        predicate = verb  # "Why did the Herons fire coach Abara?": the word after the subject is the verb
    years = years_in(q)
    subject = ""
    if predicate and root is not None:
        ri = tokens.index(root)
        subj = next((t for t in tokens if t.head == ri and t.dep in ("nsubj", "nsubjpass") and t.pos == "PROPN"), None)
        if subj is not None:
            subject = next((n for n in names if subj.text in n.split()), "")
    return QuestionInfo(q, terms, names, numbers, wants, relation, focus, speaker, labels, predicate,
                        years, subject, particle, periods_in(q))
