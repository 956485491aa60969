"""The eval's answer-form metrics (issue 13 point 4) on hand-made answers with hand-computed values, their
aggregates, and the verifier's figures: measured when evals.verifier is there, "not measured" (never a number)
when it is not or fails. No model: spaCy only (answer relevance reads the question)."""

from __future__ import annotations

import types

import pytest

from evals import answer_form as F
from evals import cli
from evals import run as R
from rag import Answer, Citation

HEADLINE = "NATO signals support for Ukraine amid Russia threat"


def cite(n: int, quote: str, title: str = "t") -> Citation:
    return Citation(n, "a.txt", title, "a.txt#0", quote, 0, len(quote))


def test_answer_words_leave_out_markers_and_punctuation():
    assert F.answer_words("Kuleba warned [1]. It was 13,200 [2][3].") == 5
    assert F.answer_words("Borrell — in Kyiv [1, 2].") == 3
    assert F.answer_words("") == 0


def test_reference_tokens_are_normalised_as_squad_does():
    assert F.reference_tokens("The PAP news-agency, an “outlet” [1].") == ["pap", "newsagency", "outlet"]


def test_token_f1_known_values():
    # answer: pap news agency (3); reference: borrell spoke to polands pap news agency (7); 3 in common
    # P = 1, R = 3/7, F1 = 2 * 3/7 / (1 + 3/7) = 0.6
    assert F.token_f1("The PAP news agency [1].", "Borrell spoke to Poland's PAP news agency.") == pytest.approx(0.6)
    assert F.token_f1("Kyiv", "Kyiv.") == 1.0
    assert F.token_f1("Berlin", "Kyiv") == 0.0
    assert F.token_f1("", "") == 1.0 and F.token_f1("", "Kyiv") == 0.0


def test_rouge_l_counts_order_where_token_f1_does_not():
    answer, reference = "Police arrested the man on Friday", "On Friday the police arrested a man"
    # tokens: police arrested man on friday / on friday police arrested man: the same bag (F1 = 1), but the
    # longest common subsequence is "police arrested man" (3 of 5 on each side): P = R = F = 0.6
    assert F.token_f1(answer, reference) == 1.0
    assert F.rouge_l(answer, reference) == pytest.approx(0.6)
    # LCS of a b c d e and a c e f: a c e (3); P = 3/5, R = 3/4, F = 2PR / (P + R) = 2/3
    assert F.rouge_l("a1 b2 c3 d4 e5", "a1 c3 e5 f6") == pytest.approx(2 * 0.6 * 0.75 / 1.35)


def test_headlines_and_questions_as_answer_sentences_are_found():
    text = (f"NATO  signals support for Ukraine amid  Russia threat [1]. Stoltenberg said the alliance would "
            f"respond [1]. What is the location of the Super Bowl in 2022 [2]?")
    cits = [cite(1, "x", HEADLINE), cite(2, "y", "Super Bowl")]
    found = F.headline_or_question_sentences(text, cits)
    assert len(found) == 2 and found[0].startswith("NATO") and found[1].startswith("What is")
    # the same words under another citation's title are an ordinary sentence
    assert F.headline_or_question_sentences(f"{HEADLINE} [1].", [cite(1, "x", "Other title")]) == []
    # the answer saying which part of the question the articles do not cover quotes that part; it is not one
    said = 'Stoltenberg said the alliance would respond [1]. The articles do not say: "Who refereed the match?"'
    assert F.headline_or_question_sentences(said, cits) == []
    assert F.headline_or_question_sentences('Who refereed the match? [1]', cits) != []


def test_answer_relevance_on_hand_examples():
    q = "Who scored the winning goal for Harbour City?"
    text = ("Ines Marlowe headed in the winner in the 88th minute [1]. "
            "Harbour City will be without their captain, Maya Ferreira, for the final [2].")
    # the first sentence holds the asked relation ("winner" ~ "win"), the second only the question's topic
    assert F.answer_relevance(q, text) == pytest.approx(0.5)
    q = "On what date did Antony Blinken speak with the foreign ministers of the Bucharest Nine?"
    text = ("Antony Blinken discussed the military buildup in a conversation on January 3 with nine eastern NATO "
            "members [1]. Blinken often calls corruption the country's internal threat [2].")
    # a date and the question's name: addresses a date question without its relation words
    assert F.answer_relevance(q, text) == pytest.approx(0.5)
    assert F.answer_relevance(q, "") is None


