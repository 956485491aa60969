"""Which number belongs to what: the number checks of :mod:`rag.relations`.

Each check compares a drafted sentence with the span it is verified against and names the mismatch, or returns
None. The lexical check has already made sure every number of the sentence is in the span; these ask whether it is
attached to the same thing:

- :func:`anchor_order`: the numbers come in another order ("to 38 cents from 42" against "to 42 cents from 38");
- :func:`counted_swap`: a number counts one noun here and another noun of the sentence there ("the $900 million
  loan will cover the remaining 800 million shares");
- :func:`reused`: the number counts one more noun here than in the span ("two men ..., and two sentences" against
  "two men");
- :func:`dropped_count`: an item of a list loses its own number and so takes another item's ("1,300 tanks,
  artillery" against "1,300 tanks, 1,800 artillery pieces");
- :func:`binding`: the name nearest before the number in the span is another subject;
- :func:`number_verb`: the number goes with a verb that, in the span, governs another number ("equalized in the
  79th minute" where the equaliser came in the 64th and the sending-off in the 79th);
- :func:`amount_of`: the amount is of another noun ("a bridge loan of 200bn yen" where 200bn yen is the
  operating profit);
- :func:`currency`: the same amount in another currency ("$50bn" for "₦50bn");
- :func:`partitive`: "on 11 counts" for "on nine of 11 counts": the part dropped, the whole kept;
- :func:`record`: the number is in another record of a "label: value" table than the sentence's name;
- :func:`date_bound`: a bounded date stated as a point ("in March 2024" for "in the year to March 2024").
"""

from __future__ import annotations

import re

from .lexicon import NUMBER_WORDS, numbers_in
from .line_shapes import is_label_value
from .roles import active_verbs, clause_of, name_of
from .text import Analysis, name_matches, names_in

__all__ = ["counted", "anchor_order", "counted_swap", "reused", "dropped_count", "binding", "number_verb", "amount_of", "currency",
           "partitive", "record", "date_bound"]

_CURRENCY = re.compile(r"([$€£¥₹₦₩₱₺₽₴₪₫฿]|\bRs\.?\s?|\b[A-Z]{3}\s)(\d[\d,.]*\d|\d)")
# prepositions that make a date the end or start of a period, not the time of the event
_BOUNDS = frozenset("to until till through since from by before after".split())


def _digits(text: str) -> str:
    return text.replace(",", "")


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
            out.setdefault(_digits(t.text), set()).add(toks[j].lemma)
    return out


def counted_swap(s: Analysis, p: Analysis) -> str | None:
    theirs = counted(p)
    mine = counted(s)
    said = {n for nouns in mine.values() for n in nouns}
    for number, nouns in mine.items():
        # a swap, not a paraphrase: the span counts this number as another noun the sentence also counts
        if number in theirs and not nouns & theirs[number] and theirs[number] & said:
            return f"number {number} counts {sorted(nouns)[0]} here, {sorted(theirs[number])[0]} in the span"
    return None


def _anchors(a: Analysis) -> list[str]:
    """The numbers in the order the text gives them (years aside: a date may be written either way round)."""
    out = []
    for t in a.tokens:
        low = _digits(t.text.lower())
        if t.pos == "NUM" and (re.search(r"\d", low) or low in NUMBER_WORDS) and not re.fullmatch(r"(?:19|20)\d\d", low):
            out.append(low)
    return out


def anchor_order(s: Analysis, p: Analysis) -> str | None:
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


def _number_uses(a: Analysis) -> dict[str, int]:
    """How often each number counts a noun, spelled-out numbers as words ("two men", "2.3 million customers")."""
    uses: dict[str, int] = {}
    for number, nouns in _counted_each(a):
        uses[number] = uses.get(number, 0) + 1
    return uses


def _counted_each(a: Analysis) -> list[tuple[str, str]]:
    out = []
    toks = a.tokens
    for i, t in enumerate(toks):
        if t.pos == "NUM" and t.dep == "nummod" and toks[t.head].pos in ("NOUN", "PROPN") and t.head != i:
            out.append((_digits(t.text.lower()), toks[t.head].lemma))
    return out


def reused(s: Analysis, p: Analysis) -> str | None:
    """"Two men were jailed, and two sentences were given" against "Two men jailed over raid": the sentence counts
    a second noun with a number the span counts only one noun with."""
    theirs = _number_uses(p)
    counted_there = {(n, noun) for n, noun in _counted_each(p)}
    for number, noun in _counted_each(s):
        if (number, noun) in counted_there or number not in theirs:
            continue
        if sum(1 for n, _ in _counted_each(s) if n == number) > theirs[number]:
            return f"number {number} counts {noun} here, which the span does not count with it"
    return None


