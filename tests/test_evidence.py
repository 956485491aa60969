"""The text layer, question analysis and the evidence check on text that is not the seeds.

Everything here is real: spaCy's en_core_web_sm from its wheel, the MiniLM embeddings, Chroma. The articles are
written for this file, in other domains and house styles than the seeds."""

from __future__ import annotations

import pytest

from rag import Pipeline, Settings
from rag.conversation import needs_context
from rag.evidence import has_answer_type
from rag.question import analyse_question
from rag.text import analyse, name_matches

from conftest import assert_answer_invariants


# -- names ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,text,label", [
    ("Puttin", "Vladimir Putin said on Tuesday", "PERSON"),
    ("Borel", "Josep Borrell told reporters", "PERSON"),
    ("Josep Borrell", "Borrell said the visit would last three days", "PERSON"),
    ("Harlen Vos", "Harlan Voss was sentenced", "PERSON"),
    ("Zelenskiy", "President Zelenskyy’s office", "PERSON"),
    ("Lumora Mobile", "Lumora said pre-orders would open", "ORG"),
    ("Lumorra Mobile", "Lumora Mobile, founded in 2016", "ORG"),
    ("Ashbey Mils", "floodwaters tore through Ashby Mills", "GPE"),
    ("U.S.", "the US sent 31 tanks", "GPE"),
    ("SB-DV4", "The vaccine, known as SB-DV4, protects", None),
    ("Ursula von der Leyen", "von der Leyen said", "PERSON"),
    ("Jalen Osie", "guard Jalen Osei averaged 21.4 points", "PERSON"),   # two letters swapped
    ("SB", "Senate Bill 112, sponsored by Sen. Whitfield", None),        # an acronym, spelt out
    ("DMO", "approval from the federal Debt Management Office", "ORG"),
])
def test_names_are_found_in_their_short_and_misspelt_forms(name, text, label):
    assert name_matches(name, text, label=label)


@pytest.mark.parametrize("name,text,label", [
    ("Roberts", "Robert F. Kennedy spoke", "PERSON"),   # a different surname that starts the same
    ("Harbour City", "Port City won the final", "GPE"),
    ("New Mexico", "the New York Senate", "GPE"),
    ("Bank of Japan", "the Bank of Korea raised rates", "ORG"),
    ("Dan Patel", "Dan Lee visited Dallas", "PERSON"),
    ("Chess Olympiad", "Teenager wins national chess title", "EVENT"),  # a common word is no proper noun
])
def test_other_names_are_not_taken_for_the_asked_one(name, text, label):
    assert not name_matches(name, text, label=label)


@pytest.mark.parametrize("question,name", [
    ("Who is Eric Adams?", "Eric Adams"), ("What did Imran Khan say about the vote?", "Imran Khan"),
    ("Who did Jake Sullivan meet?", "Jake Sullivan"), ("When did Brian Kemp sign the bill?", "Brian Kemp"),
    ("What did Wang Yi tell reporters?", "Wang Yi"), ("Where did Ursula von der Leyen speak?", "Ursula von der Leyen"),
    ("Which city did Dan Lee visit?", "Dan Lee"),
])
def test_names_from_any_country_are_names(question, name):
    assert name in analyse_question(question).names


# -- what is asked ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("question,wants", [
    ("When did the storm make landfall?", "date"), ("On what date was the reactor restarted?", "date"),
    ("How long did the trial last?", "duration"), ("how long will vikram sarangi stay on as chairman", "duration"),
    ("How much did Hoshizora pay for the stake?", "money"), ("How many tanks did the US send?", "number"),
    ("What percentage of voters turned out?", "percent"), ("What was the attendance at the final?", "number"),
    ("Who refereed the match?", "person"), ("Where will the plant be built?", "place"),
    ("Which countries make up the Bucharest Nine?", "place"), ("Which investor led the round?", "entity"),
    ("What did the governor say about the veto?", "speech"), ("Did the Senate override the veto?", "yesno"),
    ("Why did the coach resign?", "reason"), ("How did the thieves get in?", "any"),
    ("Tell me the story of the rescue", "any"),
    ("How much rain fell on the county?", "number"), ("How old is the defendant?", "number"),
    ("How much money did the minister pledge?", "money"), ("How much cash does the club hold?", "money"),
    ("What daily water-use threshold triggers a permit?", "number"),
])
def test_the_kind_of_answer_comes_from_the_question_syntax(question, wants):
    assert analyse_question(question).wants == wants


