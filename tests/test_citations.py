"""Citation enforcement: the model's citations are checked, fixed, dropped and renumbered in code.

A fake chat model supplies exact drafts here (control flow only); retrieval, Chroma and embeddings are real."""

from __future__ import annotations

import pytest

from conftest import SEEDS, assert_answer_invariants

from rag import Pipeline
from rag.citations import drop_unfinished, enforce, split_sentences, support_score, supports

NRC = "The extraordinary meeting will be followed by talks between U.S. and Russian officials in Geneva on January 9-10 and a meeting of the NATO-Russia Council on January 12."


@pytest.fixture(scope="module")
def llm_pipeline(tmp_path_factory):
    from rag import Settings

    settings = Settings.from_env({"RAG_HOME": str(tmp_path_factory.mktemp("cite")), "RAG_ANSWER_MODE": "llm",
                                  "RAG_SEEDS_DIR": str(SEEDS)})
    p = Pipeline(settings)
    p.ingest([SEEDS])
    return p


def ask_with_draft(p, fake_chat, draft, question="When was the NATO-Russia Council meeting scheduled?"):
    p._chat_model = fake_chat(draft)
    return p.ask(question)


def test_split_sentences_reads_markers():
    parts = split_sentences("It met on January 12 [2]. Talks were in Geneva [1][3]. No marker here.")
    assert parts == [("It met on January 12.", [2]), ("Talks were in Geneva.", [1, 3]), ("No marker here.", [])]


def test_drop_unfinished_keeps_whole_sentences_only():
    assert drop_unfinished("It met on January 12 [2]. Talks were held in Gen") == "It met on January 12 [2]."
    assert drop_unfinished('He said "no." [1] They then') == 'He said "no." [1]'
    assert drop_unfinished("It met on January 12. [1][3] And") == "It met on January 12. [1][3]"
    assert drop_unfinished("Nothing finished here") == ""


def test_a_draft_cut_at_the_token_limit_loses_its_unfinished_sentence(llm_pipeline, fake_chat):
    draft = ("A meeting of the NATO-Russia Council was set for January 12 [1]. "
             "Talks between U.S. and Russian officials were held in Geneva")
    llm_pipeline._chat_model = fake_chat(draft, finish_reason="length")
    answer = llm_pipeline.ask("When was the NATO-Russia Council meeting scheduled?")
    assert answer.metadata["draft_cut_at_token_limit"] is True
    assert "Geneva" not in answer.text and "January 12" in answer.text
    assert_answer_invariants(answer)


def test_a_repeated_sentence_or_its_fragment_is_said_once(llm_pipeline, fake_chat):
    draft = ("A meeting of the NATO-Russia Council was set for January 12 [1]. "
             "A meeting of the NATO-Russia Council was set [2]. "
             "A meeting of the NATO-Russia Council was set for January 12 [1].")
    answer = ask_with_draft(llm_pipeline, fake_chat, draft)
    assert answer.text.count("NATO-Russia Council") == 1, answer.text
    assert answer.metadata["sentences_dropped"] >= 2
    assert_answer_invariants(answer)


def test_support_requires_numbers_names_and_order():
    assert supports("The NATO-Russia Council met on January 12.", NRC)
    assert not supports("The NATO-Russia Council met on January 14.", NRC), "a wrong number is unsupported"
    assert not supports("Talks with Chinese officials took place in Geneva on January 9-10.", NRC), "a new name"
    hard, _ = support_score("12 January Council NATO-Russia meeting Geneva officials Russian U.S. talks extraordinary", NRC)
    assert not hard, "the span's words in reverse order: another claim"
    assert not supports("Council Russia NATO January meeting extraordinary officials Geneva talks U.S. 12", NRC), \
        "the span's words shuffled into a verbless list"


def test_wrong_citation_is_recited_to_the_supporting_passage(llm_pipeline, fake_chat):
    # [5] is a real passage number but not the one that says this; the sentence itself is supported elsewhere
    answer = ask_with_draft(llm_pipeline, fake_chat, "A meeting of the NATO-Russia Council was set for January 12 [5].")
    assert not answer.abstained
    assert answer.metadata["sentences_recited"] + answer.metadata["sentences_kept"] >= 1
    assert answer.citations[0].source == "001_7658c4148b7d94c0.txt"
    assert "January 12" in answer.citations[0].quote
    assert_answer_invariants(answer)


def test_unsupported_sentences_are_dropped_and_citations_renumbered(llm_pipeline, fake_chat):
    draft = (
        "The meeting was cancelled because of snow [1]. "
        "A meeting of the NATO-Russia Council was set for January 12 [3]. "
        "Talks between U.S. and Russian officials were held in Geneva on January 9-10 [3]."
    )
    answer = ask_with_draft(llm_pipeline, fake_chat, draft)
    assert "snow" not in answer.text
    assert answer.metadata["sentences_dropped"] >= 1
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.text.count("[1]") >= 1
    assert_answer_invariants(answer)


