"""Rules added after the blind audit set (kb/data/gold/audit.jsonl), each a general rule.

Sentences are written for these tests (not corpus text):

* «сельское хозяйство» / «сельскохозяйственный» / «ауыл шаруашылығы» is agriculture, an
  economic sector: not the `rural` flag (rural life still is);
* «тұрғын үй-коммуналдық шаруашылық» is a sector / ministry name, like the Russian
  «жилищно-коммунальное хозяйство»: weak HOU evidence, not HOU by itself;
* the name of a ministry or minister («Министерство здравоохранения», «приказ Министра
  образования», «Денсаулық сақтау министрлігі») says who acts, not what is regulated
  (TAXONOMY.md rule 1): its sector word is not evidence;
* quoted names of budget programmes and subprogrammes are classification identifiers, not
  evidence (like the quoted titles of other acts);
* «дети дошкольного возраста» / «мектеп жасына дейінгі балалар» are 0–71 months (pre-school
  age ends at school entry, 6 years), not the 0–215 of a bare «дети».
"""
import pytest

from kb.tagging import get_tagger


def tag(text, lang="ru"):
    return get_tagger().tag(text, lang)


def codes(tags):
    return {d["code"] for d in tags["dimensions"]}


# --- agriculture is not rural ---------------------------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("ru", "Детям работников сельского хозяйства выплачивается пособие на питание в школе."),
    ("ru", "Запрещается привлекать несовершеннолетних к сельскохозяйственным работам с пестицидами."),
    ("kk", "Ауыл шаруашылығы министрлігі балалар лагерін жөндеуге қаражат бөледі."),
])
def test_agriculture_is_not_the_rural_flag(lang, text):
    assert "rural" not in tag(text, lang)["flags"]


@pytest.mark.parametrize("lang,text", [
    ("ru", "Детям, проживающим в сельской местности, организуется бесплатный подвоз к школе."),
    ("ru", "В сельских малокомплектных школах обучение детей ведется в совмещенных классах."),
    ("kk", "Ауылдық жерлерде тұратын балаларды мектепке тегін тасымалдау ұйымдастырылады."),
])
def test_rural_life_keeps_the_rural_flag(lang, text):
    assert "rural" in tag(text, lang)["flags"]


# --- sector and ministry names are not evidence ---------------------------------------------

def test_kk_housing_and_utilities_sector_name_is_not_housing():
    t = tag("Мектепке дейінгі ұйымдар мен тұрғын үй-коммуналдық шаруашылық саласындағы "
            "қызметті үйлестіру бойынша көрсетілетін қызметтер.", "kk")
    assert "HOU" not in codes(t)


def test_kk_housing_for_children_is_still_housing():
    t = tag("Жетім балаларға мемлекеттік тұрғын үй қорынан тұрғын үй кезексіз беріледі.", "kk")
    assert "HOU" in codes(t)


@pytest.mark.parametrize("lang,text,word", [
    ("ru", "Копия приказа направляется в Министерство здравоохранения и в детский сад.",
     "здравоохранения"),
    ("ru", "Форма утверждена приказом Министра образования для школ, где учатся дети.",
     "образования"),
    ("ru", "Отчет о летнем отдыхе детей направляется в Министерство культуры и спорта.",
     "спорта"),
    ("kk", "Балалар үйлерінің тізімі Денсаулық сақтау министрлігіне жіберіледі.",
     "Денсаулық сақтау"),
    ("kk", "Бұйрықтың көшірмесі Білім және ғылым министрлігіне және балабақшаға жіберіледі.",
     "Білім"),
])
def test_ministry_name_is_not_evidence_of_its_sector(lang, text, word):
    t = tag(text, lang)
    evidence = [e for d in t["dimensions"] for e in d["evidence"]]
    assert not any(word.lower() in e.lower() for e in evidence), t


def test_sector_words_outside_a_ministry_name_still_count():
    t = tag("Министерство здравоохранения утверждает правила оказания медицинской помощи детям.")
    assert "HLT" in codes(t)
    assert "здравоохранения" not in t["dimensions"][0]["evidence"]
    t = tag("Денсаулық сақтау министрлігі балаларға медициналық көмек көрсету тәртібін бекітеді.", "kk")
    assert "HLT" in codes(t)


# --- budget programme names ------------------------------------------------------------------

def test_quoted_budget_programme_names_are_not_evidence():
    t = tag('Расходы по бюджетной программе "Охрана здоровья матери и ребенка" и подпрограммам '
            '"Вакцинация детей", "Детское питание" оплачиваются без регистрации договора.')
    assert codes(t) == set()


def test_kk_quoted_budget_programme_names_are_not_evidence():
    t = tag('"Балаларға тегін медициналық көмек", "Балаларды вакцинациялау" бюджеттік '
            'бағдарламалары бойынша шығыстар тіркеусіз төленеді.', "kk")
    assert codes(t) == set()


def test_the_same_words_outside_programme_names_are_evidence():
    t = tag("Вакцинация детей проводится бесплатно в государственных организациях здравоохранения.")
    assert "HLT" in codes(t)
    t = tag('Местные исполнительные органы утверждают программу "Здоровый ребенок", '
            "в рамках которой детям проводится бесплатная вакцинация.")
    assert "HLT" in codes(t)


# --- pre-school age --------------------------------------------------------------------------

@pytest.mark.parametrize("lang,text", [
    ("ru", "Дети дошкольного возраста обеспечиваются местами в детских садах по месту жительства."),
    ("ru", "Родителям детей дошкольного возраста выплачивается компенсация за посещение мини-центра."),
    ("kk", "Мектеп жасына дейінгі балалар балабақшаға кезек бойынша қабылданады."),
    ("kk", "Мектепке дейінгі жастағы балаларға тегін тамақтану ұйымдастырылады."),
])
def test_pre_school_age_children_are_0_to_71_months(lang, text):
    t = tag(text, lang)
    assert (t["age_min_months"], t["age_max_months"]) == (0, 71), t
    assert "AG_PRI" not in t["age_groups"] and "AG_PSC" in t["age_groups"]


def test_pre_school_age_next_to_other_children_gives_the_hull():
    t = tag("Дети дошкольного возраста и несовершеннолетние, не достигшие шестнадцати лет, "
            "сопровождаются взрослыми.")
    assert (t["age_min_months"], t["age_max_months"]) == (0, 191)
    t = tag("Ребенок дошкольного возраста посещает детский сад, а ребенок школьного возраста — школу.")
    assert (t["age_min_months"], t["age_max_months"]) == (0, 215)


def test_bare_children_stay_0_to_215():
    t = tag("Дети имеют право на бесплатное дошкольное воспитание и обучение.")
    assert (t["age_min_months"], t["age_max_months"]) == (0, 215)
