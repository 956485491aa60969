"""The eval runner and its gate: metrics on hand-made answers, and proof that the gate fails broken pipelines.

No LLM here: the pipelines run in extractive mode (RAG_ANSWER_MODE=extractive) over a real index of seeds/."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from evals import metrics as M
from evals import run as R
from evals.judge import NOT_RUN, Judge, make_judge, parse_scores
from rag import Answer, Citation, Pipeline, Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_TEXTS = R.load_seeds(SEEDS)
THRESHOLDS = R.load_thresholds(R.THRESHOLDS)
GOLD = R.load_gold(R.GOLD)
SUBSET = R.select_items(GOLD, 15)

KULEBA_SRC = "000_ee4ae77310ddbc9c.txt"
BORRELL_SRC = "001_7658c4148b7d94c0.txt"


def span(source: str, start_text: str, end_text: str) -> tuple[int, int, str]:
    text = SEED_TEXTS[source]
    s = text.index(start_text)
    e = text.index(end_text, s) + len(end_text)
    return s, e, text[s:e]


def cite(n: int, source: str, start_text: str, end_text: str) -> Citation:
    s, e, quote = span(source, start_text, end_text)
    return Citation(n, source, "t", f"{source}#0", quote, s, e)


KULEBA = cite(1, KULEBA_SRC, "Ukrainian Foreign Minister Dmytro Kuleba", "Russia-backed separatists.")
BORRELL = cite(1, BORRELL_SRC, "EU foreign policy chief", "former Soviet republic's border.")


def item(**kw):
    base = {"id": "x", "user_input": "q?", "reference": "r", "reference_contexts": [], "key_facts": [],
            "answerable": True, "category": "single_fact", "history": []}
    base.update(kw)
    return base


# -- metrics on hand-made answers ----------------------------------------------------------------------------------

def test_a_supported_paraphrase_counts_for_recall_and_precision():
    text = "Dmytro Kuleba warned of a systemic aggravation of the security situation in Ukraine's east and Crimea [1]."
    cs = M.score_citations(text, {1: KULEBA.quote})
    assert cs.recall == 1.0 and cs.precision == 1.0
    assert cs.sentences[0].cited == [1] and cs.sentences[0].numbers_ok


def test_an_unsupported_sentence_fails_on_words_and_on_numbers():
    made_up = "NATO agreed to send new air defence systems to Poland [1]."
    cs = M.score_citations(made_up, {1: KULEBA.quote})
    assert cs.recall == 0.0 and cs.precision == 0.0
    # same words as the quote, but a number the quote doesn't hold: unsupported
    wrong_number = "Kuleba warned of a systemic aggravation of the security situation in 40 regions [1]."
    cs = M.score_citations(wrong_number, {1: KULEBA.quote})
    assert cs.sentences[0].lcs >= M.SUPPORT_LCS and not cs.sentences[0].numbers_ok
    assert cs.recall == 0.0


def test_saying_a_part_is_not_covered_needs_no_citation_but_other_uncited_sentences_count():
    said = "Dmytro Kuleba warned of a systemic aggravation of the security situation in Ukraine's east and Crimea [1]."
    cs = M.score_citations(said + ' The articles do not say: "Who answered him?"', {1: KULEBA.quote})
    assert cs.recall == 1.0 and len(cs.sentences) == 1
    cs = M.score_citations(said + " NATO answered him at once.", {1: KULEBA.quote})
    assert cs.recall == 0.5


def test_recall_and_precision_per_sentence_and_per_link():
    text = ("Borrell will begin a visit to Ukraine on January 4 [1]. "
            "Kuleba warned of a systemic aggravation in the east and Crimea [1][2]. "
            "The visit was cancelled.")
    quotes = {1: BORRELL.quote, 2: KULEBA.quote}
    cs = M.score_citations(text, quotes)
    assert [s.supported for s in cs.sentences] == [True, True, False]  # the last sentence is uncited
    assert cs.recall == pytest.approx(2 / 3)
    assert cs.links == 3 and cs.precise_links == 2  # [1] on the second sentence supports nothing there
    assert cs.precision == pytest.approx(2 / 3)


def test_union_lcs_accepts_reordered_clauses_but_not_repetition_or_salad():
    quote = ("Russian troops continue to support a bloody uprising in the eastern part of Ukraine, on the border "
             "with the two divided Ukrainian provinces of Donetsk and Luhansk.")
    reordered = ("The two divided Ukrainian provinces of Donetsk and Luhansk border the bloody uprising in eastern "
                 "Ukraine [1].")
    assert M.score_citations(reordered, {1: quote}).recall == 1.0
    repeated = ("The Donetsk and Luhansk provinces of Donetsk and Luhansk provinces of Donetsk and Luhansk provinces "
                "of Donetsk and Luhansk are divided [1].")
    assert M.score_citations(repeated, {1: quote}).recall == 0.0
    salad = "Luhansk Donetsk provinces Ukrainian divided two border Ukraine eastern uprising bloody support troops [1]."
    assert M.score_citations(salad, {1: quote}).recall == 0.0


def test_sentence_split_keeps_abbreviations_and_markers():
    sents = M.split_sentences("The U.S. Secretary of State Antony Blinken visits Kyiv [1]. Mr. Borrell went too [2].")
    assert [(s[1]) for s in sents] == [[1], [2]]
    # a sentence without its own marker is judged with the marker that closes its run
    sents = M.split_sentences("Troops gathered. Kyiv protested [3].")
    assert [s[1] for s in sents] == [[3], [3]] and [s[2] for s in sents] == [False, True]


def test_date_annotations_are_removed_unless_quoted():
    assert M.strip_annotations("Borrell visits on Tuesday (4 January 2022) [1].", ["Borrell visits on Tuesday"]) == \
        "Borrell visits on Tuesday."
    kept = M.strip_annotations("The war began in 2014 (2014) [1].", ["since 2014"])
    assert "(2014)" in kept
    text = ("EU foreign policy chief Josep Borrell will begin a visit to Ukraine on January 4 "
            "(the week of 3 January 2022) [1].")
    assert M.score_citations(text, {1: BORRELL.quote}).recall == 1.0


def test_fabricated_spans_sources_and_markers():
    good = [KULEBA]
    assert M.fabricated_citations("x [1].", good, SEED_TEXTS) == []
    shifted = dataclasses.replace(KULEBA, start=KULEBA.start + 1)
    assert len(M.fabricated_citations("x [1].", [shifted], SEED_TEXTS)) == 1
    elsewhere = dataclasses.replace(KULEBA, source="not_a_seed.txt")
    assert "not a seed file" in M.fabricated_citations("x [1].", [elsewhere], SEED_TEXTS)[0]
    dangling = M.fabricated_citations("x [1]. y [2].", good, SEED_TEXTS)
    assert dangling == ["[2] appears in the text but no citation has that number"]


def test_abstention_with_a_citation_is_a_violation_and_fails_the_gate():
    it = item(answerable=False, category="unanswerable")
    bad = Answer("The articles don't say [1].", [KULEBA], abstained=True)
    scores = R.score_answer(it, bad, SEED_TEXTS)
    assert scores["abstention_correct"] and scores["abstention_with_citations"] == 1
    clean = Answer("The articles don't say.", [], abstained=True)
    assert R.score_answer(it, clean, SEED_TEXTS)["abstention_with_citations"] == 0
    report = R.evaluate([it], _Fixed(bad), seeds=SEED_TEXTS, progress=False)
    assert [f.metric for f in R.check(report, THRESHOLDS)] == ["abstention_with_citations"]


def test_key_fact_recall_normalises():
    facts = [["13,200", "13200"], ["“internal threat”"], ["30"]]
    assert M.key_fact_recall("About 13200 died; the \"internal threat\" — corruption; 300 troops.", facts) == \
        pytest.approx(2 / 3)
    assert M.key_fact_recall("anything", []) is None
    assert M.normalise("Three–day  visit,  1,300 TANKS") == "three-day visit, 1300 tanks"


def test_retrieval_hit_and_mrr():
    r = M.retrieval_scores(["b.txt"], ["a.txt", "a.txt", "b.txt", "c.txt", "d.txt"])
    assert r["hit_at_1"] == 0 and r["hit_at_3"] == 1 and r["hit_at_5"] == 1 and r["mrr"] == pytest.approx(1 / 3)
    r = M.retrieval_scores(["x.txt", "b.txt"], ["a.txt", "b.txt"])
    assert r["source_recall_at_5"] == 0.5 and r["mrr"] == 0.5
    assert M.retrieval_scores(["z.txt"], ["a.txt"])["mrr"] == 0.0


def test_check_floors_maxima_and_baseline_tolerance():
    rep = R.Report([], {"citation_recall": 0.96, "citation_precision": 0.90, "fabricated_citations": 1,
                        "hit_at_5": None, "mrr": 0.80}, {})
    th = {"min": {"citation_recall": 0.95, "citation_precision": 0.95, "hit_at_5": 0.95},
          "max": {"fabricated_citations": 0}, "tolerance": 0.03}
    fails = R.check(rep, th)
    assert {(f.metric, f.kind) for f in fails} == {("citation_precision", "floor"), ("fabricated_citations", "max")}
    assert "under its floor 0.95 by 0.050" in next(f.message for f in fails if f.metric == "citation_precision")
    assert R.unmeasured(rep, th) == ["hit_at_5"]
    base = {"metrics": {"citation_recall": 1.0, "mrr": 0.82}}
    fails = R.check(rep, th, base)
    assert ("citation_recall", "baseline") in {(f.metric, f.kind) for f in fails}  # 0.96 < 1.0 - 0.03
    assert ("mrr", "baseline") not in {(f.metric, f.kind) for f in fails}  # within tolerance


def test_waivers_keep_the_target_visible_and_hold_a_lower_limit():
    th = {"min": {"abstention_accuracy": 0.9}, "max": {"false_abstention": 0.08}, "tolerance": 0.03,
          "waivers": {"abstention_accuracy": {"floor": 0.59, "reason": "r1"},
                      "false_abstention": {"ceiling": 0.23, "reason": "r2"}}}
    ok = R.Report([], {"abstention_accuracy": 0.62, "false_abstention": 0.19}, {})
    assert R.check(ok, th) == []
    notes = R.waived(ok, th)
    assert len(notes) == 2 and all("misses its target" in n for n in notes)
    bad = R.Report([], {"abstention_accuracy": 0.55, "false_abstention": 0.25}, {})
    assert {(f.metric, f.kind) for f in R.check(bad, th)} == {("abstention_accuracy", "floor"),
                                                              ("false_abstention", "max")}


def test_judge_is_not_run_without_an_endpoint_and_parses_scores(fake_chat):
    assert make_judge(None, True, env={}) == (None, NOT_RUN)
    judge, status = make_judge(None, False, env={"OPENAI_API_KEY": "k"})
    assert judge is None and "--judge" in status
    with pytest.raises(ValueError):
        parse_scores("I think it is fine")
    judge = Judge(fake_chat('{"faithfulness": 1.0, "correctness": 0.5}', "no json"), "fake")
    it = item(reference="Kuleba warned of a systemic aggravation.")
    answer = Answer("Kuleba warned of a systemic aggravation [1].", [KULEBA])
    assert "[1] Ukrainian Foreign Minister" in judge.prompt(it, answer)
    report = R.evaluate([it, dict(it, id="y")], _Fixed(answer), seeds=SEED_TEXTS, judge=judge, progress=False)
    assert report.results[0].scores["judge_correctness"] == 0.5
    assert "no JSON" in report.results[1].scores["judge_error"]  # a judge failure is listed, not hidden
    assert report.overall["judge_faithfulness"] == 1.0


def test_select_items_covers_every_category():
    assert {it["category"] for it in SUBSET} == {it["category"] for it in GOLD}
    assert len(SUBSET) == 15
    assert [it["category"] for it in R.select_items(GOLD, None, "injection")] == ["injection"] * 5


# -- the gate against broken pipelines -----------------------------------------------------------------------------

class _Fixed:
    def __init__(self, answer):
        self.answer = answer

    def ask(self, question, history=None):
        return self.answer


class Cached:
    """The honest extractive pipeline, asked once per item; wrappers below break its answers."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.memo = {}

    def ask(self, question, history=None):
        key = (question, json.dumps(history))
        if key not in self.memo:
            self.memo[key] = self.pipeline.ask(question, history=history)
        return self.memo[key]


