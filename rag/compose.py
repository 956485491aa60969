"""The answer a person would write, built from verified evidence: the answer first, in the shortest exact span that
says it, and nothing that is not about the question.

The shape follows the question, never the article:

- a single fact ("who", "when", "how many", "what"): one span, the best qualifying sentence cut to the clause that
  holds the answer (a dateline, a headline glued to the first sentence and trailing clauses that add nothing the
  question asks are cut off, when what remains still names the question's names, its relation words and a value
  of the asked kind);
- a yes/no question: "Yes" or "No" first when the evidence sentence settles it (the asked verb stated plainly, or
  denied), then the span;
- a list: the qualifying items, each cited;
- a question in two parts ("..., and how many after it?"): the best span for each part;
- a question across articles ("according to the different reports"): the best span of each article.

Every span is an exact range of the original file, so each citation's quote is ``text[start:end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .citations import Span, attach_marker
from .clauses import TYPED, trim_span
from .evidence import Evidence, has_answer_type
from .question import QuestionInfo, analyse_question, question_parts, term_matches
from .text import analyse, fold, name_matches
from .line_shapes import BULLET
from .list_blocks import block_items
from .types import Citation

__all__ = ["compose_answer", "article_list", "answer_shape", "asks_across_articles", "yes_no_lead", "question_parts", "NOT_COVERED",
           "not_covered", "is_not_covered"]

_MULTI = re.compile(r"\b(articles|different|reports|across|each|both|compare|sources)\b", re.IGNORECASE)
_ACROSS = re.compile(r"\b(articles|different reports|across|compare|sources)\b", re.IGNORECASE)
_LIST_WORDS = re.compile(r"^\s*(?:list|name)\b|\b(?:which|what)\s+(?:\w+\s+){0,2}\w+s\b(?!\s+(?:is|was|does|has)\b)"
                         r"|\bwho\s+(?:were|are)\s+the\b|\bwhat\s+(?:are|were)\s+the\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|never|no|none|nobody|neither|nor|without|cannot|n't)\b|n't\b", re.IGNORECASE)
_SHORT_OF = re.compile(r"\b(?:fell short|short of|shy of|failed to|rejected|denied|declined to|refused to|"
                       r"ruled out|instead of|rather than)\b", re.IGNORECASE)
MAX_LIST_ITEMS = 5


@dataclass(frozen=True)
class Shape:
    kind: str  # single | yesno | list | parts | across
    parts: tuple[str, ...] = ()


def answer_shape(info: QuestionInfo) -> Shape:
    q = info.text
    parts = question_parts(q)
    if len(parts) > 1 and not _ACROSS.search(q):  # "which chancellors appear in the articles, and what did each
        return Shape("parts", tuple(parts))       # do": across the articles, not two parts
    if _MULTI.search(q):
        return Shape("across")
    if info.wants == "yesno":
        return Shape("yesno")
    if _asks_for_list(q):
        return Shape("list")
    return Shape("single")


def asks_across_articles(question: str) -> bool:
    """Whether a question asks across articles ("according to the different reports", "compare", "both") or in
    parts, whose answers may sit in different files (retrieval then takes at most two passages per file)."""
    return _MULTI.search(question) is not None or len(question_parts(question)) > 1


def _asks_for_list(question: str) -> bool:
    """A question whose answer is several things: "Which countries…", "Who were the candidates…", "List…"."""
    if _LIST_WORDS.search(question):
        a = analyse(question)
        return any(t.pos == "NOUN" and t.text.lower().endswith("s") and t.lemma != t.text.lower()
                   for t in a.tokens) or bool(re.match(r"^\s*(?:list|name)\b", question, re.IGNORECASE))
    return False


def article_list(evidence: Evidence) -> list[Span]:
    """The items of a list the article sets out (a header and its bullets or "label: value" lines) that the
    extractive answer to a list question gives, or ``[]`` when that answer is not such a list."""
    info = evidence.info
    if info is None or not evidence.qualifying or answer_shape(info).kind != "list":
        return []
    best = next((sp for _, sp in evidence.qualifying if _states(trim_span(sp, info))), evidence.qualifying[0][1])
    block = block_items(evidence.ranked, best, True) or _header_block(evidence, evidence.qualifying[0][0] * LIST_RATIO)
    items = [sp for sp in block if "\n" in sp.text.strip() or not sp.text.rstrip().endswith(":")]
    return items if len(items) > 1 else []


def compose_answer(evidence: Evidence) -> tuple[str, list[Citation]]:
    """The answer text with ``[n]`` markers, and its citations (numbered in order of use)."""
    info = evidence.info
    shape = answer_shape(info) if info is not None else Shape("single")
    qualifying = [(s, sp) for s, sp in evidence.qualifying if _states(trim_span(sp, info) if info else sp)]
    best = (qualifying or evidence.qualifying)[0][1]  # a pair ranks first only when it beats its own sentences
    picked: list[Span] = [best]
    block = block_items(evidence.ranked, best, shape.kind == "list")
    if block:
        picked = block
    elif shape.kind == "parts":
        picked = _for_parts(evidence, shape.parts, best)
    elif shape.kind == "across":
        picked = _across_articles(evidence, best)
    elif shape.kind == "list":
        picked = _list_items(evidence, best)
    elif shape.kind == "single":
        picked += _runner_up(evidence, best)
    spans = [trim_span(sp, info) for sp in picked] if info is not None else picked
    lead = yes_no_lead(info, spans[0].text) if shape.kind == "yesno" else ""
    parts, citations = [], []
    for n, sp in enumerate(spans, 1):
        citations.append(Citation(n, sp.source, sp.title, sp.chunk_id, sp.text, sp.start, sp.end, sp.date))
        sentence = _as_sentence(sp.text)
        sentence = sentence[:1].upper() + sentence[1:]  # a list item ("the Abeokuta inner ring road") stands alone
        if n == 1 and lead:
            sentence = f"{lead}, {sentence[:1].lower() + sentence[1:] if _lower_ok(sentence) else sentence}"
        parts.append(attach_marker(sentence, n))
    parts += [not_covered(p) for p in evidence.uncovered]
    return " ".join(parts), citations


NOT_COVERED = 'The articles do not say: "'


def not_covered(part: str) -> str:
    """The sentence that says a part of the question is not answered: a statement of absence, so it cites nothing."""
    return f'{NOT_COVERED}{part[:1].upper() + part[1:].rstrip(" ?")}?"'


def is_not_covered(sentence: str, cited) -> bool:
    """Whether an answer sentence is :func:`not_covered`'s (uncited, so not a claim and not a quoted question)."""
    return not cited and sentence.strip().startswith(NOT_COVERED)


