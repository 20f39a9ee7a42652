"""What real models write (bot/markers.py): every marker form read as [n], each sentence with the passages it cites."""

import pytest

from bot.markers import claims, normalise

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("written, expected", [
    ("Modi thanked Putin [1][2]. He spoke of peace [3].", [("Modi thanked Putin.", [1, 2]), ("He spoke of peace.", [3])]),
    ("Modi thanked Putin [1, 2]. Peace matters.[3]", [("Modi thanked Putin.", [1, 2]), ("Peace matters.", [3])]),
    ("Modi thanked Putin. [1] It lasted three hours. [2]", [("Modi thanked Putin.", [1]), ("It lasted three hours.", [2])]),
    ("Modi thanked Putin (1). He said so (Passage 2).", [("Modi thanked Putin.", [1]), ("He said so.", [2])]),
    ("Modi thanked Putin 【1】. Peace [Passage 2].", [("Modi thanked Putin.", [1]), ("Peace.", [2])]),
    ("The summit ended early [^1].", [("The summit ended early.", [1])]),
    ("Both leaders spoke [1-3].", [("Both leaders spoke.", [1, 2, 3])]),
    ("- **Modi** thanked Putin [1]\n- Peace was discussed [2]\n\nSources:\n[1] Passage one\n[2] Passage two",
     [("Modi thanked Putin", [1]), ("Peace was discussed", [2])]),
    ("It cost 240 million (about 1.2 percent) [1].", [("It cost 240 million (about 1.2 percent).", [1])]),
    ("No marker at all.", [("No marker at all.", [])]),
])
def test_marker_forms(written, expected):
    assert claims(normalise(written)) == expected


def test_a_year_in_brackets_is_no_marker():
    assert claims(normalise("The embassy closed in 2017 (2017) [1].")) == [("The embassy closed in 2017 (2017).", [1])]