def _sentence_spans(pipeline, passages):
    out = []
    for p in passages:
        text = pipeline.index.original_text(p.source)
        for s, e in p.chunk.sentences:
            out.append((p, s, e, text[s:e]))
    return out


class ShuffledCitations(Cached):
    """Each citation points at another real sentence of the retrieved passages (valid offsets, wrong span)."""

    def ask(self, question, history=None):
        a = super().ask(question, history)
        if a.abstained or not a.citations:
            return a
        spans = _sentence_spans(self.pipeline, a.contexts)
        new = []
        for c in a.citations:
            words = set(c.quote.lower().split())
            others = [x for x in spans if x[0].source != c.source or x[2] <= c.start or x[1] >= c.end]
            p, s, e, quote = min(others, key=lambda x: (len(words & set(x[3].lower().split())), x[1]))
            new.append(Citation(c.n, p.source, p.title, p.id, quote, s, e, p.chunk.date))
        return dataclasses.replace(a, citations=new)


class NeverAbstains(Cached):
    """Always answers: an abstention becomes the first sentence of the best passage, cited."""

    def ask(self, question, history=None):
        a = super().ask(question, history)
        if not a.abstained:
            return a
        passages = a.contexts or self.pipeline.search(question)
        p, s, e, quote = _sentence_spans(self.pipeline, passages[:1])[0]
        cit = Citation(1, p.source, p.title, p.id, quote, s, e, p.chunk.date)
        return dataclasses.replace(a, text=" ".join(quote.split()) + " [1]", citations=[cit], abstained=False,
                                   contexts=passages, question=question)