def _lower_ok(sentence: str) -> bool:
    """Whether the first word can be lower-cased after "Yes, " ("The", "It"), not a name ("Voss", "NATO")."""
    first = sentence.split(" ", 1)[0]
    return first in ("The", "A", "An", "It", "They", "He", "She", "There", "This", "That", "These", "Those", "Its",
                     "Their", "His", "Her", "We", "Our")


def _as_sentence(text: str) -> str:
    text = " ".join(BULLET.sub("", re.sub(r":[ \t]*\n[ \t]*[-•*–][ \t]+", ": ", text)).split())
    text = text.rstrip(",;:–— ")
    return text if re.search(r"[.!?…][\"”’)]?$", text) else text + "."


# fitted on news parts a+b (evals/fit.py, /work/dev): typed 0.05 → 0.1 lifts key facts 0.670 → 0.696 at 1.27
# citations per single-fact answer; the held-out part c and the seeds do not drop
RUNNER_UP_MARGIN = 0.1
UNTYPED_MARGIN = 0.15
UNTYPED_MAX = 2


def _runner_up(evidence: Evidence, best: Span) -> list[Span]:
    """For a typed question, a second qualifying sentence when it scores within a hair of the best: the evidence
    does not tell the two apart, so the answer shows both rather than guess. For a reason or a "what", up to two
    more sentences about the same names that score nearly as well (an explanation often takes two)."""
    top = evidence.qualifying[0][0]
    typed = evidence.info is not None and evidence.info.wants in TYPED + ("entity",)
    pool = evidence.qualifying[1:] if typed else evidence.ranked
    margin, most = (RUNNER_UP_MARGIN, 1) if typed else (UNTYPED_MARGIN, UNTYPED_MAX)
    out: list[Span] = []
    for score, sp in pool:
        if score < top - margin or len(out) >= most:
            break
        if not _overlaps(sp, [best] + out) and _states(sp) and (typed or (sp.source, sp.start, sp.end) in evidence.named):
            out.append(sp)
    return out


def _overlaps(sp: Span, picked: list[Span]) -> bool:
    return any(sp.source == p.source and not (sp.end <= p.start or sp.start >= p.end) for p in picked)


def _states(sp: Span) -> bool:
    """Never a headline (alone or glued to the line after it) or a question as an answer sentence."""
    text = " ".join(sp.text.split())
    title = " ".join((sp.title or "").split())
    return not text.rstrip("”\"’' ").endswith("?") and not (title and (text == title or text.startswith(title + " ")))


def _for_parts(evidence: Evidence, parts: tuple[str, ...], best: Span) -> list[Span]:
    """The best span for each part of a two-part question; a part nothing answers is left out."""
    picked: list[Span] = []
    uncovered = {" ".join(p.split()) for p in evidence.uncovered}
    for i, part in enumerate(parts):
        if " ".join(part.split()) in uncovered:
            continue  # said to be uncovered after the answer
        sub = analyse_question(part)
        chosen = None
        for score, sp in evidence.ranked:
            if not _states(sp) or _overlaps(sp, picked):
                continue
            if sub.wants in TYPED and not has_answer_type(sp.text, sub.wants, sub):
                continue
            lemmas = {t.lemma for t in analyse(sp.text).tokens} | set(fold(sp.text).split())
            if sub.relation and not any(term_matches(r, lemmas) for r in sub.relation):
                continue
            if (sp.source, sp.start, sp.end) not in evidence.named and not any(
                    (q.source, q.start, q.end) == (sp.source, sp.start, sp.end) for _, q in evidence.qualifying):
                continue
            chosen = sp
            break
        if chosen is None and i == 0:
            chosen = best
        if chosen is not None:
            picked.append(chosen)
    return picked or [best]