def test_the_asked_attribute_stands_in_for_a_light_verb():
    info = analyse_question("What net income did Kestrel Foods post for the second quarter?")
    assert info.predicate == "income"  # "Net income fell to $310 million" answers it, "post" or not
    assert analyse_question("Why was Marlowe sent off?").particle == "off"
    assert analyse_question("What was the attendance at the final?").focus == ["attendance"]  # "Attendance: 41,203"


def test_the_verb_after_a_named_subject_is_the_predicate_even_when_tagged_as_a_noun():
    assert analyse_question("Why did the Toronto Lakeshore Herons fire coach Marcus Abara?").predicate == "fire"
    # a possessive subject is followed by its noun, not by a verb
    assert analyse_question("How did Kestrel's share price react to its results?").predicate != "share"


def test_the_attribute_of_a_named_owner_is_what_the_answer_must_state():
    assert analyse_question("What was Kestrel Foods' net income in the third quarter?").predicate == "income"
    assert analyse_question("What was the vote count in the Senate?").predicate == "vote"
    assert analyse_question("What are the key sector allocations in the budget?").predicate == ""  # a list


def test_how_with_an_adjective_asks_for_a_measure_and_keeps_the_adjective():
    info = analyse_question("How effective was the vaccine in the phase 3 trial?")
    assert info.wants == "number" and "effective" in info.relation  # "67.3% effective" repeats it
    assert "old" not in analyse_question("How old is the defendant?").relation


def test_quarters_and_halves_are_read_in_their_written_forms():
    from rag.question import periods_in

    assert periods_in("its second-quarter net profit fell") == periods_in("Q2 2023 results") == {("2", "quarter")}
    assert periods_in("in the first half") == {("1", "half")} and periods_in("a quarter of voters") == set()


def test_the_relation_words_and_the_asked_year_are_kept():
    info = analyse_question("Who refereed the 2023 Women's Coastal Cup final?")
    assert "referee" in info.relation or "refereed" in info.relation
    assert info.years == ["2023"]
    assert analyse_question("How many tanks did the US send?").focus == ["tank"]
    assert analyse_question("Why did Veltrix scrap its plans?").predicate == "scrap"


def test_an_elliptic_follow_up_keeps_the_kind_of_answer_of_the_previous_question():
    assert analyse_question("What about the 512GB version?", "How much does the Fold X cost?").wants == "money"


# -- values in international formats --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,wants", [
    ("The vote was held on Oct. 14.", "date"), ("It opened on 8 October 2024.", "date"),
    ("The filing is dated 2024-10-14.", "date"),
    ("The feud has lasted two decades.", "duration"), ("The attackers were inside for 90 seconds.", "duration"),
    ("It ended Northgate's 14-match unbeaten run.", "duration"), ("He was jailed for 18 months.", "duration"),
    ("The deal is worth Rs 5,000 crore.", "money"), ("Operating profit was 200bn yen.", "money"),
    ("The plant costs €3bn.", "money"), ("The state borrowed ₦50bn.", "money"), ("It raised R$3.4 billion.", "money"),
    ("Turnout: 41.3%", "percent"), ("Attendance: 41,203", "number"), ("Sipho Dlamini, a 34-year-old paramedic", "number"),
    ("Fifteen-year-old Daniel Koh won the title.", "number"), ("The forty-two-year-old coach resigned.", "number"),
    ("It surveyed an extinct underwater volcano about 340 km west of the coast.", "place"),
])
def test_values_are_recognised_in_many_formats(text, wants):
    assert has_answer_type(text, wants)


@pytest.mark.parametrize("text,wants", [
    ("NATO members are gathering in Brussels today, December 3, for a meeting.", "number"),
    ("They met on 3 January 2022.", "number"),
    ("Blinken visits Kyiv this week.", "duration"),
    ("The club's chairman praised the players.", "money"),
    ("Shares fell 3% as the company moved west of its forecast range.", "place"),  # a bearing needs a distance
    # a title-case phrase the model reads as a place is not a person the who-question is after
    ("Sentencing them, the judge said the raid had robbed the North East of part of its story.", "person"),
])
def test_a_value_of_another_kind_is_not_an_answer(text, wants):
    assert not has_answer_type(text, wants)


