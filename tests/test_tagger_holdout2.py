"""Hold-out set 2: a blind estimate of the tagger on unseen children's-law text, and the rules
it prompted.

tests/fixtures/tagger/holdout2.jsonl holds 150 provisions composed in our own words (so the text
is stored inline) in the style of 20-odd kinds of Kazakhstan acts that touch children — the Law
on the Rights of the Child, the Marriage and Family, Education, Health, Social, Labour, Criminal,
Administrative Offences, Tax, Budget and Civil Procedure Codes, the laws on prevention of
offences among minors, domestic violence, harmful information, the status of the teacher,
housing, migration, languages, sport and youth, the sanitary rules for schools and camps, and
the ministerial rules on kindergarten places, summer recreation and benefits. 58 are negatives
from the same kinds of acts; 27 are in Kazakh. Labels were set blind — written before the
tagger's rules were read or the tagger was run on them — by TAXONOMY.md's rules and
kb/data/gold/README.md's conventions, and were not changed afterwards. Where they follow a
reading the style set does not (open ages of criminal liability «достигшее шестнадцатилетнего
возраста» as 192+; guardianship alone flagged `without_parental_care`), the remaining
disagreement is counted as an error here.

Scored by kb.evaluate.score against the hidden evaluation's thresholds (micro-F1 >= 0.90,
non-child tagged <= 5 %, age-band Jaccard >= 0.90). Before the rules below: micro-F1 0.902
(P 0.963, R 0.848), non-child tagged 0 %, band Jaccard 0.979, primary 0.848.

The unit tests use sentences of their own, not the set's.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from kb.tagging import get_tagger
from kb.tagging.russian import extract_ages_ru
from labelled_sets import SETS, check_labels, load_inline_set, score_set

HOLDOUT2 = SETS / "holdout2.jsonl"


def load_holdout2(path: Path = HOLDOUT2) -> list[dict]:
    return load_inline_set(path)


@pytest.fixture(scope="module")
def report():
    return score_set(load_holdout2())


def test_holdout2_is_well_formed():
    items = load_holdout2()
    assert len(items) == 150
    keys = [(i["act_id"], i["position"]) for i in items]
    assert len(keys) == len(set(keys))
    neg = [i for i in items if not i["required"]]
    assert 0.35 <= len(neg) / len(items) <= 0.45
    assert sum(i["lang"] == "kk" for i in items) >= 25
    for i in items:
        check_labels(i)


def test_holdout2_micro_f1(report):
    assert report["micro"]["f1"] >= 0.90


def test_holdout2_nonchild_tagged(report):
    assert report["nonchild_wrong_share"] <= 0.05


def test_holdout2_age_band_jaccard(report):
    assert report["age"]["band_jaccard"] >= 0.90


# --- the rules it prompted --------------------------------------------------------------------


def tag(text, lang="ru"):
    return get_tagger().tag(text, lang)


def codes(t):
    return [d["code"] for d in t["dimensions"]]


def ages(text):
    return [(h.min_months, h.max_months) for h in extract_ages_ru(text)]


def test_cruelty_adds_to_violence():
    t = tag("Запрещается демонстрировать детям материалы, содержащие сцены насилия и жестокости.")
    assert codes(t)[0] == "PRO"


def test_violence_witnessed_by_a_child():
    t = tag("Оскорбление супруга в присутствии несовершеннолетних детей является основанием для "
            "профилактической беседы.")
    assert codes(t)[0] == "PRO"


def test_child_victim_of_violence():
    t = tag("Ребенок, ставший жертвой насилия, направляется на психологическую реабилитацию.")
    assert codes(t)[0] == "PRO"
    # adults only: no child, no tag
    assert codes(tag("Кризисный центр оказывает помощь жертвам бытового насилия.")) == []


def test_aggravation_because_the_victim_is_a_minor():
    t = tag("Обстоятельством, отягчающим ответственность, признается совершение правонарушения "
            "в отношении несовершеннолетнего.")
    assert codes(t)[0] == "PRO"
    assert codes(tag("Обстоятельством, отягчающим ответственность, признается совершение "
                     "правонарушения группой лиц.")) == []


def test_light_work_of_minors():
    t = tag("Учащиеся, достигшие четырнадцати лет, могут привлекаться к легкой работе в свободное "
            "от учебы время.")
    assert codes(t)[0] == "PRO" and (t["age_min_months"], t["age_max_months"]) == (168, 215)


def test_kindergarten_placement_and_funding_are_ecd():
    assert codes(tag("Направление в дошкольную организацию выдается родителям в электронном виде."))[0] == "ECD"
    t = tag("Государственный образовательный заказ в дошкольных организациях размещается местными "
            "исполнительными органами.")
    assert codes(t) == ["ECD"]
    assert codes(tag("Дошкольное воспитание и обучение осуществляются в семье и в дошкольных "
                     "организациях."))[0] == "ECD"


def test_free_meals_kk():
    assert codes(tag("Білім алушылар тегін тамақпен қамтамасыз етіледі.", "kk"))[0] == "NUT"


def test_part_time_work_of_a_parent_is_fam():
    t = tag("Отцу, воспитывающему ребенка в возрасте до трех лет, по его просьбе устанавливается "
            "неполное рабочее время.")
    assert codes(t)[0] == "FAM" and (t["age_min_months"], t["age_max_months"]) == (0, 35)
    assert codes(tag("По соглашению сторон работнику может устанавливаться неполное рабочее время.")) == []


def test_institution_name_holds_its_child_word():
    t = tag("В специальные организации образования для детей с девиантным поведением направляются "
            "несовершеннолетние в возрасте от двенадцати до восемнадцати лет.")
    assert codes(t)[0] == "JUS" and (t["age_min_months"], t["age_max_months"]) == (144, 215)


def test_childrens_camps_open_the_gate():
    t = tag("Смена в пришкольном лагере длится не менее четырнадцати дней.")
    assert codes(t) == ["LEI"] and t["age_min_months"] is None
    assert "LEI" in codes(tag("Медицинский работник загородного оздоровительного лагеря ежедневно "
                              "проверяет пищеблок."))


def test_definition_of_the_child_kk():
    t = tag("Бала - он сегіз жасқа толмаған адам (кәмелетке толмаған).", "kk")
    assert codes(t)[0] == "GOV" and (t["age_min_months"], t["age_max_months"]) == (0, 215)


def test_bare_year_of_age():
    assert ages("детей шестилетнего возраста") == [(72, 83)]
    assert ages("ребенка 14-летнего возраста") == [(168, 179)]
    # the prepositional and «достигший» forms keep their own readings
    assert ages("лица, достигшие шестнадцатилетнего возраста") == [(192, None)]
    assert ages("с четырнадцатилетнего возраста") == [(168, None)]
    assert ages("до восемнадцатилетнего возраста") == [(0, 215)]
    assert ages("не достигших шестнадцатилетнего возраста") == [(0, 191)]


def test_four_or_more_children_is_a_large_family():
    t = tag("Пособие назначается семьям, воспитывающим четырех и более несовершеннолетних детей.")
    assert "large_family" in t["flags"]


def test_text_gate_is_exact_on_holdout2():
    """The pre-tokenisation gate derives from the same cue data: gated = ungated output."""
    from kb.tagging import Tagger

    gated, full = Tagger(gated=True), Tagger(gated=False)
    texts = [i["text"] for i in load_holdout2()]
    for lang in ("ru", "kk"):
        assert list(gated.tag_many(texts, lang=lang)) == list(full.tag_many(texts, lang=lang))
