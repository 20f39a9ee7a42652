import pytest

from bot.extractive import news
from bot.extractive.answerer import ExtractiveAnswerer
from bot.extractive.article import ArticleIndex
from index.loader import Article
from tests.bot.extractive.conftest import stored
from tests.bot.extractive.test_answerer import _Cache, _passages

pytestmark = pytest.mark.unit

WIRE = """Ferry operator orders two electric boats

By Ingrid Solheim

NORDVIK, Oct 2 (Fjordline Press) - Nordvik Ferries said on Wednesday it had ordered two battery-powered boats for 48 \
million crowns, the first electric ferries on the northern coast.

The company said the boats would enter service in 2027. They will carry 200 passengers each.

Reporting by Ingrid Solheim; Editing by Pavel Dvorak
"""


@pytest.mark.parametrize("sentence, end", [
    ("LISBON, March 3 (Reuters) - The council voted.", len("LISBON, March 3 (Reuters) - ")),
    ("NEW YORK, Jan. 5, 2026 (Harbour Wire) – Shares fell.", len("NEW YORK, Jan. 5, 2026 (Harbour Wire) – ")),
    ("KESTREL BAY (Meridian Press) - A fire broke out.", len("KESTREL BAY (Meridian Press) - ")),
    ("NATO - the alliance - met on Monday.", 0),
    ("The mayor said - again - that it was fine.", 0),
])
def test_datelines(sentence, end):
    assert news.dateline_end(sentence) == end


@pytest.mark.parametrize("sentence, whole_line, credit", [
    ("Reporting by Anna Kowalczyk; Editing by Priya Nair", True, True),
    ("(Reporting by Tom Reyes; Writing by Lena Marsh)", True, True),
    ("By Ingrid Solheim", True, True),
    ("Reporting by Anna Kowalczyk; Editing by Priya Nair", False, False),
    ("By Tuesday the river had risen by two metres.", True, False),
    ("Editing the budget by hand took weeks, the clerk said.", True, False),
])
def test_credit_lines_and_bylines(sentence, whole_line, credit):
    assert news.is_credit(sentence, whole_line) == credit


@pytest.mark.parametrize("question, author, source", [
    ("Who wrote this article?", True, False),
    ("Who is the author?", True, False),
    ("Who wrote the letter to the council?", False, False),
    ("Who reported the fire to the police?", False, False),
    ("Who reported this story?", True, False),
    ("Which news agency carried the story?", False, True),
    ("Where was this story filed from?", False, True),
    ("Which agency is investigating the crash?", False, False),
])
def test_questions_about_the_story_itself(question, author, source):
    assert (news.asks_author(question), news.asks_source(question)) == (author, source)


@pytest.fixture(scope="module")
def wire(fake):
    return ArticleIndex.from_record(stored(Article("ferry", "Ferry operator orders two electric boats", WIRE), fake), fake)


def test_credit_lines_and_datelines_answer_only_questions_about_the_story(wire, fake):
    answerer = ExtractiveAnswerer(_Cache(wire), fake, threshold=0.0)
    author = answerer.answer("Who wrote this story?", _passages(wire))
    assert "Reporting by Ingrid Solheim; Editing by Pavel Dvorak" in author.answer and "By Ingrid Solheim" in author.answer
    agency = answerer.answer("Which news agency filed this report?", _passages(wire))
    assert agency.answer == "NORDVIK, Oct 2 (Fjordline Press)… [1]" and not agency.refused
    for answer in (author, agency):
        c = answer.citations[0]
        assert wire.text[c.start:c.end] == c.text and all(wire.text[a:b] in answer.answer for a, b in c.highlights)
    content = answerer.answer("How much did the boats cost?", _passages(wire))
    assert "48 million crowns" in content.answer
    assert "NORDVIK" not in content.answer and "Reporting by" not in content.answer  # dateline and credit never quoted


