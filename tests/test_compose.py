"""The answer a person would write: the answer first, the shortest exact span, and the shape the question asks for.
Also the stages around it: the verified draft's acceptance criterion, the typed trace and stream events."""

from __future__ import annotations

import pytest

from rag.citations import Span
from rag.clauses import trim_span
from rag.compose import answer_shape, asks_across_articles, compose_answer, question_parts, yes_no_lead
from rag.drafting import Draft, stream_draft
from rag.evidence import Evidence
from rag.question import analyse_question
from rag.trace import AnswerTrace
from rag.types import Answer, Delta, Final
from rag.verification import worse_than_extractive


def spans_of(text: str, source: str = "a.txt", title: str = "A headline") -> list[Span]:
    """Each line of ``text`` as a span of it (exact offsets)."""
    out, at = [], 0
    for line in text.split("\n"):
        out.append(Span(source, title, f"{source}#0", at, at + len(line), line))
        at += len(line) + 1
    return out


def evidence_for(question: str, qualifying: list[tuple[float, Span]], ranked=None) -> Evidence:
    ranked = ranked or qualifying
    return Evidence(True, "", ranked, analyse_question(question), qualifying=qualifying,
                    named={(s.source, s.start, s.end) for _, s in ranked})


def test_a_single_fact_is_one_span_cut_to_the_clause_that_answers():
    text = ("MANCHESTER, England (AP) — Ines Marlowe headed in the winner in the 88th minute as Harbour City beat "
            "Northgate Rovers 2-1 in the cup final on Saturday, giving the club its first major trophy in two decades.")
    (sp,) = spans_of(text)
    out, cites = compose_answer(evidence_for("Who scored the winning goal for Harbour City in the cup final?",
                                             [(0.8, sp)]))
    assert out.startswith("Ines Marlowe headed in the winner") and "MANCHESTER" not in out
    assert "giving the club" not in out and out.endswith("Saturday [1].")
    c = cites[0]
    assert text[c.start : c.end] == c.quote and c.quote.startswith("Ines Marlowe")  # the quote is exact


def test_a_clause_is_not_cut_between_subject_and_verb_or_away_from_the_value():
    (sp,) = spans_of("The utility's safety measures, the judge said on Monday, were not unreasonable.")
    assert trim_span(sp, analyse_question("What did the judge say about the safety measures?")) == sp
    (sp,) = spans_of("Construction is due to begin in the summer, and Veltrix expects the first chips in 2028.")
    assert "2028" in trim_span(sp, analyse_question("When will Veltrix make its first chips?")).text


def test_a_date_question_keeps_the_dateline_that_holds_the_date():
    (sp,) = spans_of("MINAMISATO, Japan, 18 March 2025 — Chugai restarted the No. 2 reactor on Tuesday.")
    assert trim_span(sp, analyse_question("On what date was the Minamisato reactor restarted?")).text.startswith(
        "MINAMISATO, Japan, 18 March 2025")


def test_never_a_headline_or_a_question_as_the_answer_sentence():
    title = "Quillpay says hackers stole data of 2.3 million customers"
    head, q, body = spans_of(f"{title}\nWho is to blame?\nHackers accessed the data of 2.3 million customers.",
                             title=title)
    out, cites = compose_answer(evidence_for("How many customers did the Quillpay hack affect?",
                                             [(0.9, head), (0.85, q), (0.8, body)]))
    assert [c.quote for c in cites] == [body.text]


def test_a_near_tie_shows_both_sentences_a_clear_winner_only_one():
    a, b = spans_of("The deal is worth Rs 5,000 crore.\nThe loans go up to Rs 50,000 each.")
    q = "How big is the Odisha farm loan waiver?"
    assert len(compose_answer(evidence_for(q, [(0.8, a), (0.75, b)]))[1]) == 2
    assert len(compose_answer(evidence_for(q, [(0.8, a), (0.6, b)]))[1]) == 1