def test_a_draft_with_nothing_supported_abstains_in_llm_mode(llm_pipeline, fake_chat):
    answer = ask_with_draft(llm_pipeline, fake_chat, "Paris is the capital of France [1]. Cats are great [2].")
    assert answer.abstained and answer.citations == [] and "[" not in answer.text


def test_a_draft_without_markers_still_gets_verified_citations(llm_pipeline, fake_chat):
    answer = ask_with_draft(llm_pipeline, fake_chat, "A meeting of the NATO-Russia Council was set for January 12.")
    assert not answer.abstained and answer.citations
    assert_answer_invariants(answer)


def test_auto_mode_falls_back_to_extractive_when_the_draft_fails(tmp_path, fake_chat):
    from rag import Settings

    p = Pipeline(Settings.from_env({"RAG_HOME": str(tmp_path), "RAG_SEEDS_DIR": str(SEEDS)}))
    p.ingest([SEEDS])
    p._chat_model = fake_chat("I don't know anything about that [1].")
    answer = p.ask("When was the NATO-Russia Council meeting scheduled?")
    assert answer.metadata["extractive"] is True and "January 12" in answer.text
    assert_answer_invariants(answer, pipeline=p)


def test_enforce_quotes_are_exact_spans(llm_pipeline):
    passages = llm_pipeline.search("NATO-Russia Council January 12")
    result = enforce("A meeting of the NATO-Russia Council was set for January 12 [1].", passages,
                     llm_pipeline.index.original_text)
    for c in result.citations:
        assert llm_pipeline.index.original_text(c.source)[c.start : c.end] == c.quote


def test_a_date_is_not_a_count():
    from rag.evidence import has_answer_type

    assert not has_answer_type("NATO members are gathering in Brussels today, December 3, for a meeting.", "number")
    assert not has_answer_type("He referred to the 2008 summit.", "number")
    assert not has_answer_type("They met on 3 January 2022.", "number")
    assert has_answer_type("Foreign ministers from all 32 NATO member states are convening.", "number")
    assert has_answer_type("In 2021, more than 100,000 troops were deployed.", "number")


def test_a_second_extractive_sentence_only_when_it_qualifies_and_ties_the_best():
    from rag.citations import Span
    from rag.compose import compose_answer
    from rag.evidence import Evidence
    from rag.question import analyse_question

    text = ("The war has claimed more than 13,200 lives. Ministers met in Riga on December 3 to talk about the war. "
            "Officials say 4,000 soldiers are among the dead in the war.")
    sentences = text.split(". ")
    spans, at = [], 0
    for i, sentence in enumerate(sentences):
        sentence += "" if i == len(sentences) - 1 else "."
        spans.append(Span("a.txt", "A", "a.txt#0", at, at + len(sentence), sentence))
        at += len(sentence) + 1
    first, dated, counted = spans
    assert all(text[s.start : s.end] == s.text for s in spans) and counted.text.endswith("war.")
    info = analyse_question("How many people have died in the war?")
    ranked = [(0.8, first), (0.7, dated), (0.65, counted)]
    named = {(s.source, s.start, s.end) for _, s in ranked}
    alone = Evidence(True, "", ranked, info, qualifying=[(0.8, first)], named=named)
    text_out, citations = compose_answer(alone)
    assert [c.quote for c in citations] == [first.text] and "December 3" not in text_out
    tied = Evidence(True, "", ranked, info, qualifying=[(0.8, first), (0.75, counted)], named=named)
    text_out, citations = compose_answer(tied)  # the evidence cannot tell the two counts apart: both, cited
    assert [c.quote for c in citations] == [first.text, counted.text] and "December 3" not in text_out
    far = Evidence(True, "", ranked, info, qualifying=[(0.8, first), (0.6, counted)], named=named)
    assert [c.quote for c in compose_answer(far)[1]] == [first.text]


def test_drafts_are_not_split_at_abbreviations_or_initials():
    from rag.citations import split_sentences

    got = split_sentences("Mourners met at St. Brigid's on Oct. 14 [1]. Dr. Ana Costa and J. K. Rowling spoke [2]. "
                          "The U.S. Senate agreed.")
    assert [s for s, _ in got] == ["Mourners met at St. Brigid's on Oct. 14.", "Dr. Ana Costa and J. K. Rowling spoke.",
                                   "The U.S. Senate agreed."]
    assert [n for _, n in got] == [[1], [2], []]
