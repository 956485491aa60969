"""From retrieved passages to an answer: evidence check (abstain or not), the LLM prompt, and the extractive
answer built from the best supporting sentences when the model's own draft doesn't survive verification."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .citations import Span, attach_marker, candidate_spans, names_in, numbers_in
from .prompts import load_prompt, render
from .retrieval import tokenize
from .types import Citation, Passage

__all__ = ["QuestionInfo", "analyse_question", "Evidence", "assess_evidence", "build_messages", "extractive_answer",
           "is_refusal_request", "abstention_text", "has_answer_type"]

_QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how many much long did does do is are was were will would can could
    should article articles mention mentioned report reported passage passages source text state stated give
    according describe described happen happened name named kind type""".split()
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE_WORDS = re.compile(
    rf"\b(?:{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|"
    r"(?:this|next|last)\s+(?:week|month|year)|\d{4})\b",
    re.IGNORECASE,
)
# Numbers that are part of a date ("December 3", "3 January", "in 2008") are not counts.
_DATE_NUMBERS = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+(?:19|20)\d\d\b)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b(?:,?\s+(?:19|20)\d\d\b)?"
    r"|(?<![\d,.])(?:19|20)\d\d(?![\d,]|\.\d)",
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|"
    r"half|third|quarter|million|billion)\b(?!-)",  # a count, not "seven-year-old"
    re.IGNORECASE,
)
_INJECTION = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instruction|rule|prompt|article|passage|context|above|previous)",
        r"\b(system|hidden|initial)\s+(prompt|message|instruction)",
        r"\b(reveal|print|show|repeat|output)\b.{0,30}\b(prompt|instructions)\b",
        r"\b(write|compose|generate|tell)\b.{0,30}\b(poem|song|story|joke|essay|haiku|limerick|code|script|recipe)\b",
        r"\b(pretend|act as|you are now|roleplay|jailbreak|developer mode|DAN)\b",
        r"\bwithout (citations?|sources?|citing)\b|\bdo not cite\b|\bdon't cite\b",
    )
]


_DURATION = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|half)[\s-]+(?:and a half[\s-]+)?"
    r"(?:day|hour|week|month|year|minute)s?\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s*(?:million|billion|trillion|dollars|euros)\b", re.IGNORECASE)
_SPEECH = re.compile(
    r"\b(?:said|says|say|told|tells|stated|states|warned|warns|added|announced|announces|described|describes|called|"
    r"calls|urged|urges|stressed|emphasized|emphasizes|emphasised|argued|argues|insisted|noted|wrote|declared|"
    r"demanded|demands|suggested|suggests|expressed|acknowledged|denounced|advocates|mentioned|affirmed|decried|"
    r"accused|invited|rejected|thanked|stating|saying|according)\b",
    re.IGNORECASE,
)
_NOT_DISCLOSED = re.compile(
    r"\b(?:remain(?:s|ed)? undisclosed|(?:were|was|has not been|have not been) not disclosed|not (?:been )?disclosed|"
    r"did not (?:say|specify|disclose)|no details|details remain)\b",
    re.IGNORECASE,
)


_PERSON = re.compile(r"\b(?:Mr|Mrs|Ms|Dr)\.\s+[A-Z][\w’'\-]+|\b[A-Z][a-z][\w’'\-]*(?:\s+[A-Z]\.)?\s+[A-Z][a-z][\w’'\-]+")
_NOT_PERSON = re.compile(
    r"^(?:[A-Z]\w*(?:an|ish|ese|ern|ic)|The|A|An|In|On|At|It|This|That|But|And|President|Chancellor|Minister|"
    r"Secretary|General|Prime|Foreign|Defense|State|Department|Council|Union|House|Ministry|Office|Peninsula|"
    r"Forces|Corps|College|Nations|Organization|Security|Cooperation|Europe|Ukraine|Russia|Kremlin|White|"
    r"United|States|Kingdom|Hague|Brussels|Kyiv|Kiev|Moscow|Geneva|Crimea|Donbas|Donbass|NATO|EU|US|U\.S\.)$"
)