@pytest.mark.parametrize("question, evidence, lead", [
    ("Did Harlan Voss plead guilty?", "He has pleaded not guilty to 11 counts, including wire fraud.", "No"),
    ("Did Ramírez concede defeat?", "Ramírez conceded shortly after midnight in a brief statement.", "Yes"),
    ("Is Chugai planning to restart the No. 1 reactor?", "Chugai has no current plans to restart No. 1.", "No"),
    ("Did the Senate override the veto?", "The Senate fell short of the votes needed to override the veto.", "No"),
    ("Is Sarangi Logistics a listed company?", "Sarangi is a family-controlled trucking company.", ""),
    ("Did Northgate finish with 11 players?", "Brandt was sent off, leaving Northgate with 10.", ""),
    # the verb is there, but not what was expected: no verdict
    ("Did Koh expect to win the final game?", 'Koh prepared for the final game. "I expected a draw," he said.', ""),
    ("Did Koh expect to win the final game?", "Koh said he expected to win the final game.", "Yes"),
])
def test_yes_or_no_first_only_when_the_evidence_settles_it(question, evidence, lead):
    assert yes_no_lead(analyse_question(question), evidence) == lead


def test_a_yes_no_answer_leads_with_the_verdict_and_cites_the_sentence():
    (sp,) = spans_of("Voss has pleaded not guilty to 11 counts, including wire fraud.")
    out, cites = compose_answer(evidence_for("Did Harlan Voss plead guilty?", [(0.8, sp)]))
    assert out.startswith("No, Voss has pleaded not guilty") and out.endswith("[1].") and len(cites) == 1


def test_question_shapes():
    assert question_parts("When was the final played, and what was the score?") == [
        "When was the final played", "what was the score"]
    assert answer_shape(analyse_question("When was the final played, and what was the score?")).kind == "parts"
    assert answer_shape(analyse_question("Which countries will the specimens be sent to?")).kind == "list"
    assert answer_shape(analyse_question("Who were the candidates for mayor?")).kind == "list"
    assert answer_shape(analyse_question("Who scored the winner?")).kind == "single"
    assert answer_shape(analyse_question("Did Voss plead guilty?")).kind == "yesno"
    assert answer_shape(analyse_question("Which teams did Harbour City knock out?")).kind == "list"
    assert answer_shape(analyse_question("Which process was used?")).kind == "single"
    assert asks_across_articles("How many died, according to the different reports?")
    assert not asks_across_articles("Who scored the winner?")


def test_a_two_part_question_gets_a_span_for_each_part():
    date, score, other = spans_of("The final was played on 12 October 2024.\nThe final score was 2-1 to Harbour City.\n"
                                  "Tickets sold out in a day.")
    ev = evidence_for("On what date was the final played, and what was the score?",
                      [(0.8, date)], ranked=[(0.8, date), (0.7, other), (0.6, score)])
    out, cites = compose_answer(ev)
    assert [c.quote for c in cites][0] == date.text and len(cites) == 2


def test_a_verified_draft_is_kept_unless_worse_than_the_extractive_answer():
    ev = evidence_for("How many jobs will the plant create?", [(0.8, spans_of("It will employ 1,800 people.")[0])])
    assert worse_than_extractive("The plant will create 1,800 permanent jobs [1].", ev) is None
    assert worse_than_extractive("The plant is in Lower Saxony near the coast [1].", ev) == "verified draft gives no number"
    ev = evidence_for("Why did Veltrix pick Haldenburg?", [(0.8, spans_of("It is close to carmakers.")[0])])
    assert worse_than_extractive("Veltrix picked Haldenburg [1].", ev) == "verified draft only restates the question"
    assert worse_than_extractive("Haldenburg is close to carmakers and wind power [1].", ev) is None