class NoCitations(Cached):
    """Answers without citations: markers and citations removed."""

    def ask(self, question, history=None):
        a = super().ask(question, history)
        if a.abstained:
            return a
        return dataclasses.replace(a, text=re.sub(r"\s*\[\d+\]", "", a.text), citations=[])


class RaisesOnce(Cached):
    def ask(self, question, history=None):
        if question == SUBSET[0]["user_input"]:
            raise RuntimeError("backend down")
        return super().ask(question, history)


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    home = tmp_path_factory.mktemp("eval_home")
    settings = Settings.from_env({"RAG_HOME": str(home), "RAG_SEEDS_DIR": str(SEEDS),
                                  "RAG_ANSWER_MODE": "extractive"})
    pipeline = Pipeline(settings)
    pipeline.ingest([SEEDS])
    cached = Cached(pipeline)
    report = R.evaluate(SUBSET, cached, seeds=SEED_TEXTS, progress=False)
    return cached, report


def _broken_report(cls, honest):
    cached, _ = honest
    broken = cls(cached.pipeline)
    broken.memo = cached.memo  # the same honest answers, broken afterwards
    return R.evaluate(SUBSET, broken, seeds=SEED_TEXTS, progress=False)


def test_honest_extractive_pipeline_holds_the_floors_it_can_be_held_to(honest):
    _, report = honest
    assert report.overall["n_items"] == 15 and report.overall["n_answered"] > 0
    structural = {"min": {k: THRESHOLDS["min"][k] for k in ("citation_precision", "citation_recall")},
                  "max": {k: THRESHOLDS["max"][k] for k in ("fabricated_citations", "abstention_with_citations",
                                                             "errors")}}
    assert R.check(report, structural) == []
    for r in report.results:  # the invariants the eval leans on
        if r.answer.abstained:
            assert not r.answer.citations