def person_names(text: str) -> set[str]:
    """Likely personal names: "Olaf Scholz", "Mr. Stoltenberg" (not "European Union" or "NATO's European")."""
    out = set()
    for m in _PERSON.finditer(text):
        words = [w for w in m.group(0).replace("’s", "").replace("'s", "").split() if not _NOT_PERSON.match(w)]
        if words and (m.group(0).startswith(("Mr.", "Mrs.", "Ms.", "Dr.")) or len(words) >= 2):
            out.add(words[-1].lower())
    return out


@dataclass
class QuestionInfo:
    text: str
    terms: list[str]
    names: set[str]
    numbers: set[str]
    wants: str  # "date" | "number" | "money" | "duration" | "names" | "speech" | "any"
    speaker: set[str] = field(default_factory=set)  # for "what did X say": X's names


def analyse_question(question: str) -> QuestionInfo:
    q = question.strip()
    low = q.lower()
    first_word_cap = q.split()[0].lower() if q.split() else ""
    names = {n for n in names_in(q) if n != first_word_cap and n not in _QUESTION_WORDS}
    speaker: set[str] = set()
    if re.match(r"^\s*(when|what (date|day|month|year)|on what (date|day)|which (date|day))\b", low) or re.search(
        r"\b(what|which) (date|day)\b", low
    ):
        wants = "date"
    elif re.search(r"\bhow long\b", low):
        wants = "duration"
    elif re.search(r"\bhow much (money|aid|funding|did .{0,40} (pledge|spend|give|cost))\b|\bworth\b", low):
        wants = "money"
    elif re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|amount)\b|\bhow large\b", low):
        wants = "number"
    elif m := re.match(r"^\s*what (?:did|does|has|have) (.{2,60}?) (?:say|said|tell|told|state|warn|announce)\b", q,
                       re.IGNORECASE):
        wants = "speech"
        speaker = {n for n in names_in(m.group(1))} or set()
    elif re.match(r"^\s*(which|what) (\S+ ){0,2}(countries|nations|people|leaders|officials|ministers|members)\b", low):
        wants = "names"
    elif re.match(r"^\s*who\b", low):
        wants = "person"
    else:
        wants = "any"
    terms = [t for t in tokenize(q) if t not in _QUESTION_WORDS]
    return QuestionInfo(q, terms, names, numbers_in(q), wants, speaker)


def has_answer_type(text: str, wants: str, info: "QuestionInfo | None" = None) -> bool:
    if wants == "date":
        return bool(_DATE_WORDS.search(text))
    if wants == "number":
        return bool(_NUMBER_WORDS.search(_DATE_NUMBERS.sub(" ", text)))
    if wants == "duration":
        return bool(_DURATION.search(text))
    if wants == "money":
        return bool(_MONEY.search(text))
    if wants == "names":
        new = names_in(text) - (info.names if info else set()) - {text.split()[0].lower() if text.split() else ""}
        return len(new) >= 2
    if wants == "person":
        return bool(person_names(text) - (info.names if info else set()))
    if wants == "speech":
        if not info or not info.speaker:
            return bool(_SPEECH.search(text))
        low = text.lower().replace("’", "'")
        for name in info.speaker:
            for m in re.finditer(re.escape(name), low):
                # "Kuleba said", "Borrell described ...", "according to Kuleba" — not "Kuleba said ... Truss"
                if _SPEECH.search(low[m.end() : m.end() + 50]) or "according to" in low[max(0, m.start() - 20) : m.start()]:
                    return True
        return False
    return True


def adds_information(text: str, question: str, min_new_terms: int = 2) -> bool:
    """Whether an answer says something the question did not already say (not "X calls it what X calls it")."""
    from .citations import strip_markers

    asked = set(tokenize(question))
    return len(set(tokenize(strip_markers(text))) - asked) >= min_new_terms