def test_follow_up_relevance_reads_the_previous_turn():
    history = [{"role": "user", "content": "How many tanks did Germany send to Ukraine?"},
               {"role": "assistant", "content": "Germany sent 14 tanks [1]."}]
    text = "Germany will send 14 Leopard tanks [1]."
    assert F.answer_relevance("And when?", text, history=history) == 1.0


def _fixed(answer):
    return types.SimpleNamespace(ask=lambda question, history=None: answer)


def _item(i, category, answerable=True):
    return {"id": f"x{i}", "user_input": "How many tanks did Germany send?", "reference": "Germany sent 14 tanks.",
            "reference_contexts": [], "key_facts": [], "answerable": answerable, "category": category, "history": []}


def test_form_scores_and_their_aggregates():
    seeds = {"a.txt": "Germany sent 14 tanks. Germany sent 14 tanks to Ukraine in January."}
    short = Answer("Germany sent 14 tanks [1].", [cite(1, "Germany sent 14 tanks.")])
    long_ = Answer("Germany sent 14 tanks to Ukraine in January [1]. Germany sent 14 tanks [2].",
                   [cite(1, "Germany sent 14 tanks to Ukraine in January."), cite(2, "Germany sent 14 tanks.")])
    abstained = Answer("The articles don't say.", [], abstained=True)
    results = []
    for i, (cat, ans) in enumerate([("single_fact", short), ("number_date", long_), ("list", long_),
                                    ("single_fact", abstained)]):
        results += R.evaluate([_item(i, cat)], _fixed(ans), seeds=seeds, progress=False).results
    s = results[0].scores
    assert (s["answer_words"], s["citations"], s["quoted_headline_or_question"]) == (4, 1, 0)
    assert s["reference_f1"] == 1.0 and s["reference_rougeL"] == 1.0 and s["answer_relevance"] == 1.0
    assert "answer_words" not in results[3].scores  # an abstention has no answer form
    o = R.aggregate(results)
    assert o["answer_words"] == 12  # median of 4, 12, 12 (answered only)
    assert o["median_words_factoid"] == 8  # single_fact 4 and number_date 12; the list answer is not a factoid
    assert o["citations_per_answer"] == pytest.approx(5 / 3) and o["citations_single_fact"] == 1.0
    assert o["quoted_headline_or_question"] == 0


def test_a_quoted_headline_fails_the_gate():
    ans = Answer(f"{HEADLINE} [1].", [cite(1, HEADLINE, HEADLINE)])
    report = R.evaluate([_item(0, "single_fact")], _fixed(ans), seeds={"a.txt": HEADLINE}, progress=False)
    assert report.overall["quoted_headline_or_question"] == 1
    th = {"max": {"quoted_headline_or_question": 0}}
    assert [f.metric for f in R.check(report, th)] == ["quoted_headline_or_question"]


def test_verifier_is_not_measured_without_its_module(monkeypatch):
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    figures, status = cli.verifier_figures()
    assert figures == {k: None for k in cli.VERIFIER_KEYS} and "not measured" in status
    report = R.Report([], dict(figures), {})
    th = {"min": {"verifier_precision": 0.95, "verifier_recall": 0.85}}
    assert R.check(report, th) == [] and R.unmeasured(report, th) == ["verifier_precision", "verifier_recall"]


def test_verifier_figures_come_from_its_module_or_say_why_not(monkeypatch):
    fake = types.ModuleType("evals.verifier")
    fake.verifier_scores = lambda: {"verifier_precision": 0.9, "verifier_recall": 0.8, "verifier_pairs": 40}
    monkeypatch.setitem(__import__("sys").modules, "evals.verifier", fake)
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(__import__("evals"), "verifier", fake, raising=False)
    figures, status = cli.verifier_figures()
    assert figures == {"verifier_precision": 0.9, "verifier_recall": 0.8, "verifier_pairs": 40}
    assert "precision 0.900, recall 0.800, 40 pairs" in status
    report = R.Report([], dict(figures), {})
    th = {"min": {"verifier_precision": 0.95, "verifier_recall": 0.85}}
    assert {f.metric for f in R.check(report, th)} == {"verifier_precision", "verifier_recall"}

    def broken():
        raise FileNotFoundError("evals/verifier/pairs.jsonl")

    fake.verifier_scores = broken
    figures, status = cli.verifier_figures()
    assert set(figures.values()) == {None} and "not measured (FileNotFoundError" in status
