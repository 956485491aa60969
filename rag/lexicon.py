"""The word layer: how text is split into words, and the function-word lists every stage shares.

One place for word splitting (:func:`tokenize` for retrieval terms, :func:`words` for judging a line's shape,
:func:`name_words` for matching names, :func:`word_spans` for whitespace-delimited offsets), numbers and years
(:func:`numbers_in`, :func:`years_in`) and the closed classes of English words: the shared :data:`STOPWORDS`, number
words, negations, reporting verbs. Where a stage needs a list for its own purpose (the words that may open an
adjunct clause are not stopwords), that list is here beside the shared one, with the reason it differs.

Only grammar words: no places, people, organisations or topics (issue 12). spaCy's analysis is :mod:`rag.text`;
sentence boundaries are :mod:`rag.sentences`.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "fold", "tokenize", "words", "name_words", "word_spans", "numbers_in", "years_in", "STOPWORDS", "FILLER",
    "DETERMINERS", "CONNECTORS", "DANGLING", "NEGATIONS", "SHORTFALL_WORDS", "FAILURE_VERBS", "NUMBER_WORDS", "REPORTING_VERBS", "SPEAKER_VERBS",
    "ATTRIBUTION_LEMMAS", "ADJUNCT_STARTS", "QUESTION_WORDS", "LIGHT_VERBS", "SENTENCE_STARTERS",
    "CAPITALISED_FUNCTION_WORDS", "PHRASE_OPENERS", "MODALS", "HEDGE_VERBS", "QUANTITY_NOUNS",
]  # fmt: skip


# -- the shared function words ---------------------------------------------------------------------------------

# English grammar words that carry no content, plus the verbs of reporting ("said", "according"): retrieval drops
# them, and a phrase made of one is not a term of a conversation.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves said says say also
    according did does tell told""".split()
)
# Purpose-specific lists, beside the shared one. Each says why it is not simply STOPWORDS.

# a line of page controls holds only UI words and these ("Follow us", "Share via", "New here"): a few stopwords plus
# the small words of buttons ("via", "per", "new"); content stopwords ("because", "which") would make a clause
FILLER = frozenset("a an the this that these to of on in for with by and or at via us our your you me my it is "
                   "be up out off from no new here now per as all".split())
# a two-word line opening with one of these is the subject of a clause ("The yen rose"), not a menu entry
DETERMINERS = frozenset("the a an this that these those it he she they we i you his her its their our my".split())
# lower-case words allowed inside a Title-Case line ("Bank of England", "Ursula von der Leyen")
CONNECTORS = frozenset("and of the for in on to a at de du la le van von der".split())
# a sentence ending on one of these stopped mid-way ("... Mission to", "... the")
DANGLING = frozenset("a an the of to in on at for by with from and or but as than that which who whose".split())
# words that deny the verb they depend on (not stopwords to the parser: they change what is said)
NEGATIONS = frozenset("not n't never no nobody none neither nor without".split())
# words that deny what they govern: "four votes shy of the majority", "fell short of", "failed to override"
SHORTFALL_WORDS = frozenset("shy short".split())
FAILURE_VERBS = frozenset("fail".split())
# cardinal number words, which spaCy tags NUM like digits
NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                         "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                         "hundred".split())

# reporting verbs, by lemma: what "what did X say" is answered with
REPORTING_VERBS = frozenset("""say tell state warn add announce describe call urge stress emphasise emphasize argue
insist note write declare claim demand suggest express acknowledge admit denounce mention affirm explain promise vow
pledge predict caution concede advocate reiterate accuse reject insist recall comment respond reply confirm deny""".split())
# the reporting verbs whose subject the verifier reads as the speaker (plus "accord" of "according to X"); the
# others ("call", "urge", "reject") also take a subject that is a party to what is said, so they are not checked
SPEAKER_VERBS = REPORTING_VERBS & frozenset(
    "say tell add announce state warn claim argue insist describe confirm deny note write".split()) | {"accord"}
# a clause opened by these attributes what was said ("..., she said"); it is never cut off as an adjunct
ATTRIBUTION_LEMMAS = REPORTING_VERBS & frozenset("say tell add note".split()) | {"according"}
# words that may open an adjunct clause (relative, temporal, concessive, causal): where a sentence may be cut
ADJUNCT_STARTS = frozenset("which who whom whose where when while whereas as after before since until including "
                           "with despite although though because".split())