def covers_best_evidence(text: str, evidence: "Evidence", share: float = 0.6) -> bool:
    """Whether a (verified) model answer keeps what the best qualifying sentence adds to the question: its
    numbers, and most of its other new terms. A true but beside-the-point sentence is not an answer."""
    from .citations import strip_markers

    if not evidence.qualifying or evidence.info is None:
        return True
    best = evidence.qualifying[0][1].text
    asked = set(tokenize(evidence.info.text))
    answer_terms = set(tokenize(best)) - asked
    said = set(tokenize(strip_markers(text)))
    if not numbers_in(best) - numbers_in(evidence.info.text) <= numbers_in(text) | numbers_in(evidence.info.text):
        return False
    return not answer_terms or len(answer_terms & said) / len(answer_terms) >= share


def is_refusal_request(question: str) -> bool:
    """A request to break the rules or do something other than answer from the articles."""
    return any(p.search(question) for p in _INJECTION)


@dataclass
class Evidence:
    ok: bool
    reason: str
    ranked: list[tuple[float, Span]] = field(default_factory=list)  # best candidates first
    info: QuestionInfo | None = None
    missing: list[str] = field(default_factory=list)
    qualifying: list[tuple[float, Span]] = field(default_factory=list)  # candidates that answer the question type
    named: set[tuple[str, int, int]] = field(default_factory=set)  # candidates naming the question's distinctive names


def _mentions(text: str, name: str) -> bool:
    """``name`` occurs in ``text``, allowing transliteration variants (Zelensky, Zelenskiy, Zelenskyy)."""
    if name in text:
        return True
    return len(name) >= 7 and name.isalpha() and re.search(r"\b" + re.escape(name[:6]), text) is not None


def _idf(spans: list[Span]) -> dict[str, float]:
    df: dict[str, int] = {}
    for sp in spans:
        for t in set(tokenize(sp.text)):
            df[t] = df.get(t, 0) + 1
    n = max(1, len(spans))
    return {t: math.log(1 + n / d) for t, d in df.items()}


_MULTI = re.compile(r"\b(articles|different|reports|across|each|both|compare|sources|and (?:what|how|who|when|where|which|done))\b",
                    re.IGNORECASE)


def asks_across_articles(question: str) -> bool:
    """Whether a question asks across articles ("according to the different reports", "compare", "both")."""
    return _MULTI.search(question) is not None


