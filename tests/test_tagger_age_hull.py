"""Several ranges in one provision: the hull, each range in the evidence (TAXONOMY.md).

A bare child word that no explicit age qualifies adds its own range to the hull; a child word
the age is attached to (the same noun phrase, a pronoun referring back, the same children named
again, a word inside the name of something else) adds nothing. Sentences written for the test.
"""
import pytest

from kb.tagging import get_tagger


def age(text, lang="ru"):
    r = get_tagger().tag(text, lang=lang)
    return (r["age_min_months"], r["age_max_months"]), r["age_evidence"]


@pytest.mark.parametrize("text, want, evidence", [
    # a separate child word: its 0–215 joins the hull
    ("Льготы предоставляются несовершеннолетним и женщинам, имеющим детей до двенадцати лет.",
     (0, 215), ["до двенадцати лет", "несовершеннолетним"]),
    ("Несовершеннолетним, а также женщинам, имеющим детей до двенадцати лет, арест не назначается.",
     (0, 215), ["до двенадцати лет", "Несовершеннолетним"]),
    ("Младенцы и дети в возрасте от трех до семи лет обеспечиваются питанием.",
     (0, 83), None),
    ("Дети дошкольного возраста и подростки в возрасте от четырнадцати до шестнадцати лет "
     "посещают кружки.", (0, 191), None),
    # a general statement, then a later sentence narrowing it (Marriage and Family Code art. 136)
    ("Передача ребенка патронатным воспитателям осуществляется с учетом его мнения. Ребенок, "
     "достигший возраста десяти лет, может быть передан только с его согласия.", (0, 215), None),
])
def test_a_separate_child_word_widens_the_hull(text, want, evidence):
    got, ev = age(text)
    assert got == want
    if evidence:
        assert ev == evidence


@pytest.mark.parametrize("text, want", [
    ("Пособие выплачивается на ребенка до трех лет.", (0, 35)),
    ("Детей в возрасте от 14 до 16 лет допускается принимать на легкий труд.", (168, 191)),
    ("Дети дошкольного возраста посещают дошкольные организации.", (0, 71)),
    ("Детям, не достигшим четырнадцати лет, сделки совершают их законные представители.", (0, 167)),
    ("Несовершеннолетние, не достигшие шестнадцати лет, не могут быть приняты на работу.", (0, 191)),
    ("Не достигшие шестнадцати лет несовершеннолетние к ночным работам не допускаются.", (0, 191)),
    ("Совершеннолетние дети обязаны содержать нетрудоспособных родителей.", (216, None)),
    ("Детям, оставшимся без попечения родителей, в возрасте до шести лет назначается патронат.",
     (0, 71)),
    # a pronoun refers back to the child word
    ("Детям-сиротам жилище предоставляется при достижении ими восемнадцатилетнего возраста.",
     (216, None)),
    # the same children named again
    ("Матери, кормящей грудью ребенка в возрасте до одного года, предоставляются перерывы для "
     "кормления ребенка.", (0, 11)),
    # a child word inside the name of an institution
    ("Центры адаптации несовершеннолетних содержат безнадзорных детей в возрасте от трех до "
     "восемнадцати лет.", (36, 215)),
])
def test_a_child_word_the_age_qualifies_adds_nothing(text, want):
    assert age(text)[0] == want


def test_kazakh_age_before_the_noun_and_a_separate_child_word():
    assert age("Он төрт жасқа дейінгі балалар тегін медициналық көмек алады.", "kk")[0] == (0, 167)
    got, ev = age("Кәмелетке толмағандарға және он екі жасқа дейінгі балалары бар әйелдерге "
                  "жеңілдіктер беріледі.", "kk")
    assert got == (0, 215)
    assert "он екі жасқа дейінгі" in ev and "Кәмелетке толмағандарға" in ev