def dropped_count(s: Analysis, p: Analysis) -> str | None:
    """"1,300 tanks, artillery and missile batteries" against "1,300 tanks, 1,800 artillery pieces and missile
    batteries": an item of a list keeps its words but loses its own number, so another item's number counts it."""
    mine = {_digits(t.text.lower()) for t in s.tokens if t.pos == "NUM"}
    sent = s.tokens
    for t in p.tokens:
        if t.pos != "NUM" or t.dep != "nummod" or _digits(t.text.lower()) in mine:
            continue
        head = t.head
        item = {p.tokens[head].lemma} | {u.lemma for u in p.tokens if u.head == head and u.dep == "compound"
                                         and u.pos == "NOUN"}
        for j, u in enumerate(sent):
            if u.pos != "NOUN" or u.lemma not in item:
                continue
            k = j
            for _ in range(4):  # up the coordination to a noun the sentence counts
                if sent[k].dep not in ("conj", "nmod", "compound") or sent[k].head == k:
                    break
                k = sent[k].head
                if any(v.head == k and v.dep == "nummod" for v in sent):
                    return f"number {_digits(t.text)} of '{u.text}' dropped: another item's number counts it here"
    return None


def binding(s: Analysis, p: Analysis) -> str | None:
    """"The Civic Alliance holds 26 seats" against "The People's Congress holds 26 seats, while the Civic
    Alliance holds 15": in the span, the name nearest before the number is another one."""
    for verb, subject in active_verbs(s):
        numbers = [_digits(s.tokens[j].text) for j in clause_of(s, verb)
                   if s.tokens[j].pos == "NUM" and re.search(r"\d", s.tokens[j].text)]
        for n in numbers:
            nearest = []
            for i, t in enumerate(p.tokens):
                if _digits(t.text) != n:
                    continue
                before = [k for k in range(i) if p.tokens[k].pos == "PROPN" and p.tokens[k].dep == "nsubj"]
                if before:
                    nearest.append(name_of(p, before[-1]))
            if nearest and not any(name_matches(subject, x) or name_matches(x, subject) or f"{x} {subject}" in s.text
                                   for x in nearest):  # "Toronto" for "the Toronto Lakeshore Herons"
                return f"number {n} belongs to {nearest[0]} in the span, not {subject}"
    return None


def _number_verbs(a: Analysis) -> dict[str, set[int]]:
    """number (any token with a digit: the small parser tags "200bn" or "79th" as an adjective) → index of the
    nearest verb up its head chain, or of the root when the parser found no verb ("equalized" tagged ADJ).
    Numbers inside a date are left out: where a date attaches is the parser's guess, and the date check is
    :func:`date_bound`."""
    out: dict[str, set[int]] = {}
    toks = a.tokens
    dates = a.labelled({"DATE"})
    for i, t in enumerate(toks):
        if not re.search(r"\d", t.text) or any(e.start <= t.start < e.end for e in dates):
            continue
        j, steps = i, 0
        while toks[j].pos != "VERB" and toks[j].head != j and steps < 8:
            j, steps = toks[j].head, steps + 1
        if toks[j].pos == "VERB" or toks[j].dep == "ROOT":
            out.setdefault(_digits(t.text), set()).add(j)
    return out


def _complement_linked(a: Analysis, i: int, j: int) -> bool:
    """Whether one verb reaches the other through complement links ("agreed to buy", "said it had signed")."""
    toks = a.tokens
    for x, y in ((i, j), (j, i)):
        k, steps = x, 0
        while toks[k].dep in ("xcomp", "ccomp", "parataxis") and toks[k].head != k and steps < 6:
            k, steps = toks[k].head, steps + 1
            if k == y:
                return True
    return False


def number_verb(s: Analysis, p: Analysis) -> str | None:
    """The verb a number goes with here governs another number in the span, and not this one."""
    mine, theirs = _number_verbs(s), _number_verbs(p)
    for n, verbs in mine.items():
        if n not in theirs:
            continue
        lemmas = {s.tokens[k].lemma for k in verbs}
        if lemmas & {p.tokens[k].lemma for k in theirs[n]}:
            continue
        elsewhere = {k for m, ks in theirs.items() if m != n for k in ks if p.tokens[k].lemma in lemmas}
        if elsewhere and not any(_complement_linked(p, k, q) for k in elsewhere for q in theirs[n]):
            return (f"number {n} goes with '{sorted(lemmas)[0]}' here, with "
                    f"'{p.tokens[min(theirs[n])].lemma}' in the span")
    return None