def assess_evidence(question: str, passages: list[Passage], original, embed, *, min_score: float = 0.42,
                    min_coverage: float = 0.5, min_focus: float = 0.3, asked: str | None = None) -> Evidence:
    """Rank the sentences (and adjacent pairs) of the passages for this question and decide whether the
    articles answer it. A candidate *qualifies* when it has the kind of answer asked for (a date for "when", a
    duration for "how long", a speaker's words for "what did X say", ...), names the question's own names and
    covers enough of its key terms. No qualifying candidate with a good enough score: abstain.

    ``question`` is the standalone (possibly rewritten) question used for ranking; ``asked`` is what the user
    typed, whose names and answer type are the hard requirements (a rewrite may add context words).
    ``embed(texts) -> np.ndarray`` gives L2-normalised vectors."""
    info = analyse_question(question)
    if asked and asked != question:
        own = analyse_question(asked)
        info.names, info.numbers, info.wants, info.speaker = own.names, own.numbers, own.wants, own.speaker
        if not info.speaker and info.wants == "speech":
            info.speaker = analyse_question(question).speaker
    if not passages:
        return Evidence(False, "nothing is indexed that matches", info=info)
    candidates = [sp for group in candidate_spans(passages, original) for sp in group if sp.text.strip()]
    if not candidates:
        return Evidence(False, "the retrieved passages hold no sentences", info=info)
    context_text = " ".join(p.text for p in passages).lower().replace("’", "'")
    context_terms = set(tokenize(context_text))
    missing = sorted(n for n in info.names if not _mentions(context_text, n))
    missing += sorted(x for x in info.numbers if x not in numbers_in(context_text))
    if missing:
        return Evidence(False, "the question names things the articles don't mention", info=info, missing=missing)
    if info.terms:
        covered = sum(1 for t in info.terms if t in context_terms) / len(info.terms)
        if covered < min_coverage:
            missing = [t for t in info.terms if t not in context_terms]
            return Evidence(False, f"only {covered:.0%} of the question's key terms occur in the articles", info=info,
                            missing=missing)
    vectors = embed([question] + [sp.text for sp in candidates])
    dense = vectors[1:] @ vectors[0]
    idf = _idf(candidates)
    q_terms = set(info.terms)
    q_weight = sum(idf.get(t, 1.0) for t in q_terms) or 1.0
    # The question's distinctive names (not those in most passages, like "NATO" here) must be in the answer.
    lowered = [sp.text.lower().replace("’", "'") for sp in candidates]
    rare_names = {n for n in info.names if sum(_mentions(low, n) for low in lowered) <= max(2, 0.3 * len(candidates))}
    ranked, qualifying = [], []
    named_spans: set[tuple[str, int, int]] = set()
    for sp, d, low in zip(candidates, dense, lowered):
        sp_terms = set(tokenize(sp.text))
        lex = sum(idf.get(t, 1.0) for t in q_terms if t in sp_terms) / q_weight
        typed = has_answer_type(sp.text, info.wants, info)
        # names may sit in the sentence just before ("Scholz visited ... The primary focus of their discussion ...")
        near = original(sp.source)[max(0, sp.start - 600) : sp.end].lower().replace("’", "'")
        named = (not info.names or any(_mentions(near, n) for n in info.names)) and (
            not rare_names or any(_mentions(near, n) for n in rare_names))
        score = 0.55 * float(d) + 0.45 * lex - 0.01 * (sp.passage_rank - 1)
        score -= 0.0 if typed else 0.2
        score -= 0.0 if named else 0.1
        is_pair = sp.text.count("\n") > 0 or len(split_into_sentences(sp.text)) > 1
        score -= 0.06 if is_pair else 0.0
        if sp.end - sp.start > 450:
            score -= 0.05
        ranked.append((score, sp))
        if (not info.names or any(_mentions(low, n) for n in info.names)) and (
                not rare_names or any(_mentions(low, n) for n in rare_names)):
            named_spans.add((sp.source, sp.start, sp.end))  # names in the sentence itself, not just nearby
        if typed and named and lex >= min_focus:
            qualifying.append((score, sp))
    ranked.sort(key=lambda x: -x[0])
    qualifying.sort(key=lambda x: -x[0])
    if not qualifying:
        what = {"any": "an answer"}.get(info.wants, f"a {info.wants}")
        return Evidence(False, f"no passage gives {what} about the question's subject", ranked, info)
    best_score, best = qualifying[0]
    if best_score < min_score:
        return Evidence(False, f"no sentence answers it well enough (best score {best_score:.2f})", ranked, info,
                        qualifying=qualifying)
    if _NOT_DISCLOSED.search(best.text):
        return Evidence(False, "the articles say this was not disclosed", ranked, info, qualifying=qualifying)
    return Evidence(True, "", ranked, info, qualifying=qualifying, named=named_spans)


def split_into_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+(?=[A-Z“\"])", text.strip()) if s]


_TYPED_ANSWERS = ("number", "date", "money", "duration")


