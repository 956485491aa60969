"""The relation checks of the verifier (rag.relations, rag.roles, rag.number_relations), each on a case written
for this file (not taken from the labelled verifier set) and on its faithful twin, which must pass."""

import pytest

from rag.citations import supports
from rag.relations import conflict

CAUGHT = [
    ("The mayor thanked the outgoing chief executive Margaret Oyel",
     "The mayor thanked the outgoing chief executive Margaret Oyelaran.", "fragment"),
    ("Spain and Portugal have ratified the treaty.", "Neither Spain nor Portugal has ratified the treaty.",
     "negation"),
    ("The bridge is not safe for lorries.", "Engineers said on Friday that the bridge is safe for lorries.",
     "negation"),
    ("Oyelaran hired the coach, a move the board had opposed.",
     "The board hired the coach, a move Oyelaran had opposed.", "role swap"),
    ("Corvid Air agreed to buy a stake in Pellham Rail.",
     "Pellham Rail said it had agreed to buy a stake in Corvid Air.", "role swap"),
    ("The senate approved the budget in March.",
     "Governor Ruiz approved the budget in March. The senate had debated it for weeks.", "wrong actor"),
    ("Tanaka's lawyer Ken Ito said the ruling would be appealed.",
     "Suzuki's lawyer Ken Ito said the ruling would be appealed.", "owner"),
    ("The company closed 40 stores last year.", "The company opened 40 stores and closed 12 last year.",
     "number 40"),
    ("Rivera scored in the 71st minute.", "Rivera scored in the 12th minute, and Okoye was booked in the 71st minute.",
     "number 71st"),
    ("A grant of 4m euros will pay for the new library.",
     "The new library will be paid for with a grant and council reserves. The council reported a surplus of 4m euros "
     "last year.", "number 4 is the grant"),
    ("The council borrowed $20m to rebuild the bridge.", "The council borrowed €20m to rebuild the bridge.",
     "currency"),
    ("He was convicted on 12 counts.", "He was convicted on eight of 12 counts.", "partitive"),
    ("Sales rose 9% in June 2025.", "Sales rose 9% in the six months to June 2025.", "date"),
    ("The board said it had ignored the warnings.",
     '"The board has ignored the warnings," said Amara Eze, the union leader.', "speaker"),
    ("Tomas Ruiz of the Green List won 1,204 votes.",
     "Candidate: Ana Lind (Labour)\nVotes: 1,204\nCandidate: Tomas Ruiz (Green List)\nVotes: 987", "number 1204"),
    ("Okafor believes the new rules will cut waiting times.",
     "The new rules, which Mensah believes will cut waiting times, were opposed by Okafor.", "speaker"),
    ("The school collapsed in the storm.", "The roof of the village school collapsed in the storm.", "subject"),
    ("The flood in the old mill destroyed the bridge.",
     "The owner of the old mill said the water wall of the mill destroyed the bridge.", "subject"),
    ("The retailer sold its bakery chain for about $300 million.",
     "The retailer is exploring a sale of its bakery chain, which could fetch about $300 million.", "modality"),
    ("The airline cut 300 jobs at its Dublin base.", "The airline plans to cut 300 jobs at its Dublin base.",
     "modality"),
    ("The mayor resigned three weeks after the council voted against the budget.",
     "The mayor resigned three weeks after the scandal broke. The council voted against the budget in May.",
     "recombined"),
    ("The coach will lodge an appeal against the ban.",
     '"The coach was treated unfairly," said Rhea Kapoor, the club\'s lawyer. '
     '"We will lodge an appeal against the ban."',
     "speaker"),
    ("The bill passed with the three-fifths majority it needed.",
     "The bill was two votes short of the three-fifths majority it needed.", "negation"),
    ("The council approved the rezoning plan.", "The council failed to approve the rezoning plan on Monday.",
     "negation"),
    ("Three firefighters were hurt, and three homes were destroyed.",
     "Three firefighters were hurt in the blaze, which destroyed several homes.", "number"),
    ("The convoy carried 40 trucks, ambulances and fuel tankers.",
     "The convoy carried 40 trucks, 12 ambulances and two fuel tankers.", "number"),
    ("The Electoral Commission said in 2021 that the new rules were not unfair.",
     'Presiding Judge Amal Haddad said the new rules, which were drafted by the Electoral Commission in 2021, were '
     '"not unfair".', "speaker"),
]