def test_a_dateline_s_place_and_agency_are_not_who_did_it():
    info = analyse_question("Who declared a state of emergency after the flood?")
    filed = "ELMFORD, Ore. (AP) — Floodwaters tore through this small town overnight, officials said Monday."
    assert not has_answer_type(filed, info.wants, info)
    assert has_answer_type(filed.replace("officials said", "Gov. Ana Ruiz said"), info.wants, info)
    assert has_answer_type(filed, "place", analyse_question("Where did the floodwaters tear through?"))


def test_a_number_the_question_already_gives_is_not_an_answer():
    info = analyse_question("What daily water-use threshold triggers a permit under SB 112?")
    text = "Senate Bill 112, sponsored by Sen. Whitfield, would require a permit above a daily threshold."
    assert not has_answer_type(text, info.wants, info)
    assert has_answer_type(text.replace("a daily threshold", "500,000 gallons a day"), info.wants, info)


# -- follow-ups without a noun list ----------------------------------------------------------------------------------

@pytest.mark.parametrize("question,needs", [
    ("How long did the trial last?", True), ("How much did they pay?", True), ("What about Tuesday?", True),
    ("And the runner-up?", True), ("who said that?", True), ("What did NATO say about that?", True),
    ("When did Josep Borrell visit Kyiv?", False),
    ("How much was the military aid package that Antony Blinken announced?", False),
    ("Which striker scored for Harbour City in the final?", False),
])
def test_follow_ups_are_detected_by_grammar(question, needs):
    assert needs_context(question) is needs


# -- the decision, end to end on a corpus that is not the seeds ------------------------------------------------------

MATCH = """Marlowe header wins the cup for Harbour City

MANCHESTER, England (AP) — Oct. 12, 2024 — Ines Marlowe headed in the winner in the 88th minute as Harbour City beat Northgate Rovers 2-1 in the Women's Coastal Cup final on Saturday.

Marlowe rose above two defenders to meet a corner from Sofie Lindqvist.

Northgate defender Leah Brandt was sent off in the 79th minute. Lindqvist, 24, sent the ball into the box from the left.

Heavy rain, 40 mm in two hours, fell on the stadium before kick-off, and 12 fans were treated for heat exhaustion.

Northgate had taken the lead through Priya Castellanos in the 31st minute.

The defeat ended Northgate's 14-match unbeaten run in all competitions.

Score: 2-1
Attendance: 41,203

Harbour City declined to say how much prize money the players would share.

Harbour City paid each player a £5,000 bonus after the semi-final. The club declined to say how much it had paid the manager.

A person familiar with the club's plans, who asked not to be named, said the manager would be offered a new contract.

A Harbour City official, who requested anonymity because he was not authorised to comment, said coach Ana Ruiz would stay.
"""

DEAL = """Hoshizora to buy majority of Sarangi Logistics

TOKYO, 12 November 2024 — Hoshizora Holdings said on Tuesday it had agreed to buy a 51% stake in Sarangi Logistics for Rs 5,000 crore.

Sarangi operates 140 warehouses across 22 Indian states and employs about 11,000 people.

Hoshizora declined to say whether it would buy the remaining 49%.

The deal is expected to close in March 2025, subject to regulatory approval.
"""


OUTBREAK = """Two patients die in Legionnaires' outbreak

TORONTO, 8 October 2024 — Two patients have died and nine others have fallen ill in an outbreak of Legionnaires' disease at Lakeshore Mercy Hospital, public health officials said on Tuesday.

Investigators pointed to a decorative fountain in the hospital's main atrium as the likely source of the bacteria, which spread through water droplets in the air rather than from person to person.

All of the patients had been admitted to the hospital for other conditions, officials said, and most were over 70. The 11 cases were identified over a period of 19 days, beginning on Sept. 17, and the fountain was shut off and drained on Oct. 4.

The city's medical officer of health said the risk to the public was low and that the hospital remained open to visitors. Officials said a full report on the outbreak would be published early next year, once laboratory tests on water samples from the atrium, the kitchens and the cooling towers on the roof had been completed.

The two patients who died were a 78-year-old man and an 84-year-old woman. Their names have not been released.
"""


