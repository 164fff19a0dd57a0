"""General rules added for the language of the children's laws (each prompted by the style set,
tests/fixtures/tagger/style_set.jsonl): ages of offenders vs. victims, periods inside ranges,
competence lists, parents and pregnant women as *whom* a provision covers."""
import pytest

from kb.tagging import get_tagger
from kb.tagging.russian import extract_ages_ru


def tag(text, lang="ru"):
    return get_tagger().tag(text, lang)


def codes(t):
    return [d["code"] for d in t["dimensions"]]


def test_period_range_hides_the_shorter_reading_inside_it():
    text = "наказывается лишением свободы на срок от пятнадцати до двадцати лет"
    assert extract_ages_ru(text) == []


def test_age_range_after_workers_is_an_age():
    hits = extract_ages_ru("Для работников в возрасте от шестнадцати до восемнадцати лет устанавливается")
    assert [(h.min_months, h.max_months) for h in hits] == [(192, 215)]


def test_year_of_life():
    t = tag("Дети первого года жизни обеспечиваются лекарственными средствами бесплатно.")
    assert (t["age_min_months"], t["age_max_months"]) == (0, 11) and codes(t) == ["HLT"]


def test_offenders_adult_age_is_not_the_childs():
    t = tag("Вовлечение несовершеннолетнего в совершение уголовного правонарушения, совершенное "
            "лицом, достигшим восемнадцатилетнего возраста, – наказывается лишением свободы.")
    assert codes(t)[0] == "PRO" and (t["age_min_months"], t["age_max_months"]) == (0, 215)
    t = tag("Половое сношение с лицом, не достигшим шестнадцатилетнего возраста, совершенное лицом, "
            "достигшим восемнадцатилетнего возраста, – наказывается лишением свободы на срок до пяти лет.")
    assert codes(t) == ["PRO"] and (t["age_min_months"], t["age_max_months"]) == (0, 191)


def test_care_leavers_age_on_reaching_18_is_kept():
    t = tag("Детям-сиротам жилище из государственного жилищного фонда предоставляется при достижении "
            "ими восемнадцатилетнего возраста.")
    assert codes(t)[0] == "HOU" and (t["age_min_months"], t["age_max_months"]) == (216, None)


def test_competence_list_is_gov_first_with_two_secondaries_at_most():
    t = tag("Местные исполнительные органы: 1) обеспечивают детей местами в дошкольных организациях; "
            "2) организуют подвоз обучающихся к школе и обратно; 3) обеспечивают горячим питанием "
            "обучающихся начальных классов;")
    assert codes(t)[0] == "GOV" and len(codes(t)) <= 3


def test_general_competence_list_stays_untagged():
    t = tag("Правительство Республики Казахстан: 1) разрабатывает основные направления государственной "
            "политики в области здравоохранения; 2) утверждает государственную программу;")
    assert codes(t) == []


@pytest.mark.parametrize("text, primary", [
    ("Государственное пособие родителю, воспитывающему ребенка-инвалида, назначается независимо от доходов семьи.", "MAT"),
    ("Пособие по уходу за ребенком-инвалидом выплачивается матери или отцу, усыновителю, опекуну.", "MAT"),
    ("Родители обязаны воспитывать своих детей, заботиться об их здоровье.", "FAM"),
    ("Злостное уклонение родителя от уплаты средств на содержание несовершеннолетних детей – наказывается общественными работами.", "FAM"),
])
def test_parents_and_carers_as_addressees(text, primary):
    t = tag(text)
    assert codes(t)[0] == primary, t["dimensions"]


def test_pregnancy_opens_the_gate_for_maternal_dimensions_only():
    assert "PRO" not in codes(tag("Расторжение трудового договора с беременной женщиной по инициативе работодателя не допускается."))
    assert codes(tag("Беременные женщины обеспечиваются бесплатными лекарственными средствами и проходят пренатальный скрининг.")) == ["HLT"]
    t = tag("Беременным женщинам предоставляется отпуск по беременности и родам.")
    assert codes(t)[0] == "FAM" and "AG_PRE" in t["age_groups"]


@pytest.mark.parametrize("text, code", [
    ("Запрещается привлечение к работе в ночное время работников, не достигших восемнадцатилетнего возраста.", "PRO"),
    ("Похищение ребенка – наказывается лишением свободы на срок от четырех до восьми лет.", "PRO"),
    ("Информационная продукция, причиняющая вред здоровью и развитию детей, запрещается к распространению среди детей.", "PRO"),
    ("Административное задержание несовершеннолетнего производится с уведомлением его родителей.", "JUS"),
    ("В настоящем Законе используются следующие основные понятия: 1) ребенок (дети) – лицо, не достигшее восемнадцатилетнего возраста;", "GOV"),
])
def test_legal_phrasing_primary(text, code):
    assert codes(tag(text))[0] == code