def test_gate_fails_shuffled_citations(honest):
    report = _broken_report(ShuffledCitations, honest)
    failed = {f.metric for f in R.check(report, THRESHOLDS)}
    assert {"citation_precision", "citation_recall"} <= failed
    assert report.overall["fabricated_citations"] == 0  # real spans, just not the supporting ones


def test_gate_fails_a_pipeline_that_never_abstains(honest):
    report = _broken_report(NeverAbstains, honest)
    failures = R.check(report, THRESHOLDS)
    assert "abstention_accuracy" in {f.metric for f in failures}
    assert report.overall["abstention_accuracy"] == 0.0
    assert any("abstention_accuracy = 0.000 is under its floor 0.9" in f.message for f in failures)


def test_gate_fails_answers_without_citations(honest):
    report = _broken_report(NoCitations, honest)
    failed = {f.metric for f in R.check(report, THRESHOLDS)}
    assert "citation_recall" in failed
    assert report.overall["citation_recall"] == 0.0


def test_an_error_is_a_listed_failure(honest):
    report = _broken_report(RaisesOnce, honest)
    assert [r.id for r in report.errors] == [SUBSET[0]["id"]]
    assert "errors" in {f.metric for f in R.check(report, THRESHOLDS)}
    assert report.overall["n_items"] == 15