def corpus_pipeline(tmp_path_factory, name: str, articles: dict[str, str]) -> Pipeline:
    """An extractive pipeline over ``articles`` (file name → text), indexed in a fresh home."""
    root = tmp_path_factory.mktemp(name)
    corpus = root / "articles"
    corpus.mkdir()
    for file, text in articles.items():
        (corpus / file).write_text(text, encoding="utf-8")
    p = Pipeline(Settings.from_env({"RAG_HOME": str(root / "home"), "RAG_SEEDS_DIR": str(corpus),
                                    "RAG_ANSWER_MODE": "extractive"}))
    p.ingest([corpus])
    return p


@pytest.fixture(scope="module")
def news_pipeline(tmp_path_factory):
    return corpus_pipeline(tmp_path_factory, "news", {"match.txt": MATCH, "deal.txt": DEAL, "outbreak.txt": OUTBREAK})


@pytest.mark.parametrize("question,fact", [
    ("Who scored the winning goal for Harbour City?", "Marlowe"),
    ("Who delivered the corner for the winner?", "Lindqvist"),
    ("How long was Northgate's unbeaten run?", "14-match"),
    ("What was the attendance at the final?", "41,203"),
    ("How much is Hoshizora paying for the Sarangi stake?", "5,000 crore"),
    ("How many warehouses does Sarangi operate?", "140"),
    ("how many warehouses does sarangi logistics run", "140"),
    ("When is the Hoshizora deal expected to close?", "March 2025"),
    ("Who scored for Harbour Citty in the final?", "Marlowe"),
    ("Who was sent off in the final?", "Brandt"),                       # the verb with its particle
    ("How much rain fell on the stadium?", "40 mm"),                     # an amount of rain, not money
    ("How old is Sofie Lindqvist?", "24"),
])
def test_answerable_questions_are_answered_and_cited(news_pipeline, question, fact):
    answer = news_pipeline.ask(question)
    assert not answer.abstained, answer.metadata.get("abstain_reason")
    assert fact in answer.text
    for c in answer.citations:
        assert news_pipeline.index.original_text(c.source)[c.start:c.end] == c.quote


@pytest.mark.parametrize("question", [
    "Who refereed the match?",                                        # the match is there, the referee is not
    "How many tanks did Harbour City send?",                          # a count, but not of tanks
    "What was the score in the 2019 Women's Coastal Cup final?",      # the same event, another year
    "How much prize money will the Harbour City players share?",      # declined to say
    "Who said the manager would be offered a new contract?",          # an unnamed source
    "Will Hoshizora buy the remaining 49% of Sarangi?",               # declined to say
    "Who is the chief executive of Sarangi Logistics?",               # the company is there, its CEO is not
    "What is the boiling point of mercury?",                          # nothing about it
    "How many buildings were damaged by the rain?",                   # a count, but of fans, not buildings
    "Why was Marlowe sent off?",                                      # she sent the ball, nobody sent her off
    "How old is Leah Brandt?",                                        # the age in the next sentence is another's
    "Who was the Harbour City official who said the coach would stay?",  # the official is anonymous
    "Why did Harbour City sack Ines Marlowe?",                        # a false premise: the verb is nowhere
    "How much did Harbour City pay the manager?",                     # declined to say, though a £5,000 is there
])
def test_near_misses_abstain_without_sources(news_pipeline, question):
    answer = news_pipeline.ask(question)
    assert answer.abstained, answer.text
    assert answer.citations == [] and "[" not in answer.text


def test_the_question_is_analysed_offline_from_a_checked_model():
    a = analyse("Ines Marlowe scored for Harbour City on Oct. 12, 2024.")
    assert {"PERSON", "DATE"} <= {e.label for e in a.entities}


