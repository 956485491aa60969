"""The evidence check: do the retrieved passages answer *this* question, and with which sentences?

Every sentence (and adjacent pair) of the retrieved passages is a candidate. A candidate **qualifies** when

- it names what the question is about: every name of the question occurs in it or just before it (its paragraph,
  the article's title), allowing small misspellings ("Puttin", "Borel"); for a question that asks for a value (a
  date, a number, a person, ...), also when the article's lede names it (what the whole article is about), and a
  place may be anywhere in the article;
- it states the asked relation: enough of the question's relation words ("refereed", "tanks", "resign") occur in
  it, by lemma or derivation, and the noun a "how many X" / "which X" question is about is one of them;
- for a typed question it holds a value of that type that the question did not already give: a date for "when",
  a span of time for "how long", an amount for "how much", a count for "how many", a person or organisation for
  "who", a place for "where", the speaker's own words for "what did X say".

Qualifying candidates are ranked by embedding similarity to the question plus the relation words they cover.
The articles answer the question when the best one scores above a floor and does not itself say that the thing
was not disclosed, was declined to be said, or came from an unnamed source. Otherwise the answer is an abstention
that cites nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .answer_kinds import AGE, NOT_DISCLOSED, has_answer_type, value_in
from .candidate_checks import (counts_focus, is_pair, is_withheld, label_asked, lemma_set, paraphrased_verbs,
                               role_swap, states_predicate, withholds_verb)
from .citations import Span, candidate_spans
from .question import QuestionInfo, analyse_question, periods_in, question_parts, term_matches
from .text import analyse_many, cased_names, name_matches
from .thresholds import THRESHOLDS, Thresholds
from .types import Passage

# the title, byline and first paragraph: what the whole article is about. Fitted on news a+b (evals/fit.py): key
# facts 0.667 -> 0.689 for typed questions; for why/how questions it answered false premises ("Why were all four
# torcs melted down?"), so it is not used there (held-out c and the seeds unchanged)
LEDE_CHARS = 400
_SETTING_LABELS = {"GPE", "LOC", "NORP", "FAC", "EVENT", "DATE"}
_HOW_OLD = re.compile(r"^\s*(?:and\s+)?how old\b", re.IGNORECASE)
_PRO_FORMS = ("one", "ones")  # "the 2024 one", "the new ones": stands for the noun of the last question
_ELLIPTIC = re.compile(r"^\s*(?:and|what about|how about|also|same)\b", re.IGNORECASE)
_REFERS_BACK = re.compile(r"\b(?:he|she|it|they|him|her|his|its|their|them|this|that|these|those)\b", re.IGNORECASE)
# a year the sentence is set in; "the highest since 1985", "the steepest drop since March 2020" only compare with it
_EVENT_YEAR = re.compile(r"(?<![\d,.])(?:19|20)\d\d(?!\d|,\d)")
_SINCE_YEAR = re.compile(r"\bsince\s+(?:[\w.]+\s+){0,2}(?:19|20)\d\d\b", re.IGNORECASE)
# the words English gives a reason with
_BECAUSE = re.compile(r"\b(?:because|due to|owing to|as a result of|thanks to|in order to|so that|in protest at|"
                      r"after (?:it|they|he|she|the \w+) (?:found|ruled|discovered|learned|decided|admitted)|"
                      r"blamed|caused by|prompted by|on the grounds that)\b", re.IGNORECASE)
TYPED = ("date", "duration", "number", "money", "percent", "person", "place", "entity", "speech")
__all__ = ["Evidence", "assess_evidence", "has_answer_type", "Thresholds", "THRESHOLDS", "NOT_DISCLOSED"]


@dataclass
class Evidence:
    ok: bool
    reason: str
    ranked: list[tuple[float, Span]] = field(default_factory=list)  # best candidates first
    info: QuestionInfo | None = None
    missing: list[str] = field(default_factory=list)
    qualifying: list[tuple[float, Span]] = field(default_factory=list)  # candidates that answer the question
    named: set[tuple[str, int, int]] = field(default_factory=set)  # candidates naming the question's names
    features: dict[tuple[str, int, int], dict] = field(default_factory=dict)  # per candidate, for diagnosis
    uncovered: list[str] = field(default_factory=list)  # parts of a two-part question no passage answers


@dataclass
class Candidate:
    span: Span
    dense: float
    relation: float
    names_near: bool      # the question's names in the sentence, just before it, or in the title
    names_here: bool      # ... in the sentence itself
    context_hit: bool     # a name from the conversation (follow-ups) near the sentence
    focus: bool           # the counted noun of "how many X" is in the sentence, or it is X's table row
    value: bool           # a value of the asked kind the question did not give
    withheld: bool        # the sentence says it was not disclosed / came from an unnamed source
    pair: bool
    predicate: bool = True  # the question's main verb ("scrap", "acquit", "complete") is in the sentence
    years: bool = True      # the question's years are in the sentence, or are the article's date
    role_swap: bool = False  # the question's subject is the *object* of the same verb here (who beat whom)
    headline: bool = False  # the candidate is the article's title
    withholds_asked: bool = False  # it says the asked verb's detail was withheld ("declined to say how much it would borrow")
    counts: bool = False    # a number in it counts the focus of "how many X", or it is X's table row
    label: bool = False     # it is a "label: value" line whose label is the asked noun or verb
    names_lede: bool = False  # the question's names are in the article's title or lede (what it is about)
    gives_reason: bool = False  # for "why": it says why in so many words ("because", "after it found", "due to")

    def score(self, th: Thresholds) -> float:
        s = th.w_dense * self.dense + (1 - th.w_dense) * self.relation - 0.01 * (self.span.passage_rank - 1)
        s -= 0.0 if self.value else 0.15
        s -= 0.0 if self.names_near else 0.1
        s -= 0.0 if self.context_hit else 0.05
        s -= 0.04 if self.pair else 0.0
        s += th.focus_bonus if self.focus else 0.0
        s += th.predicate_bonus if self.predicate else 0.0
        s += th.label_bonus if self.label else 0.0
        s += th.reason_bonus if self.gives_reason else 0.0
        return s

    def qualifies(self, info: QuestionInfo, th: Thresholds) -> bool:
        typed = info.wants in TYPED
        need = th.min_relation if typed else th.min_relation_any
        related = self.relation >= need or self.dense >= th.dense_alone
        said = self.predicate or self.dense >= th.predicate_dense  # the main verb, or the same claim in other words
        if not typed and self.relation >= th.relation_without_predicate:
            said = True  # "think about leaving" ~ "considered leaving": everything else the question says is here
        if th.needs_focus and info.focus and not self.focus:
            return False  # "how many buildings" against a count of people
        if info.wants == "number" and _HOW_OLD.match(info.text) and (
                self.pair or not self.names_here or not AGE.search(self.span.text)):
            return False  # an age belongs to the person named with it, not to someone in the sentence before
        if info.wants in ("person", "entity"):
            predicate = said or not th.who_needs_predicate  # "Who refereed": the refereeing, not a goal
        else:
            predicate = said or typed or not th.untyped_needs_predicate
        if self.role_swap or (self.headline and th.no_headlines) or self.span.text.rstrip("”\"’' ").endswith("?"):
            return False  # another relation, a headline, or a question: never the answer sentence
        return self.names_near and self.years and predicate and related and self.dense >= th.min_dense


def gather(question: str, passages: list[Passage], original, embed, *, asked: str | None = None,
           previous: str | None = None, near_chars: int = THRESHOLDS.near_chars) -> tuple[QuestionInfo, list[Candidate], Evidence | None]:
    """The question's analysis and every candidate's features, or an early abstention (nothing retrieved, or
    the question names something no passage mentions)."""
    info = analyse_question(question)
    context_names: list[str] = []
    if asked and asked != question:
        own = analyse_question(asked, previous)
        context_names = [n for n in info.names if n not in own.names]
        info.wants, info.focus, info.numbers = own.wants, own.focus, own.numbers
        info.speaker = own.speaker or info.speaker
        own_relation = [r for r in own.relation if r not in _PRO_FORMS]
        if _ELLIPTIC.match(asked):  # "And in the 2024 one?": the last question's relation, about something new
            info.relation = list(dict.fromkeys(own_relation + [r for r in info.relation if r not in _PRO_FORMS]))
        else:
            info.relation = own_relation or info.relation
        info.names = own.names
    if not passages:
        return info, [], Evidence(False, "nothing is indexed that matches", info=info)
    spans = [sp for group in candidate_spans(passages, original) for sp in group if sp.text.strip()]
    if not spans:
        return info, [], Evidence(False, "the retrieved passages hold no sentences", info=info)
    context_text = " ".join([p.text for p in passages] + [p.title or "" for p in passages])
    if not re.search(r"[A-Z]", asked or question):
        info.names = info.names + cased_names(asked or question, context_text, info.names)
    lab = info.name_labels.get
    since_years = {m.group(0)[-4:] for m in _SINCE_YEAR.finditer(info.text)}  # "delivered since February 2022"
    relative_year = (m.group(1).lower() if (m := _RELATIVE_YEAR.search(info.text)) and not info.years else "")
    for i, n in enumerate(list(info.names)):
        # a name at the start of the question may have swallowed its first word ("Compare Kestrel Foods")
        if info.text.startswith(n) and " " in n and not name_matches(n, context_text, label=lab(n)):
            rest = n.split(" ", 1)[1]
            if name_matches(rest, context_text, label=lab(n)):
                info.names[i] = rest
                info.name_labels[rest] = lab(n) or ""
    missing = [n for n in info.names if not name_matches(n, context_text, label=lab(n))]
    context_numbers = {n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)*", context_text)}
    missing += sorted(x for x in info.numbers if x not in context_numbers)
    if missing:
        return info, [], Evidence(False, "the question names things the articles don't mention", info=info,
                                  missing=missing)
    analyses = analyse_many([sp.text for sp in spans])
    lemma_sets = [lemma_set(a) for a in analyses]
    n = len(spans)
    idf = {}
    for rel in dict.fromkeys(info.relation):
        d = sum(1 for ls in lemma_sets if term_matches(rel, ls))
        idf[rel] = math.log(1 + n / (1 + d)) + 0.2
    rel_weight = sum(idf.values()) or 1.0
    vectors = embed([question] + [sp.text for sp in spans])
    similar = paraphrased_verbs(info, analyses, embed) if info.wants not in TYPED else set()
    dense = vectors[1:] @ vectors[0]
    out = []
    lede_named: dict[str, bool] = {}
    for sp, a, ls, d in zip(spans, analyses, lemma_sets, dense):
        near = f"{sp.title or ''} {original(sp.source)[max(0, sp.start - near_chars): sp.end]}"
        names_here = all(name_matches(nm, sp.text, label=lab(nm)) for nm in info.names)
        # who/what the question is about must be in or just before the sentence; a place or a group may be
        # anywhere in the same article ("Did Abara think about leaving Toronto?")
        lede = original(sp.source)[:LEDE_CHARS]
        typed = info.wants in TYPED
        names_near = names_here or all(
            name_matches(nm, near, label=lab(nm)) or (typed and name_matches(nm, lede, label=lab(nm))) or (
                lab(nm) in _SETTING_LABELS and name_matches(nm, original(sp.source), label=lab(nm)))
            for nm in info.names)
        if names_near and not names_here:
            # named here by a word of the name given in full just before: "Ogunleye, a 58-year-old ..." after
            # "Adebayo Ogunleye won", whatever kind of name the model took it for
            names_here = all(any(name_matches(w, sp.text, label="") for w in nm.split() if len(w) >= 4)
                             for nm in info.names)
        if idf:
            rel = sum(w for t, w in idf.items() if term_matches(t, ls)) / rel_weight
        else:  # "Who is Steffen Seibert?": nothing but names, which must then be in the sentence itself
            rel = 1.0 if info.names and names_here else 0.0
        if sp.source not in lede_named:  # the same for every sentence of an article
            lede_named[sp.source] = all(name_matches(nm, f"{sp.title or ''} {lede}", label=lab(nm)) for nm in info.names)
        names_lede = lede_named[sp.source]
        if names_lede and sp.text.strip().split("\n", 1)[0].rstrip().endswith(":"):
            names_near = True  # a list the article sets out is about what the article is about
        value = value_in(a, info.wants, info)
        label = label_asked(info, sp.text)
        withheld = is_withheld(info, a, sp.text, value, typed=info.wants in TYPED)
        if withheld and not names_near:  # "Their names have not been released" refers back to the story's subject
            names_near = all(lab(nm) != "PERSON" and name_matches(nm, original(sp.source), label=lab(nm))
                             for nm in info.names)
        withholds_asked = withheld and withholds_verb(  # the text before only read for a withholding sentence
            info, sp.text, original(sp.source)[max(0, sp.start - 200):sp.start])
        event_years = set(_EVENT_YEAR.findall(_SINCE_YEAR.sub(  # unless the question counts from it too
            lambda m: m.group(0) if m.group(0)[-4:] in since_years else " ", sp.text)))
        other_years = event_years - set(info.years)
        year_ok = [y in event_years or (y in (sp.date or "") and not other_years) for y in info.years]
        years = all(year_ok) if len(info.years) <= 1 else any(year_ok)  # "in 2023 and 2024": one per article
        if relative_year:
            years = years and _in_relative_year(relative_year, sp.text, sp.date, event_years)
        if info.periods:  # "the third quarter": not a sentence about the second, nor one under a second-quarter title
            here = periods_in(sp.text) or periods_in(near)
            years = years and (not here or bool(here & info.periods))
        out.append(Candidate(
            sp, float(d), rel, names_near, names_here,
            not context_names or any(name_matches(nm, near) for nm in context_names),
            all(term_matches(f, ls) for f in info.focus) or label, value, withheld, is_pair(sp),
            not info.predicate or states_predicate(info, a, ls) or bool(similar & ls), years, role_swap(info, a),
            bool(sp.title) and (" ".join(sp.text.split()) == " ".join(sp.title.split()) or (  # or glued to the next line
                sp.text.startswith(sp.title.strip()) and sp.text[len(sp.title.strip()):][:1] == "\n")),
            withholds_asked, bool(info.focus) and counts_focus(info, a, label), label, names_lede,
            info.wants == "reason" and bool(_BECAUSE.search(sp.text))))
    return info, out, None


_RELATIVE_YEAR = re.compile(r"\b(last|next|this) year\b", re.IGNORECASE)
_YEAR_STEP = {"last": -1, "this": 0, "next": 1}


def _in_relative_year(which: str, text: str, date: str | None, event_years: set[str]) -> bool:
    """"Who won the championship last year?" against an article's sentence: it says "last year" itself, or names
    the year before the article's; a sentence about the article's own events is not about last year."""
    if re.search(rf"\b{which} year\b", text, re.IGNORECASE):
        return True
    if not date or not date[:4].isdigit():
        return False
    wanted = str(int(date[:4]) + _YEAR_STEP[which])
    return wanted in event_years or (which == "this" and not event_years)


def decide(info: QuestionInfo, candidates: list[Candidate], th: Thresholds = THRESHOLDS) -> Evidence:
    scored = [(c.score(th), c) for c in candidates]
    ranked = sorted(((s, c.span) for s, c in scored), key=lambda x: -x[0])
    related = sorted(((s, c) for s, c in scored if c.qualifies(info, th)), key=lambda x: -x[0])
    if th.prefer_counts and info.wants == "number" and any(c.counts and c.value for _, c in related):
        related = [(s, c) for s, c in related if c.counts or c.withheld]  # "two weeks before voters choose" goes
    qualifying = [(s, c.span) for s, c in related if c.value and not c.withheld]
    withheld = [(s, c.span) for s, c in related if c.withheld]
    named = {(c.span.source, c.span.start, c.span.end) for c in candidates if c.names_here}
    features = {(c.span.source, c.span.start, c.span.end): dict(
        score=round(s, 3), dense=round(c.dense, 3), rel=round(c.relation, 3), names_near=c.names_near,
        focus=c.focus, value=c.value, withheld=c.withheld, predicate=c.predicate, years=c.years,
        names_lede=c.names_lede)
        for s, c in scored}
    if th.who_predicate_somewhere and info.wants in ("person", "entity") and info.predicate and not any(
            c.predicate for c in candidates):
        ev = Evidence(False, f"no passage says who or what did the asking verb ({info.predicate})", ranked, info)
    elif withheld and (not qualifying or withheld[0][0] >= qualifying[0][0] - th.withheld_margin) or any(
            c.withholds_asked and c.names_near and c.years and not c.pair for c in candidates):
        ev = Evidence(False, "the articles say this was not disclosed or came from an unnamed source", ranked, info,
                      qualifying=qualifying)
    elif not qualifying:
        what = {"any": "an answer", "yesno": "a statement", "reason": "a reason"}.get(info.wants, f"a {info.wants}")
        ev = Evidence(False, f"no passage gives {what} for what the question asks", ranked, info)
    elif qualifying[0][0] < th.min_score:
        ev = Evidence(False, f"no sentence answers it well enough (best score {qualifying[0][0]:.2f})", ranked, info,
                      qualifying=qualifying)
    else:
        ev = Evidence(True, "", ranked, info, qualifying=qualifying)
    ev.features, ev.named = features, named
    return ev


def decide_in_parts(whole: Evidence, parts: list[tuple[str, QuestionInfo, list[Candidate], Evidence | None]],
                    th: Thresholds = THRESHOLDS) -> Evidence:
    """Each part of a two-part question ("Who was missing, and who scored the winner?") checked as its own question.
    The parts nothing answers are named in ``uncovered`` so the answer says so instead of filling them with the
    nearest sentence; a question the passages do not answer as a whole is answered when one part clearly is."""
    if len(parts) < 2:
        return whole
    decided = [(part, decide(info, cands, th) if early is None else early) for part, info, cands, early in parts]
    # a part that refers back ("how is *his* role described") cannot be judged alone: never said to be uncovered
    missed = [part for part, ev in decided if not ev.ok and not _REFERS_BACK.search(part)]
    if whole.ok:
        if len(missed) < len(decided):  # "who refereed" in "Who was sent off, and who refereed?": not covered
            whole.uncovered = missed
        return whole
    answered = [ev for _, ev in decided if ev.ok and _clear_answer(ev, th)]
    if not answered:
        return whole
    qualifying = sorted((q for ev in answered for q in ev.qualifying), key=lambda x: -x[0])
    named = set(whole.named)
    for ev in answered:
        named |= ev.named
    return Evidence(True, "", whole.ranked, whole.info, qualifying=qualifying, named=named, features=whole.features,
                    uncovered=missed)


def _clear_answer(ev: Evidence, th: Thresholds) -> bool:
    """A part is a fragment ("what did it say each time"), so its best sentence needs both signals, similarity and
    the part's own relation words, where a whole question may qualify on either."""
    s, sp = ev.qualifying[0]
    f = ev.features[(sp.source, sp.start, sp.end)]
    return f["dense"] >= th.part_dense and f["rel"] >= th.min_relation_any


def gather_parts(question: str, passages: list[Passage], original, embed, near_chars: int = THRESHOLDS.near_chars):
    """Each part of a two-part question analysed as its own question: ``[(part, info, candidates, early), ...]``."""
    parts = question_parts(question)
    if len(parts) < 2:
        return []
    return [(part, *gather(part, passages, original, embed, near_chars=near_chars)) for part in parts]


def assess_evidence(question: str, passages: list[Passage], original, embed, *, asked: str | None = None,
                    previous: str | None = None, thresholds: Thresholds = THRESHOLDS) -> Evidence:
    """Rank the candidate sentences of ``passages`` for ``question`` and decide whether they answer it.

    ``question`` is the standalone (possibly rewritten) question used for ranking; ``asked`` is what the user
    typed, whose names and answer type are the hard requirements (a rewrite adds context words, not demands).
    ``embed(texts) -> np.ndarray`` gives L2-normalised vectors."""
    info, candidates, early = gather(question, passages, original, embed, asked=asked, previous=previous,
                                     near_chars=thresholds.near_chars)
    if early is not None:
        return early
    whole = decide(info, candidates, thresholds)
    return decide_in_parts(whole, gather_parts(question, passages, original, embed, thresholds.near_chars), thresholds)