def extractive_answer(evidence: Evidence, *, max_sentences: int = 4, ratio: float = 0.65) -> tuple[str, list[Citation]]:
    """The best qualifying sentence, plus up to two more near-best ones (for questions that ask across articles,
    the best qualifying sentence of each other article first), each quoted verbatim and cited to its own span."""
    first_score, first = evidence.qualifying[0]
    picked: list[Span] = [first]

    def overlaps(sp: Span) -> bool:
        return any(sp.source == p.source and not (sp.end <= p.start or sp.start >= p.end) for p in picked)

    if evidence.info and asks_across_articles(evidence.info.text):
        for score, sp in evidence.ranked:
            if len(picked) >= max_sentences or score < first_score * 0.6:
                break
            if not has_answer_type(sp.text, evidence.info.wants, evidence.info):
                continue
            if all(sp.source != p.source for p in picked) and not overlaps(sp):
                picked.append(sp)
    for score, sp in evidence.ranked:
        if len(picked) >= max_sentences or score < first_score * ratio:
            break
        # more sentences only about the same subject (a question about Town007 gets nothing about Town017), and
        # for "how many" / "when" / "how much" / "how long" only those that give that kind of answer
        typed = evidence.info is None or evidence.info.wants not in _TYPED_ANSWERS or has_answer_type(
            sp.text, evidence.info.wants, evidence.info)
        if typed and not overlaps(sp) and (sp.source, sp.start, sp.end) in evidence.named:
            picked.append(sp)
    parts, citations = [], []
    for n, sp in enumerate(picked, 1):
        citations.append(Citation(n, sp.source, sp.title, sp.chunk_id, sp.text, sp.start, sp.end, sp.date))
        parts.append(attach_marker(" ".join(sp.text.split()), n))
    return " ".join(parts), citations


def _short_title(title: str, words: int = 8) -> str:
    parts = title.replace("…", "").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def build_messages(question: str, passages: list[Passage], focus: list[Span] | None = None) -> list[tuple[str, str]]:
    """The prompt. With ``focus`` (the best-ranked sentences and sentence pairs) each passage shows only the
    sentences those cover, each once, in file order; a sentence already shown under an earlier passage (chunks
    overlap) is not repeated. A small model reads ~250 tokens instead of ~1,000, answers sooner and copies more
    faithfully. Passage numbers stay those of ``passages``: that is what the model's [n] refers to."""
    shown: set[tuple[str, int, int]] = set()
    blocks = []
    for i, p in enumerate(passages, 1):
        if focus is not None:
            mine = [sp for sp in focus if sp.chunk_id == p.id]
            sentences = []
            for s, e in p.chunk.sentences:
                cover = next((sp for sp in mine if sp.start <= s and e <= sp.end), None)
                if cover is not None and (p.source, s, e) not in shown:
                    shown.add((p.source, s, e))
                    sentences.append(cover.text[s - cover.start : e - cover.start])
            if not sentences:
                continue
            body = " ".join(" ".join(t.split()) for t in sentences)
        else:
            body = p.text
        body = body.replace("<", "‹").replace(">", "›")  # a passage cannot close its own tag
        title = _short_title(p.title).replace('"', "'").replace("<", "‹").replace(">", "›")
        date = f" date=\"{p.chunk.date}\"" if p.chunk.date else ""
        blocks.append(f"<passage n=\"{i}\" title=\"{title}\"{date}>\n{body}\n</passage>")
    return [
        ("system", load_prompt("answer_system")),
        ("human", render("answer_user", passages="\n\n".join(blocks), question=question)),
    ]


def abstention_text(question: str, passages: list[Passage], reason: str = "") -> str:
    titles: list[str] = []
    for p in passages:
        if p.title and p.title not in titles:
            titles.append(p.title)
    coverage = "; ".join(f"“{t}”" for t in titles[:3]) or "nothing that matches this question"
    topic = "the answer to this question"
    return render("abstain", topic=topic, coverage=coverage)


def cosine_pairs(embed):
    """A similarity function for :func:`rag.citations.enforce` from an embedder."""

    def score(pairs: list[tuple[str, str]]) -> list[float]:
        if not pairs:
            return []
        vecs = embed([t for pair in pairs for t in pair])
        return [float(np.dot(vecs[2 * i], vecs[2 * i + 1])) for i in range(len(pairs))]

    return score