def test_trace_round_trips_and_leaves_out_unset_fields():
    trace = AnswerTrace(answer_mode="auto", backend="extractive", model="none", extractive=True, total_ms=3.0)
    d = trace.to_dict()
    assert d == {"answer_mode": "auto", "backend": "extractive", "model": "none", "extractive": True, "total_ms": 3.0}
    assert AnswerTrace.from_dict({**d, "from_a_newer_version": 1}) == trace
    answer = Answer("x", trace=trace)
    assert answer.metadata == d and answer.to_dict()["metadata"] == d


class _Chunk:
    def __init__(self, content, finish=None):
        self.content = content
        self.response_metadata = {"finish_reason": finish} if finish else {}


class _Model:
    def __init__(self, chunks):
        self.chunks = chunks

    def stream(self, messages):
        yield from self.chunks


def _drain(gen):
    events = []
    try:
        while True:
            events.append(next(gen))
    except StopIteration as stop:
        return events, stop.value


def test_the_draft_stage_streams_deltas_and_returns_the_draft():
    from rag.errors import LLMError

    events, draft = _drain(stream_draft(_Model([_Chunk("It opens "), _Chunk("in 2028 [1]."), _Chunk("", "stop")]),
                                        [], started=0.0, needs_finish=True, endpoint="x", to_error=LLMError))
    assert [e.text for e in events] == ["It opens ", "in 2028 [1]."] and all(isinstance(e, Delta) for e in events)
    assert isinstance(draft, Draft) and draft.text == "It opens in 2028 [1]." and not draft.cut_at_token_limit
    _, cut = _drain(stream_draft(_Model([_Chunk("It opens in", "length")]), [], started=0.0, needs_finish=True,
                                 endpoint="x", to_error=LLMError))
    assert cut.cut_at_token_limit
    with pytest.raises(LLMError, match="closed the stream"):
        _drain(stream_draft(_Model([_Chunk("It opens")]), [], started=0.0, needs_finish=True, endpoint="x",
                            to_error=LLMError))


def test_stream_events_are_typed():
    assert Delta("a").kind == "delta" and Final(Answer("x")).kind == "answer"


def test_a_verified_draft_that_cites_a_non_answering_sentence_loses_to_the_extractive_answer():
    from rag.types import Citation

    answer, other = spans_of("The Nord Stream 2 pipeline could be killed.\nThe Druzhba pipeline carries oil.")
    ev = evidence_for("Which gas pipeline could be killed under the sanctions?", [(0.8, answer)])
    beside = [Citation(1, other.source, other.title, other.chunk_id, other.text, other.start, other.end)]
    on = [Citation(1, answer.source, answer.title, answer.chunk_id, answer.text, answer.start, answer.end)]
    assert worse_than_extractive("The Druzhba pipeline carries oil [1].", ev, citations=beside).startswith(
        "verified draft's first sentence rests on no sentence")
    assert worse_than_extractive("Nord Stream 2 could be killed [1].", ev, citations=on) is None


@pytest.mark.parametrize("sentence, span, kind", [
    ("Northgate Rovers beat Harbour City 2-1.", "Harbour City beat Northgate Rovers 2-1 in the final.", "role swap"),
    ("Scholz said the talks were useful.", "The talks were useful, Macron told reporters after meeting Scholz.",
     "speaker"),
    ("The talks were useful, according to Scholz.", "The talks were useful, Macron told reporters.", "speaker"),
    ("The firm will cut 300 jobs and close 12 stores.", "The firm will close 300 stores and cut 12 jobs.", "number"),
])
def test_the_verifier_catches_a_relation_the_span_does_not_state(sentence, span, kind):
    from rag.citations import supports
    from rag.relations import conflict

    assert (conflict(sentence, span) or "").startswith(kind)
    assert not supports(sentence, span)