PEOPLE = [
    'LISBON, March 3 (Reuters) - Dr. Ana Ruiz, who led the study at Porto University, said the results were clear.',
    'She told colleagues the trial would continue.',
    'Medibook, a company whose software runs 600 clinics, said on Friday that hackers had stolen patient names.',
    'The company said it had no evidence that the data had been sold.',
    'It said it would write to every patient.',
    'A High Court judge on Monday blocked the plan.',
    'The judge said the permit was unlawful.',
    'Fuel costs rose by a tenth.',
    'The court said the ruling could be appealed.',
    '"We carried more passengers than ever," said Marta Voss, the chief executive of Skyrenn Airways.',
    'She said fuel costs fell.',
    'The city said the bridge would reopen.',
    'Brannholm Ferries cancelled all crossings to the island of Skarvøy, leaving Skarvøy and Skarvøy\'s school cut off.',
    'The company said engineers had found a cracked cylinder head.',
]


@pytest.mark.parametrize("i, name", [
    (1, "Dr. Ana Ruiz"),  # she: the person the sentence before introduced
    (3, "Medibook"),  # the company: the organisation the story is about
    (4, "Medibook"),
    (6, None),  # the judge is never named
    (8, "High Court"),  # the court: the name with that noun in it
    (10, "Marta Voss"),  # not Skyrenn Airways, which is no person
    (11, None),  # "the city": no city named nearby
    (13, "Brannholm Ferries"),  # the company that opened the sentence, not the island named more often
    (0, None), (2, None), (7, None),  # these sentences name their subjects
])
def test_pronoun_subjects_are_named_from_the_sentences_before(i, name):
    found = news.named_subject(PEOPLE, i, news.dateline_end(PEOPLE[i]))
    assert (found[1] if found else None) == name
    if found:
        assert PEOPLE[i][found[0]:].startswith(" ")  # the subject ends where the name goes


def test_a_quoted_pronoun_subject_is_named_in_brackets_and_cited_exactly(fake):
    text = ("Clinic software maker hacked\n\n"
            "MERROW, Jan 12 (Coast News) - Medibook, a company whose software runs 600 clinics, said on Friday that "
            "hackers had stolen the names of about 420,000 patients.\n\n"
            "The company said the attackers got in on January 9 using a stolen password.\n")
    index = ArticleIndex.from_record(stored(Article("medibook", "Clinic software maker hacked", text), fake), fake)
    answer = ExtractiveAnswerer(_Cache(index), fake, threshold=0.0).answer(
        "When did the attackers get in?", _passages(index))
    assert answer.answer.startswith("[Medibook] said the attackers got in on January 9")
    c = answer.citations[0]
    assert text[c.start:c.end] == c.text
    assert [text[a:b] for a, b in c.highlights] == ["The company said the attackers got in on January 9 using a stolen password."]


@pytest.mark.parametrize("sentence, speaker", [
    ('"We have never seen the river rise this fast," said Fiona Bartram, the head of the emergency service.',
     '" said Fiona Bartram, the head of the emergency service'),
    ("Strand said the port's income had fallen.", "Strand said"),
    ('"People must leave now. Please do not wait."', None),
    ("The deal was signed on Friday.", None),
])
def test_quote_attribution(sentence, speaker):
    found = news.attribution(sentence)
    assert (sentence[found[0]:found[1]] if found else None) == speaker


FLOOD = """River bursts its banks in Lowmarsh

LOWMARSH, March 3 (Valley Wire) - About 4,300 residents of Lowmarsh were ordered to leave their homes on Saturday after \
the River Wendle burst its banks.

"We have never seen the river rise this fast," said Fiona Bartram, the head of the Lowmarsh District Emergency Service. \
"People who were told to leave must leave now, because the water will keep rising overnight."

Three shelters have been opened in schools and church halls.
"""


def test_who_said_quotes_the_speaker_of_a_quotation_that_runs_on(fake):
    index = ArticleIndex.from_record(stored(Article("flood", "River bursts its banks in Lowmarsh", FLOOD), fake), fake)
    answerer = ExtractiveAnswerer(_Cache(index), fake, threshold=0.0)
    answer = answerer.answer("Who said people who were told to leave must leave now?", _passages(index))
    assert "Fiona Bartram" in answer.answer and "must leave now" in answer.answer
    c = answer.citations[0]
    assert FLOOD[c.start:c.end] == c.text and all(FLOOD[a:b] in answer.answer for a, b in c.highlights)
    assert answer.answer.index("Fiona Bartram") < answer.answer.index("must leave now")  # in the article's order