@pytest.mark.parametrize("question,fact,uncovered", [
    ("Who was sent off for Northgate, and who refereed the match?", "Brandt", "Who refereed the match?"),
    ("How many warehouses does Sarangi operate, and who is the chief executive of Sarangi Logistics?", "140",
     "Who is the chief executive of Sarangi Logistics?"),
])
def test_a_part_of_a_question_the_articles_do_not_cover_is_named_not_filled(news_pipeline, question, fact, uncovered):
    answer = news_pipeline.ask(question)
    assert not answer.abstained and fact in answer.text
    assert answer.text.endswith(f'The articles do not say: "{uncovered}"')
    assert len(answer.citations) == 1  # no sentence stands in for the part nobody answers


def test_a_part_that_refers_back_is_not_judged_alone(news_pipeline):
    answer = news_pipeline.ask("How many warehouses does Sarangi operate, and who is its chief executive?")
    assert "140" in answer.text and "do not say" not in answer.text  # "its": who is meant is in the other part


def test_a_question_no_part_of_which_is_covered_abstains(news_pipeline):
    answer = news_pipeline.ask("Who refereed the match, and who is the chief executive of Sarangi?")
    assert answer.abstained and answer.citations == []


def test_a_withholding_sentence_refers_back_to_the_story_s_subject(news_pipeline):
    from rag.evidence import gather

    q = "What were the names of the two patients who died at Lakeshore Mercy Hospital?"
    p = news_pipeline
    info, cands, early = gather(q, p.retriever.search(q), p.index.original_text, p.index.embeddings.embed_cached)
    withheld = [c for c in cands if c.span.text.strip() == "Their names have not been released."]
    assert early is None and withheld and withheld[0].withheld
    assert withheld[0].names_near  # the hospital is named paragraphs above, never near the sentence


# -- tables of "label: value" rows ----------------------------------------------------------------------------------

RESULT = """Civic Alliance takes Ward 9 in Riverton by-election

RIVERTON, 15 October 2024 — The Civic Alliance has won the Ward 9 seat on Riverton council in Monday's by-election.

With less than two weeks to go, the three candidates had debated street lighting in front of voters at the town hall.

Results as announced by the electoral commission:

Candidate: Ama Owusu (Civic Alliance)
Votes: 3,118
Candidate: Kofi Mensah (People's Congress)
Votes: 2,604
Registered voters: 14,988
Turnout: 41.3%

In the 2021 municipal elections, the People's Congress held the ward on a turnout of 48.9 per cent.
"""


@pytest.fixture(scope="module")
def result_pipeline(tmp_path_factory):
    return corpus_pipeline(tmp_path_factory, "result", {"result.txt": RESULT})


@pytest.mark.parametrize("question,fact,not_fact", [
    ("What was the turnout in the Riverton Ward 9 by-election?", "41.3%", "48.9"),   # the table row, not 2021
    ("How many registered voters are there in Riverton's Ward 9?", "14,988", "two weeks"),  # a count of voters
    ("How many votes did Kofi Mensah get?", "2,604", "3,118"),  # his record's row, not the row above his name
])
def test_a_table_row_answers_for_its_label_and_its_record(result_pipeline, question, fact, not_fact):
    answer = result_pipeline.ask(question)
    assert not answer.abstained, answer.metadata.get("abstain_reason")
    assert fact in answer.text and not_fact not in answer.text
    for c in answer.citations:
        assert result_pipeline.index.original_text(c.source)[c.start:c.end] == c.quote


def test_a_pair_never_joins_two_records_of_a_table():
    from rag.citations import _record_starts
    assert _record_starts(RESULT) == {"candidate"}
    assert _record_starts("Quake at a glance\nMagnitude: 5.9\nDepth: 11 km\n") == set()


def test_a_number_counts_the_asked_noun_or_the_row_is_labelled_with_it():
    from rag.candidate_checks import counts_focus, label_asked
    info = analyse_question("How many registered voters were there?")
    for text, counts in [("Registered voters: 194,400", True), ("The city has 194,400 registered voters.", True),
                         ("With less than two weeks to go, voters heard the three candidates.", False),
                         ("Floodwaters killed four people.", False)]:
        assert counts_focus(info, analyse(text), label_asked(info, text)) is counts, text
    people = analyse_question("How many people were displaced by the quake?")
    assert label_asked(people, "Displaced: about 4,200") and not label_asked(people, "Injured: 140")
    assert counts_focus(people, analyse("Floodwaters killed four people."), False)
    assert not label_asked(analyse_question("On which dates?"), "Authorization date: 10/22")  # "date" is the kind