@pytest.mark.parametrize("sentence, span", [
    ("Harbour City beat Northgate Rovers 2-1.", "Harbour City beat Northgate Rovers 2-1 in the final."),
    ("Northgate were beaten by Harbour City.", "Harbour City beat Northgate Rovers 2-1."),
    ("Macron said the talks were useful.", "The talks were useful, Macron told reporters after meeting Scholz."),
    ("The firm will cut 300 jobs.", "The firm said it will cut 300 jobs and close 12 stores."),
])
def test_the_relation_check_accepts_the_same_relation_in_other_words(sentence, span):
    from rag.relations import conflict

    assert conflict(sentence, span) is None


def test_a_verified_draft_that_talks_around_its_answering_sentence_loses():
    from rag.types import Citation

    (sp,) = spans_of('A senior official said, "The best way to do that is to surge money, munitions, and mobilization."')
    ev = evidence_for("What should be surged to bolster the defenses?", [(0.8, sp)])
    cite = [Citation(1, sp.source, sp.title, sp.chunk_id, sp.text, sp.start, sp.end)]
    assert worse_than_extractive("The official said comprehensive support is crucial for defense [1].", ev,
                                 citations=cite).startswith("verified draft leaves out most")
    assert worse_than_extractive("Money, munitions and mobilization should be surged, the official said [1].", ev,
                                 citations=cite) is None


BLOCK = ("The club will play in the final on Saturday.\nHarbour City's route to the final:\n- Round of 16: beat Carrow Vale 4-0\n"
         "- Quarter-final: beat Westmere 2-1\n- Semi-final: beat Ashby Town 1-0\nThe club last won a trophy in 2005.")


def block_evidence(question: str, best_at: tuple[int, int] | None = None) -> Evidence:
    lines = spans_of(BLOCK)
    glued = Span("a.txt", "A headline", "a.txt#0", lines[1].start, lines[2].end, BLOCK[lines[1].start:lines[2].end])
    best = glued if best_at is None else lines[best_at[0]]
    ranked = [(0.8, best)] + [(0.5 - 0.01 * i, sp) for i, sp in enumerate(lines) if sp is not best] + [(0.3, glued)]
    return evidence_for(question, [(0.8, best)], ranked=ranked)


def test_a_list_question_answered_by_a_list_header_gets_every_item_of_its_block():
    out, cites = compose_answer(block_evidence("Which teams did Harbour City beat on the way to the final?"))
    lines = BLOCK.split("\n")
    assert [c.quote for c in cites] == [lines[1] + "\n" + lines[2]] + [line[2:] for line in lines[3:5]]
    assert "Westmere" in out and "Ashby Town" in out and "2005" not in out and "Saturday" not in out
    for c in cites:
        assert BLOCK[c.start:c.end] == c.quote
    # the best span one of the items: the same block, from its header
    _, cites = compose_answer(block_evidence("Which teams did Harbour City beat on the way to the final?", (3, 0)))
    assert len(cites) == 3 and cites[0].quote.startswith("Harbour City's route")


def test_a_header_alone_over_bullets_is_never_the_whole_answer_but_one_glued_item_is_a_fact():
    _, cites = compose_answer(block_evidence("How did Harbour City reach the final?", (1, 0)))
    assert len(cites) == 3  # the header states nothing: its items follow
    _, cites = compose_answer(block_evidence("How did Harbour City reach the final?"))
    assert len(cites) == 1  # header and first item: one fact
    table = "Second quarter at a glance:\nRevenue: $4.2bn\nNet income: $310m"
    head, rev, net = spans_of(table)
    glued = Span("a.txt", "A headline", "a.txt#0", 0, rev.end, table[:rev.end])
    _, cites = compose_answer(evidence_for("What was the revenue?", [(0.8, glued)],
                                           ranked=[(0.8, glued), (0.5, head), (0.5, rev), (0.4, net)]))
    assert [c.quote for c in cites] == [glued.text]