def test_money_amounts_are_not_ages():
    t = tag("Продажа несовершеннолетним табачных изделий – влечет штраф в размере ста шестидесяти месячных расчетных показателей.")
    assert codes(t) == ["JUS"] and (t["age_min_months"], t["age_max_months"]) == (0, 215)


def test_kazakh_definition_and_labour():
    t = tag("1) бала (балалар) – он сегіз жасқа (кәмелетке) толмаған адам;", "kk")
    assert codes(t) == ["GOV"] and (t["age_min_months"], t["age_max_months"]) == (0, 215)
    t = tag("Он алты жасқа толған адаммен еңбек шартын жасасуға жол беріледі.", "kk")
    assert codes(t) == ["PRO"] and (t["age_min_months"], t["age_max_months"]) == (192, 215)


# --- rules-9: contexts that are about no child (real-act gold, open part) -------------------


@pytest.mark.parametrize("text", [
    # a learner word beside higher or medical education: a university student is an adult
    "Докторант – лицо, обучающееся по программе докторантуры в университете.",
    "Учебный центр медицинской организации высшего и (или) послевузовского образования служит "
    "для отработки навыков обучающихся.",
    # schools as buildings land is given for (the Land Code): no child is regulated
    "Земельные участки предоставляются во временное землепользование на период строительства "
    "общеобразовательных школ и больниц.",
])
def test_adult_or_non_child_context_keeps_the_gate_closed(text):
    t = tag(text)
    assert codes(t) == [] and t["age_min_months"] is None


def test_a_learner_word_still_opens_the_gate_in_school_law():
    t = tag("Обучающиеся обеспечиваются учебниками бесплатно.")
    assert "EDU" in codes(t)


def test_the_child_rights_bodys_name_is_not_governance_evidence():
    t = tag("Решение об аккредитации агентства принимает уполномоченный орган в области защиты "
            "прав детей в течение месяца.")
    assert codes(t)[0] == "FAM"
    assert not any("защиты прав детей" in e for d in t["dimensions"] for e in d["evidence"])
    # the body's name sets no age either (C1)
    assert t["age_min_months"] is None


def test_preschool_programmes_are_early_childhood_not_school_words():
    t = tag("Организации реализуют общеобразовательные учебные программы дошкольного воспитания "
            "и обучения для детей от трех лет.")
    assert codes(t)[0] == "ECD"
    edu = [d for d in t["dimensions"] if d["code"] == "EDU"]
    assert not edu or not any("общеобразовательн" in e for e in edu[0]["evidence"])


def test_higher_education_beside_schools_still_opens_the_gate():
    """Higher education stops a learner word, not a school word: admission to schools, colleges
    and universities is about schooling too (gold: EDU)."""
    t = tag("Правила приема на обучение в организации среднего, технического и профессионального, "
            "высшего и (или) послевузовского образования утверждаются уполномоченным органом.")
    assert codes(t)[0] == "EDU"


def test_a_childs_own_civil_rights_are_participation():
    t = tag("Ребенок вправе самостоятельно совершать сделки с имуществом, полученным им в дар.")
    assert "PAR" in codes(t)
    t = tag("Если национальность родителей различна, национальность ребенка определяется по их соглашению.")
    assert "PAR" in codes(t)


def test_a_carers_aggravation_is_protection_not_family():
    """«совершенное родителем, педагогом либо иным лицом, на которое … возложены обязанности по
    воспитанию несовершеннолетнего» aggravates a crime against the child: PRO."""
    t = tag("То же деяние, совершенное педагогом либо иным лицом, на которое законом возложены "
            "обязанности по воспитанию несовершеннолетнего, – наказывается лишением свободы.")
    assert codes(t)[0] == "PRO"


def test_violence_alone_is_a_secondary_dimension():
    t = tag("Усыновление отменяется, если усыновитель осуществляет насилие над усыновленным ребенком.")
    assert codes(t)[:1] == ["FAM"] and "PRO" in codes(t)


def test_parents_duties_and_alimony_alone_make_family_a_secondary():
    t = tag("Родители обязаны заботиться о здоровье своего ребенка.")
    assert set(codes(t)) == {"FAM", "HLT"}
    t = tag("Ребенку, оставшемуся без попечения родителей, выплачиваются причитающиеся ему пособия, "
            "алименты и другие социальные выплаты.")
    assert {"FAM", "MAT"} <= set(codes(t))