def test_the_main_verb_may_be_said_in_other_words_but_not_without_its_particle():
    from rag.candidate_checks import paraphrased_verbs
    from rag.embeddings import get_embeddings
    embed = get_embeddings().embed_cached
    chosen = analyse("Ms van Aalst said Haldenburg had been chosen over shortlisted sites in Saxony.")
    begun = analyse("The council approved a floodwall, but construction had not begun.")
    assert "choose" in paraphrased_verbs(analyse_question("Why did Veltrix pick Haldenburg?"), [chosen], embed)
    assert "begin" in paraphrased_verbs(analyse_question("Has work started on the floodwall?"), [begun], embed)
    assert not paraphrased_verbs(analyse_question("Has work started on the floodwall?"), [chosen], embed)
    came = analyse("Marlowe, a substitute, came on in the 70th minute and was sent a long ball.")
    assert not paraphrased_verbs(analyse_question("Why was Ines Marlowe sent off?"), [came], embed)


@pytest.mark.parametrize("question,text,before,withheld", [
    ("Who is the third man charged over the raid?", "A third man, who cannot be named for legal reasons, is due to "
     "stand trial in March.", "", True),
    ("What were the names of the two patients who died?", "Their names have not been released.",
     "The two patients who died were a 78-year-old man and an 84-year-old woman. ", True),
    ("Who is the general manager of the Herons?", "Their names have not been released.",  # other people's names
     "The two patients who died were a 78-year-old man and an 84-year-old woman. ", False),
    ("Who is the chief executive of Quillpay?", "Quillpay declined to name the contractor.", "", False),
])
def test_a_name_asked_for_is_withheld_only_for_the_role_asked_about(question, text, before, withheld):
    from rag.candidate_checks import withholds_verb
    assert withholds_verb(analyse_question(question), text, before) is withheld


def test_the_names_the_article_withholds_are_not_answered_with_another_sentence(news_pipeline):
    answer = news_pipeline.ask("What were the names of the two patients who died in the Lakeshore Mercy outbreak?")
    assert answer.abstained and not answer.citations


def test_a_name_asked_for_by_role_is_withheld_when_the_role_speaks_unnamed():
    from rag.candidate_checks import is_withheld
    text = 'A company spokeswoman said in an email that Meridian was "committed to being a responsible water user."'
    info = analyse_question("What is the name of the Meridian Cloud spokeswoman who emailed a statement?")
    assert is_withheld(info, analyse(text), text, True, typed=True)
    other = analyse_question("What is the name of the Meridian Cloud data center?")
    assert not is_withheld(other, analyse(text), text, True, typed=True)


def test_a_who_question_about_a_source_is_withheld_when_the_article_gives_it_unnamed():
    from rag.candidate_checks import is_withheld

    text = "Pellham beat a rival offer from Corvid Capital, according to a person familiar with the talks."
    asked = analyse_question("Who revealed that Corvid Capital had made a rival offer?")
    assert is_withheld(asked, analyse(text), text, True, typed=True)
    other = analyse_question("Who beat the rival offer from Corvid Capital?")  # the news itself, not its source
    assert not is_withheld(other, analyse(text), text, True, typed=True)


QUAKE = """Quake shakes hill towns in the south

SAN LORENZO, Italy, 3 March 2025 — A magnitude 5.4 earthquake struck the hill town of San Lorenzo before dawn on Monday, killing at least 11 people and leaving hundreds without homes, the Meridiana Seismic Network said.

Rescuers worked through the night in the old town, where narrow lanes kept heavy machinery out. The regional president said the army would send tents, field kitchens and water tankers, and that schools would stay closed for the rest of the week while engineers checked every building. Residents of the upper town, where most of the damage was done, spent the night in cars and in a sports hall on the edge of town. Shops in the lower town reopened by midday. The region was hit by a stronger quake in 1980, and many of the older houses were never fully repaired.

Quake at a glance
Magnitude: 5.4
Injured: 65
Displaced: about 1,900

"We felt the floor lift and drop," said Dr Carla Benedetti, the seismologist who leads the network.
"""


@pytest.fixture(scope="module")
def quake_pipeline(tmp_path_factory):
    return corpus_pipeline(tmp_path_factory, "quake", {"quake.txt": QUAKE})