def _measured(a: Analysis) -> dict[str, set[str]]:
    """number → lemma of the noun it is an amount of ("a bridge loan of 200bn yen" → "200bn" → {"loan"})."""
    out: dict[str, set[str]] = {}
    toks = a.tokens
    for i, t in enumerate(toks):
        if not re.search(r"\d", t.text):
            continue
        j, steps = i, 0
        while toks[j].dep in ("compound", "nummod", "quantmod", "amod", "nmod") and toks[j].head != j and steps < 4:
            j, steps = toks[j].head, steps + 1
        of = toks[j].head
        if toks[j].dep == "pobj" and toks[of].text.lower() == "of" and toks[toks[of].head].pos == "NOUN":
            out.setdefault(_digits(t.text), set()).add(toks[toks[of].head].lemma)
    return out


def amount_of(s: Analysis, p: Analysis) -> str | None:
    """"A bridge loan of 200bn yen" against "a bridge loan. ... operating profit of 200bn yen": the amount is of
    another noun in the span, the sentence does not mention that noun, and the span has the sentence's noun
    without this amount."""
    mine, theirs = _measured(s), _measured(p)
    p_lemmas, s_lemmas = {t.lemma for t in p.tokens}, {t.lemma for t in s.tokens}
    for n, nouns in mine.items():
        if n in theirs and not nouns & theirs[n] and nouns & p_lemmas and not theirs[n] & s_lemmas:
            return f"number {n} is the {sorted(nouns)[0]} here, the {sorted(theirs[n])[0]} in the span"
    return None


def currency(s: Analysis, p: Analysis) -> str | None:
    theirs: dict[str, set[str]] = {}
    for m in _CURRENCY.finditer(p.text):
        theirs.setdefault(_digits(m.group(2)), set()).add(m.group(1).strip())
    for m in _CURRENCY.finditer(s.text):
        amount, sign = _digits(m.group(2)), m.group(1).strip()
        if amount in theirs and sign not in theirs[amount]:
            return f"currency: {sign}{m.group(2)} here, {sorted(theirs[amount])[0]}{m.group(2)} in the span"
    return None


def _number_words(text: str) -> set[str]:
    return {_digits(w) for w in re.findall(r"[\d,]*\d|[a-z]+", text.lower())
            if w[0].isdigit() or w in NUMBER_WORDS}


def partitive(s: Analysis, p: Analysis) -> str | None:
    mine = _number_words(s.text)
    for m in re.finditer(r"\b(\d[\d,]*|[a-z]+) of (?:the )?(\d[\d,]*|[a-z]+)\b", p.text.lower()):
        part, whole = _digits(m.group(1)), _digits(m.group(2))
        if all(x[0].isdigit() or x in NUMBER_WORDS for x in (part, whole)) and whole in mine and part not in mine:
            return f"partitive: {whole} without the '{part} of' the span gives it"
    return None


def _records(text: str) -> list[str]:
    """The records of a repeated-record table ("Candidate: ... / Votes: ..." twice): a new record starts at each
    line with the first line's label. [] when the text is not such a table."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    labels = [ln.split(":", 1)[0].strip().lower() if is_label_value(ln) else None for ln in lines]
    if not labels or labels[0] is None or labels.count(labels[0]) < 2:
        return []
    records: list[list[str]] = []
    for ln, label in zip(lines, labels):
        if label == labels[0] or not records:
            records.append([])
        records[-1].append(ln)
    return ["\n".join(r) for r in records]


def record(s: Analysis, p: Analysis) -> str | None:
    """"Mthembu won 3,118 votes" against "Candidate: Dlamini / Votes: 3,118 / Candidate: Mthembu / Votes: 2,604":
    the number's record names someone else, and the sentence's name is in another record."""
    records = _records(p.text)
    if not records:
        return None
    names = names_in(s.text)
    for n in numbers_in(s.text):
        own = [r for r in records if n in numbers_in(r)]
        if len(own) != 1:
            continue
        elsewhere = [x for x in names if any(x in r.lower() for r in records if r is not own[0])]
        if elsewhere and not any(x in own[0].lower() for x in elsewhere):
            return f"number {n} is in another record of the table than {elsewhere[0]}"
    return None


def date_bound(s: Analysis, p: Analysis) -> str | None:
    p_low = p.text.lower()
    for e in s.labelled({"DATE"}):
        date = e.text.lower()
        before_mine = s.text[: e.start].lower().split()[-1:]
        for m in re.finditer(re.escape(date), p_low):
            before = p_low[: m.start()].split()[-1:]
            if before and before[0] in _BOUNDS and before != before_mine:
                return f"date: {e.text} is bounded by '{before[0]}' in the span"
    return None