FAITHFUL = [
    ("The mayor thanked Margaret Oyelaran.", "The mayor thanked the outgoing chief executive Margaret Oyelaran."),
    ("Spain and Portugal have not ratified the treaty.", "Neither Spain nor Portugal has ratified the treaty."),
    ("The bridge is safe for lorries.", "Engineers said on Friday that the bridge is safe for lorries."),
    ("The board hired the coach.", "The board hired the coach, a move Oyelaran had opposed."),
    ("Pellham Rail agreed to buy a stake in Corvid Air.",
     "Pellham Rail said it had agreed to buy a stake in Corvid Air."),
    ("Ruiz approved the budget in March.",
     "Governor Ruiz approved the budget in March. The senate had debated it for weeks."),
    ("Suzuki's lawyer Ken Ito said the ruling would be appealed.",
     "Suzuki's lawyer Ken Ito said the ruling would be appealed."),
    ("The company opened 40 stores last year.", "The company opened 40 stores and closed 12 last year."),
    ("Okoye was booked in the 71st minute.",
     "Rivera scored in the 12th minute, and Okoye was booked in the 71st minute."),
    ("The council reported a surplus of 4m euros last year.",
     "The new library will be paid for with a grant and council reserves. The council reported a surplus of 4m euros "
     "last year."),
    ("The council borrowed €20m to rebuild the bridge.", "The council borrowed €20m to rebuild the bridge."),
    ("He was convicted on eight counts.", "He was convicted on eight of 12 counts."),
    ("Sales rose 9% in the six months to June 2025.", "Sales rose 9% in the six months to June 2025."),
    ("Amara Eze said the board had ignored the warnings.",
     '"The board has ignored the warnings," said Amara Eze, the union leader.'),
    ("Tomas Ruiz of the Green List won 987 votes.",
     "Candidate: Ana Lind (Labour)\nVotes: 1,204\nCandidate: Tomas Ruiz (Green List)\nVotes: 987"),
    ("Mensah believes the new rules will cut waiting times.",
     "The new rules, which Mensah believes will cut waiting times, were opposed by Okafor."),
    ("The roof of the school collapsed in the storm.", "The roof of the village school collapsed in the storm."),
    ("Oil rose 3% on Monday.", "The price of oil rose 3% on Monday."),
    ("The retailer's bakery chain could fetch about $300 million.",
     "The retailer is exploring a sale of its bakery chain, which could fetch about $300 million."),
    ("The airline said it would cut 300 jobs.", "The airline said it would cut 300 jobs at its Dublin base."),
    ("Acme employs 500 people.", "Acme makes chips in Ohio. It employs 500 people."),
    ("The council voted against the budget in May.",
     "The mayor resigned three weeks after the scandal broke. The council voted against the budget in May."),
    ("The club will lodge an appeal against the ban.",
     '"The coach was treated unfairly," said Rhea Kapoor, the club\'s lawyer. '
     '"We will lodge an appeal against the ban."'),
    ("The bill fell two votes short of the three-fifths majority it needed.",
     "The bill was two votes short of the three-fifths majority it needed."),
    ("The council did not approve the rezoning plan.", "The council failed to approve the rezoning plan on Monday."),
    ("Three firefighters were hurt in the blaze.",
     "Three firefighters were hurt in the blaze, which destroyed several homes."),
    ("The convoy carried 40 trucks and 12 ambulances.",
     "The convoy carried 40 trucks, 12 ambulances and two fuel tankers."),
    ("Judge Amal Haddad said the new rules were not unfair.",
     'Presiding Judge Amal Haddad said the new rules, which were drafted by the Electoral Commission in 2021, were '
     '"not unfair".'),
    ("The Chicago Lakeshore Herons play their first game at home against the Denver Owls on 5 May.",
     "Chicago plays its first game at home against the Denver Owls on 5 May."),
]


@pytest.mark.parametrize("sentence, span, kind", CAUGHT)
def test_a_misstated_relation_is_caught(sentence, span, kind):
    assert (conflict(sentence, span) or "").startswith(kind)
    assert not supports(sentence, span)


@pytest.mark.parametrize("sentence, span", FAITHFUL)
def test_the_same_relation_passes(sentence, span):
    assert conflict(sentence, span) is None


def test_a_name_may_come_from_the_title_a_number_may_not():
    span = "The plant will employ 900 people once it opens."
    title = "Kelso battery plant gets go-ahead, opening in 2027"
    assert supports("The Kelso plant will employ 900 people.", span, title=title)
    assert not supports("The Kelso plant will employ 900 people.", span), "without the title the name is new"
    assert not supports("The plant will employ 900 people from 2027.", span, title=title)


def test_a_first_name_the_article_gives_completes_the_spans_name():
    span = "Reyes said the port would reopen on Monday."
    article = "The harbour master, Antonia Reyes, met the crews.\n\nReyes said the port would reopen on Monday."
    assert supports("Antonia Reyes said the port would reopen on Monday.", span, article=article)
    assert not supports("Antonia Reyes said the port would reopen on Monday.", span), "without the article"
    assert not supports("Carlos Reyes said the port would reopen on Monday.", span, article=article), \
        "a first name the article never gives this person"


def test_a_short_whole_line_of_the_span_is_checkable():
    assert supports("Turnout: 41.3%", "Turnout: 41.3%\nSeats: 12")
    assert supports("Floods come in waves.", "\u201cFloods come in waves.")
    assert not supports("NATO, Secretary General", "NATO, Secretary General"), "a bare heading states nothing"
    assert not supports("Seats: 12", "Turnout: 41.3%, seats: 12 of 40"), "not a whole line"


def test_a_byline_in_the_span_supports_no_claim():
    span = "Three men jailed over bank raid\nBy Tom Reed, Courts Reporter"
    assert not supports("Three men were jailed by Tom Reed, Courts Reporter, for the bank raid.", span)
    assert supports("Three men were jailed over the bank raid.", span)