def test_a_table_row_labelled_with_the_asked_verb_answers_how_many(quake_pipeline):
    a = quake_pipeline.ask("How many people were displaced by the San Lorenzo quake?")
    assert not a.abstained and "1,900" in a.text and "1,900" in a.citations[0].quote


def test_a_name_the_lede_gives_covers_the_whole_article_for_a_question_that_asks_for_a_value(quake_pipeline):
    # the network is named in the lede only, far above the seismologist's line
    assert QUAKE.index("Dr Carla") - QUAKE.index("Meridiana Seismic Network") > 600
    a = quake_pipeline.ask("Who leads the Meridiana Seismic Network?")
    assert not a.abstained and "Benedetti" in a.text
    assert_answer_invariants(a, {"quake.txt": QUAKE}, quake_pipeline)


def test_what_is_withheld_is_read_off_its_question_word_clause():
    from rag.candidate_checks import withholds_verb

    text = "Corvid Cloud has not disclosed how much water the Elm Creek facility would use each day."
    assert withholds_verb(analyse_question("How much water will Corvid Cloud's Elm Creek data center use per day?"), text)
    text = "Pellham declined to say whether it intended to buy the rest of the company."
    assert withholds_verb(analyse_question("Does Pellham plan to buy the remaining 30% of Corvid?"), text)
    # what it withholds is about something else: the question is not answered "not disclosed"
    assert not withholds_verb(analyse_question("How many staff will the Elm Creek data center employ?"),
                              "Corvid Cloud has not disclosed how much water the facility would use.")


def test_the_analysis_cache_empties_without_losing_the_batch_it_is_answering(monkeypatch):
    # a long-running server crosses the cache's size limit mid-batch; the batch's own results must survive
    from rag import text as T

    monkeypatch.setattr(T, "_CACHE_MAX", 5)
    T._cache.clear()
    for i in range(4):
        T.analyse_many([f"Filler sentence number {i}."])
    batch = ["Ines Marlowe scored the winner.", "Filler sentence number 1.", "The fair opens on 14 May."]
    out = T.analyse_many(batch)
    assert [a.text for a in out] == batch and len(T._cache) <= 5


RIVER = """Floodwaters tear through Elmford

ELMFORD, 17 July 2023 — Floodwaters tore through the town overnight, officials said.

The river crested at 21.4 feet early Monday, the highest level recorded in Elmford since 1985.
"""


def test_a_year_the_sentence_only_compares_with_is_not_its_year(tmp_path_factory):
    p = corpus_pipeline(tmp_path_factory, "river", {"river.txt": RIVER})
    answer = p.ask("What height did the river reach in Elmford in the 2023 flood?")
    assert not answer.abstained and "21.4 feet" in answer.text, answer.metadata.get("abstain_reason")
    assert p.ask("What height did the river reach in Elmford in the 1985 flood?").abstained
    shares = "Kestrel results\n\nCHICAGO, 3 August 2023 — Kestrel Foods reported a fall in profit on Thursday.\n\n" \
             "Shares of Kestrel fell 6.4% in midday trading, their steepest one-day drop since March 2020.\n"
    q = corpus_pipeline(tmp_path_factory, "shares", {"shares.txt": shares})
    assert "6.4%" in q.ask("What percentage did Kestrel shares fall after its 2023 results?").text


TRIAL_ARTICLE = """Single-dose malaria shot cuts severe cases in trial

NAIROBI, 3 March 2025 — A single-dose malaria vaccine called RX-M7 reduced severe malaria by 71% in a trial of 9,000 children in three countries, researchers reported on Monday.

"This could change how we protect children in the rainy season," said Dr. Amina Odhiambo of the Coastal Health Institute, who led the study. She said the team would now seek approval from regulators in Kenya and Tanzania.

Protection was weaker in children under two, at 52%, and the researchers said a second season of follow-up was needed before they could say how long it lasts.

Researchers found no increase in severe reactions among children who had malaria before the trial, a concern raised about earlier candidates.

The most commonly reported side effects were:
- swelling at the injection site (24%)
- mild fever (10%)
- loss of appetite (6%)
"""