def test_outputs_are_written(honest, tmp_path):
    _, report = honest
    report.config = {"backend": "extractive", "model": "none", "answer_mode": "extractive"}
    failures = R.check(report, THRESHOLDS)
    out = R.write_outputs(report, tmp_path / "run", THRESHOLDS, None, failures, "not compared (test)")
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "results.jsonl", "ragas.jsonl", "summary.json", "metrics_by_category.png",
            "latency.png"} <= names
    for png in ("metrics_by_category.png", "latency.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ragas = [json.loads(line) for line in (out / "ragas.jsonl").read_text().splitlines()]
    unanswerable = [json.loads(line) for line in (out / "ragas_unanswerable.jsonl").read_text().splitlines()]
    assert len(ragas) + len(unanswerable) == 15
    assert len(unanswerable) == sum(1 for r in report.results if not r.item["answerable"])
    for row in ragas:
        assert {"user_input", "retrieved_contexts", "response", "reference", "reference_contexts",
                "retrieved_context_ids", "reference_context_ids"} <= set(row)
        assert all(isinstance(x, str) for x in row["retrieved_contexts"] + row["reference_contexts"])
        assert row["reference_contexts"] and row["retrieved_contexts"]
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {"id", "category", "user_input", "response", "citations", "retrieved_contexts", "reference", "scores",
            "metadata"} <= set(rows[0])
    md = (out / "report.md").read_text()
    assert NOT_RUN in md and "## The 10 worst items" in md and "| single_fact |" in md
    for f in failures:
        assert f.message in md
    # a finished run can be scored again from its files alone, to the same figures
    again = R.rescore(out, GOLD, SEED_TEXTS)
    assert again.overall == report.overall
    assert [r.scores for r in again.results] == [r.scores for r in report.results]


def test_rag_eval_cli_runs_a_subset_and_checks(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "unused_home"))
    out = tmp_path / "out"
    from rag.cli import main as rag_main

    code = rag_main(["eval", "--limit", "2", "--category", "injection", "--category", "single_fact", "--answer-mode",
                   "extractive", "--out", str(out), "--check", "--no-progress"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["n_items"] == 2 and not summary["full_run"]
    assert summary["config"]["answer_mode"] == "extractive"
    assert code == (1 if summary["failures"] else 0)
    assert "not compared (a subset run" in (out / "report.md").read_text()
    assert not (tmp_path / "unused_home").exists()  # the eval used its own fresh home