def _across_articles(evidence: Evidence, best: Span, ratio: float = 0.6) -> list[Span]:
    """The best span of each article that gives the asked kind of answer."""
    info = evidence.info
    first = evidence.qualifying[0][0]
    picked = [best]
    for score, sp in evidence.ranked:
        if len(picked) >= MAX_LIST_ITEMS or score < first * ratio:
            break
        if info.wants in TYPED and not has_answer_type(sp.text, info.wants, info):
            continue
        if all(sp.source != p.source for p in picked) and not _overlaps(sp, picked) and _states(sp) and (
                sp.source, sp.start, sp.end) in evidence.named:
            picked.append(sp)
    return picked


LIST_RATIO = 0.65


def _list_items(evidence: Evidence, best: Span, ratio: float = LIST_RATIO) -> list[Span]:
    """The items of a list answer: a list the article sets out under a header near the best one's score ("The
    roads to be rebuilt include:" and its bullets), or else the qualifying sentences near the best one's score,
    and the bullets that follow a sentence introducing them ("Customers should:")."""
    first = evidence.qualifying[0][0]
    block = _header_block(evidence, first * ratio)
    if block:
        return block
    picked = [best]
    ranked = evidence.ranked
    by_source = sorted((sp for _, sp in ranked if sp.source == best.source), key=lambda s: s.start)
    if best.text.rstrip().endswith(":"):
        for sp in by_source:
            if sp.start >= best.end and BULLET.match(sp.text) and not _overlaps(sp, picked):
                picked.append(sp)
            if len(picked) >= MAX_LIST_ITEMS:
                break
    for score, sp in ranked:
        if len(picked) >= MAX_LIST_ITEMS or score < first * ratio:
            break
        if not _overlaps(sp, picked) and _states(sp) and (sp.source, sp.start, sp.end) in evidence.named:
            picked.append(sp)
    return picked


def _header_block(evidence: Evidence, floor: float) -> list[Span]:
    """The block under the best-scoring header line at or above ``floor`` whose paragraph or title names the
    question's names and which shares a relation word with the question, or ``[]``."""
    for score, sp in evidence.ranked:
        if score < floor:
            break
        f = evidence.features.get((sp.source, sp.start, sp.end), {})
        # a list an article sets out is about what the article is about: its names may stand in the title or lede
        if not sp.text.strip().split("\n", 1)[0].rstrip().endswith(":") or not (
                f.get("names_near") or f.get("names_lede")) or not f.get("rel"):
            continue
        block = block_items(evidence.ranked, sp, True)
        if block:
            return block
    return []


def yes_no_lead(info: QuestionInfo | None, evidence_text: str) -> str:
    """"Yes" or "No" when the evidence sentence settles the question, "" when it only bears on it.

    Only the question's main verb decides ("Did Voss *plead* guilty?"): No when the sentence has that verb (or its
    noun, "plans" for "planning") under a negation ("pleaded not guilty", "has no plans", "fell short"); Yes when
    it has the verb, no negation at all, and every name, number and verb the question gives. Anything else ("Is X a
    listed company?", the verb missing) gets no lead: the cited sentence answers for itself."""
    if info is None or not info.predicate:
        return ""
    a = analyse(evidence_text)
    targets = {i for i, t in enumerate(a.tokens) if t.lemma == info.predicate}
    if not targets:
        return ""
    asked_negative = bool(re.search(r"\b(?:not|never)\b|n't\b", fold(info.text)))
    near = targets | {i for i, t in enumerate(a.tokens) if t.head in targets}  # "pleaded [not guilty]"
    negated = any(t.head in near and (t.dep == "neg" or fold(t.text) in ("no", "never"))
                  for t in a.tokens) or bool(_SHORT_OF.search(fold(evidence_text)))
    if negated:
        return "Yes" if asked_negative else "No"
    digits = re.sub(r"(?<=\d),(?=\d)", "", evidence_text)
    lemmas = {t.lemma for t in a.tokens} | set(fold(evidence_text).split())
    complete = all(name_matches(n, evidence_text, label=info.name_labels.get(n)) for n in info.names) and all(
        re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", digits) for n in re.findall(r"\d+(?:\.\d+)?", info.text)) and all(
        term_matches(v, lemmas) for v in _verbs(info))  # "I expected a draw" does not say "expected to win"
    if complete and not _NEGATION.search(fold(evidence_text)):
        return "No" if asked_negative else "Yes"
    return ""


def _verbs(info: QuestionInfo) -> list[str]:
    """The question's verbs among its relation words ("expect", "win" in "Did Koh expect to win the final?")."""
    return [t.lemma for t in analyse(info.text).tokens if t.pos == "VERB" and t.lemma in info.relation]