def test_a_clause_cut_never_splits_a_list_of_names():
    (sp,) = spans_of("Specimens will now be examined by taxonomists at partner institutions in Norway, Portugal and "
                     "France.")
    assert trim_span(sp, analyse_question("Which countries will the specimens be sent to?")).text.endswith("France.")
    (sp,) = spans_of("Ines Marlowe scored the winner for Harbour City on Saturday, giving the club a first trophy.")
    assert trim_span(sp, analyse_question("Who scored the winner?")).text.endswith("on Saturday")


ROADS = ("The Assembly approved the loan to rebuild 212 kilometres of state roads.\n"
         "The roads to be rebuilt in the first phase include:\n- the Sagamu–Ikenne road\n- the Abeokuta inner ring road\n"
         "- the Ota–Idiroko road\nOpposition lawmakers walked out before the vote.")


def roads_evidence(header_rel: float) -> Evidence:
    lines = spans_of(ROADS)
    ranked = [(0.8, lines[0]), (0.6, lines[1])] + [(0.5 - 0.01 * i, sp) for i, sp in enumerate(lines[2:])]
    ev = evidence_for("Which roads will Ogun rebuild in the first phase?", [(0.8, lines[0])], ranked=ranked)
    ev.features = {(sp.source, sp.start, sp.end): {"names_near": True, "rel": header_rel if sp is lines[1] else 0.1}
                   for _, sp in ranked}
    return ev


def test_a_list_question_takes_the_list_an_article_sets_out_even_when_its_header_is_not_the_best_sentence():
    out, cites = compose_answer(roads_evidence(header_rel=0.4))
    lines = ROADS.split("\n")
    assert [c.quote for c in cites] == [lines[1]] + [line[2:] for line in lines[2:5]]
    assert "212 kilometres" not in out and "walked out" not in out
    # each item stands as its own sentence (capitalised, so a reader and a sentence splitter see where it ends)
    assert "[1]. The Sagamu–Ikenne road [2]. The Abeokuta inner ring road [3]. The Ota–Idiroko road [4]." in out
    for c in cites:
        assert ROADS[c.start:c.end] == c.quote
    # a header that shares no word with the question's relation is not taken for its list
    _, cites = compose_answer(roads_evidence(header_rel=0.0))
    assert cites[0].quote == lines[0]


def test_a_list_draft_that_leaves_out_an_item_of_the_articles_list_loses_to_the_extractive_answer():
    ev = roads_evidence(header_rel=0.4)
    _, items = compose_answer(ev)
    one = [items[1]]
    reason = worse_than_extractive("The first phase includes the Sagamu–Ikenne road [1].", ev, citations=one)
    assert reason == "verified draft leaves out 2 of the 3 items the article lists"
    text = ("The first phase covers the Sagamu–Ikenne road, the Abeokuta inner ring road and the Ota–Idiroko "
            "road [1].")
    assert worse_than_extractive(text, ev, citations=one) is None  # all three said, though one is cited
    assert worse_than_extractive("Phase one: the Sagamu–Ikenne road [1], the Abeokuta inner ring road [2] and the "
                                 "Ota–Idiroko road [3].", ev, citations=items[1:]) is None


def test_a_draft_across_articles_that_leaves_out_an_article_loses_to_the_extractive_answer():
    (a,) = spans_of("The EU says about 150,000 troops are near the border.", source="a.txt")
    (b,) = spans_of("NATO put the number of troops near the border at 100,000.", source="b.txt")
    ev = evidence_for("How many troops were reported near the border across the articles?", [(0.8, a), (0.7, b)])
    _, both = compose_answer(ev)
    assert {c.source for c in both} == {"a.txt", "b.txt"}
    reason = worse_than_extractive("The EU says about 150,000 troops are near the border [1].", ev, citations=both[:1])
    assert reason == "verified draft leaves out 1 of the 2 articles the extractive answer draws on"
    assert worse_than_extractive("The EU counts about 150,000 troops near the border [1]; NATO puts it at 100,000 "
                                 "[2].", ev, citations=both) is None