# interrogatives, auxiliaries and words that say how to answer rather than what about
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how many much long did does do is are was were will would can could
    should has have had be been being article articles mention mentioned report reported passage passages source
    sources text state stated according describe described happen happened name named kind type tell say
    said news story detail details know known exactly specifically please list""".split()
)
# verbs too general to carry the asked relation ("What did X do?", "What will X make?")
LIGHT_VERBS = frozenset("be have do will would can could should may might must shall get go make".split())
# auxiliaries that make a clause a possibility, not a fact ("could fetch $2bn")
MODALS = frozenset("could may might would should can".split())
# verbs whose complement has not happened ("plans to cut 300 jobs", "is exploring a sale")
HEDGE_VERBS = frozenset("expect plan hope aim intend seek want consider explore forecast project threaten "
                        "predict".split())
# nouns that measure the noun after "of" ("the price of oil rose"): saying "oil rose" keeps the relation
QUANTITY_NOUNS = frozenset("number share proportion rate price value total level amount percentage majority part "
                           "half group cost".split())
# words that start a sentence after an abbreviation that may also end one ("in the U.S. The next day")
SENTENCE_STARTERS = frozenset("""
    the a an he she it they we i you this that these those but and in on at for as if when while after before there
    his her its their our meanwhile however yet so still since officials some
""".split())
# capitalised words that are not names: sentence openers, titles and the words of an answer's preamble
CAPITALISED_FUNCTION_WORDS = frozenset("""The A An In On At It This That These Those He She They We I But And Or
However Meanwhile Also According As After Before When While If Although Instead Furthermore Notably Mr Mrs Ms Dr Some
Yes No Sources Source Answer Based Here There What Who Which Where Why How""".split())
# the first word of a capitalised phrase that is there because it opens a question or sentence ("Did Scholz ...")
PHRASE_OPENERS = frozenset("The What When Who How Which Where Why It He She They A An In On Did Does Is Are Was "
                           "Will".split())


# -- word splitting --------------------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case, typographic quotes straightened, accents removed: "Zelenskyy’s" → "zelenskyy's"."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


# retrieval terms: Latin letters and digits, with inner "." "," "'" kept ("U.S", "41,203", "O'Neill")
_TERM = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:[.,'’][A-Za-z0-9]+)*", re.UNICODE)
# a line's words: letters of any script, with inner apostrophes
_LINE_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# folded words of a name: letters and digits with inner "'" and "-" ("al-assad", "o'neill")
_NAME_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?<![\d,.])(?:19|20)\d\d(?![\d,])")


def _fold_term(w: str) -> str | None:
    """One lower-cased word → its token, or None for a stopword."""
    w = w.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace(",", "") if w.replace(",", "").replace(".", "").isdigit() else w
    if w in STOPWORDS:
        return None
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss") and not w.isdigit():
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed") and not w.endswith("eed"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]  # "pledge" as "pledged", "coache(s)" as "coach", "house(s)" as "housing"
    return w


_FOLDED: dict[str, str | None] = {}  # word → token: news text repeats words, so folding is mostly one dict lookup


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords, with a light fold of plurals, possessives, -ed and -ing: the terms
    of BM25, of the verifier's coverage and order checks and of a conversation's topic."""
    out = []
    folded = _FOLDED
    for word in _TERM.findall(text.lower()):
        if word in folded:
            token = folded[word]
        else:
            token = _fold_term(word)
            if len(folded) < 1_000_000:
                folded[word] = token
        if token is not None:
            out.append(token)
    return out


def words(line: str) -> list[str]:
    """The words of a line as written, any script ("Leave a comment" → 3): what judging a line's shape counts."""
    return _LINE_WORD.findall(line)


def name_words(text: str) -> list[str]:
    """The folded words a name is matched by: "U.S." is "us", "Zelenskyy’s" is "zelenskyy's"."""
    text = _ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
    return [w.rstrip("'-") for w in _NAME_WORD.findall(fold(text))]


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-delimited word of ``text``."""
    return [m.span() for m in re.finditer(r"\S+", text)]


def numbers_in(text: str) -> set[str]:
    """The numbers written with digits, without thousands separators: "41,203 fans, 2.5%" → {"41203", "2.5"}."""
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def years_in(text: str) -> list[str]:
    """Four-digit years 1900-2099 in the order written, not inside a longer number ("2024", not "12,024")."""
    return _YEAR.findall(text)