def test_a_list_the_article_sets_out_is_found_under_a_header_far_from_the_name(tmp_path_factory):
    p = corpus_pipeline(tmp_path_factory, "vaccine", {"vaccine.txt": TRIAL_ARTICLE})
    assert TRIAL_ARTICLE.index("The most commonly") - TRIAL_ARTICLE.rindex("RX-M7") > 600  # the name is not near
    answer = p.ask("What were the most common side effects of RX-M7?")
    assert not answer.abstained, answer.metadata.get("abstain_reason")
    assert all(item in answer.text.lower() for item in ("injection site", "mild fever", "loss of appetite")), answer.text
    assert_answer_invariants(answer, {"vaccine.txt": TRIAL_ARTICLE}, p)


def test_a_model_s_letter_is_part_of_its_name_and_what_it_costs_is_money():
    info = analyse_question("What colours is the Lumora Fold X available in?")
    assert info.names == ["Lumora Fold X"] and "x" not in info.relation
    assert analyse_question("What does the Pixel 9 cost in Japan?").wants == "money"
    assert analyse_question("What does the report cover?").wants == "any"
    assert "list" in analyse_question("Is Sarangi Logistics a listed company?").relation  # not "List the ..."


def test_an_age_in_words_answers_how_old(tmp_path_factory):
    article = "Teenager wins chess title\n\nSINGAPORE, 14 June 2025 — Fifteen-year-old Daniel Koh became the " \
              "youngest winner of the national chess championship on Saturday.\n"
    p = corpus_pipeline(tmp_path_factory, "chess", {"chess.txt": article})
    answer = p.ask("How old is Daniel Koh?")
    assert not answer.abstained and "Fifteen-year-old" in answer.text, answer.metadata.get("abstain_reason")


RERUN = """Opposition wins Lagos governorship rerun

LAGOS, Nigeria (AP) — Opposition candidate Adebayo Ogunleye won Saturday's rerun of the Lagos governorship election, the electoral commission said Monday.

Ogunleye, a 58-year-old former banker, received 1,204,330 votes to Bakare's 1,118,210, according to official results.

The rerun was ordered by a tribunal in August after it found that results from 212 polling units had been altered.
"""


@pytest.mark.parametrize("question,fact", [
    ("How old is Adebayo Ogunleye?", "58-year-old"),  # named in full before, by his surname here
    ("Who ordered the rerun?", "tribunal"),  # the doer of the asked verb, named by a noun
    ("Why was the election rerun?", "altered"),  # the sentence that gives a reason, not the lede about the rerun
])
def test_questions_answered_by_a_short_name_or_by_the_doer_of_the_verb(tmp_path_factory, question, fact):
    p = corpus_pipeline(tmp_path_factory, "rerun", {"rerun.txt": RERUN})
    answer = p.ask(question)
    assert not answer.abstained and fact in answer.text, answer.metadata.get("abstain_reason")
    assert_answer_invariants(answer, {"rerun.txt": RERUN}, p)


def test_the_doer_of_the_verb_is_not_the_name_the_question_is_about():
    info = analyse_question("Which customers have signed supply agreements with Veltrix?")
    text = "Veltrix has signed supply agreements with several customers but declined to say which companies they were."
    assert not has_answer_type(text, info.wants, info)
    assert not has_answer_type("It ordered the rerun.", "person", analyse_question("Who ordered the rerun?"))


CHAMPION = """Teenager wins national chess title

SINGAPORE, 14 June 2025 — Fifteen-year-old Daniel Koh won the national chess championship on Saturday.

Ivan Lim, who won the national championship last year, finished second.
"""


def test_last_year_is_the_year_before_the_article_s(tmp_path_factory):
    p = corpus_pipeline(tmp_path_factory, "champion", {"champion.txt": CHAMPION})
    answer = p.ask("Who won the national chess championship last year?")
    assert not answer.abstained and "Ivan Lim" in answer.text and "Koh" not in answer.text, answer.text
    lone = corpus_pipeline(tmp_path_factory, "champion_alone", {"champion.txt": CHAMPION.rsplit("\n\n", 1)[0]})
    assert lone.ask("Who won the national chess championship last year?").abstained  # this year's winner is not it
    assert "Koh" in lone.ask("Who won the national chess championship this year?").text
