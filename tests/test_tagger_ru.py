"""The Russian tagger: real spaCy pipeline (kb.tagging), sentences written for the tests."""
import json

import pytest

from kb.tagging import TAGGER_VERSION, Tagger, get_tagger
from kb.tagging.pipeline import get_nlp
from kb.tagging.russian import extract_ages_ru


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return get_tagger()


def codes(r):
    return [d["code"] for d in r["dimensions"]]


def primary(r):
    return next((d["code"] for d in r["dimensions"] if d["primary"]), None)


def test_pipeline_is_spacy_with_our_components():
    nlp = get_nlp("ru")
    assert nlp.lang == "ru"
    assert nlp.pipe_names == ["kb_lemmatizer", "kb_dimension_cues", "kb_ages", "kb_flags", "kb_scorer",
                              "kb_dimension_model"]
    doc = nlp("Детям, оставшимся без попечения родителей")
    assert [t.lemma_ for t in doc][:3] == ["ребенок", ",", "остаться"]


def test_contract_shape(tagger):
    r = tagger.tag("Травля (буллинг) ребенка в организациях образования запрещается.")
    assert list(r) == ["dimensions", "flags", "age_min_months", "age_max_months", "age_groups",
                       "age_evidence"]
    assert primary(r) == "PRO"
    assert sum(d["primary"] for d in r["dimensions"]) == 1 and len(r["dimensions"]) <= 3
    pro = r["dimensions"][0]
    assert 0 < pro["score"] <= 1 and pro["score"] == round(pro["score"], 2)
    assert "буллинг" in pro["evidence"]
    assert (r["age_min_months"], r["age_max_months"]) == (0, 215)
    json.dumps(r)   # serialisable
    assert TAGGER_VERSION


def test_nothing_applies(tagger):
    r = tagger.tag("Парламент принимает законы в раздельном заседании Палат.")
    assert r == {"dimensions": [], "flags": [], "age_min_months": None, "age_max_months": None,
                 "age_groups": [], "age_evidence": []}


@pytest.mark.parametrize("phrase,lo,hi", [
    ("Ребенку до трех лет предоставляется место в яслях.", 0, 35),
    ("Ребенку до 3 лет предоставляется место в яслях.", 0, 35),
    ("Пособие на ребенка до одного года выплачивается ежемесячно.", 0, 11),
    ("Пособие по уходу за ребенком выплачивается до достижения им возраста полутора лет.", 0, 17),
    ("Трудовой договор с ребенком может быть заключен с четырнадцатилетнего возраста.", 168, 215),
    ("Несовершеннолетние в возрасте от 14 до 16 лет выполняют легкий труд.", 168, 191),
    ("Несовершеннолетние от четырнадцати до шестнадцати лет выполняют легкий труд.", 168, 191),
    ("Опека устанавливается над ребенком, не достигшим четырнадцати лет.", 0, 167),
    ("Ребенку, достигшему восемнадцатилетнего возраста, выплачиваются целевые накопления.", 216, None),
    ("Несовершеннолетние старше 16 лет могут быть членами кружка.", 192, 215),
    ("Дети младше 14 лет посещают лагерь с родителями.", 0, 167),
    ("Права несовершеннолетнего защищаются его родителями.", 0, 215),
    ("Лица в возрасте до восемнадцати лет являются детьми и имеют право на отдых.", 0, 215),
    ("Уголовной ответственности подлежит несовершеннолетний, достигший ко времени совершения "
     "преступления шестнадцатилетнего возраста.", 192, 215),
    ("Грудное вскармливание детей до шести месяцев поддерживается.", 0, 5),
    ("Детям-сиротам, обучающимся в колледжах, стипендия выплачивается до 23 лет.", 0, 275),
])
def test_age_forms(tagger, phrase, lo, hi):
    r = tagger.tag(phrase)
    assert (r["age_min_months"], r["age_max_months"]) == (lo, hi), r
    assert r["age_evidence"] and r["dimensions"]


def test_pregnancy_and_newborn(tagger):
    r = tagger.tag("Беременным женщинам оказывается медицинская помощь.")
    assert primary(r) == "HLT"
    assert r["age_groups"] == ["AG_PRE"] and r["age_min_months"] is None
    r = tagger.tag("Новорожденному проводится скрининг.")
    assert (r["age_min_months"], r["age_max_months"]) == (0, 0)
    assert r["age_groups"] == ["AG_PRE", "AG_INF"]


@pytest.mark.parametrize("text", [
    "Сведения о доходах хранятся за восемнадцать лет.",
    "Договор заключается сроком до пяти лет.",
    "Наказывается лишением свободы на срок до 3 лет.",
    "Наказывается лишением свободы от двух до пяти лет.",
    "Заявление подается в течение трех лет.",
    "Иск предъявляется не позднее трех лет со дня нарушения.",
    "Стаж работы не менее пяти лет.",
    "Документы хранятся 5 лет со дня их составления.",
])
def test_periods_are_not_ages(text):
    assert extract_ages_ru(text) == []


def test_period_in_a_child_provision_keeps_the_default_age(tagger):
    r = tagger.tag("Алименты на ребенка могут быть взысканы за три года, а также в течение трех лет.")
    assert primary(r) == "FAM"
    assert (r["age_min_months"], r["age_max_months"]) == (0, 215)
    assert r["age_evidence"] == ["ребенка"]


def test_adult_ages_are_not_child_ages(tagger):
    r = tagger.tag("Лица, достигшие 63 лет, имеют право на пенсионные выплаты по возрасту.")
    assert r["dimensions"] == [] and r["age_min_months"] is None
    r = tagger.tag("Депутатом маслихата может быть избран гражданин, достигший двадцати лет.")
    assert r["dimensions"] == [] and r["age_min_months"] is None


def test_guardianship_hull_keeps_both_ranges(tagger):
    r = tagger.tag("Опека устанавливается над детьми, не достигшими четырнадцати лет, а "
                   "попечительство — над детьми в возрасте от четырнадцати до восемнадцати лет.")
    assert primary(r) == "FAM"
    assert (r["age_min_months"], r["age_max_months"]) == (0, 215)
    assert r["age_evidence"] == ["не достигшими четырнадцати лет",
                                 "от четырнадцати до восемнадцати лет"]
    # guardianship itself is not the «without parental care» flag (orphans, care leavers are)
    assert r["flags"] == []


def test_criminal_code_general_article_versus_aggravated_part(tagger):
    general = tagger.tag("1. Изнасилование, то есть половое сношение с применением насилия, "
                         "наказывается лишением свободы на срок от трех до пяти лет.")
    assert general["dimensions"] == [] and general["age_min_months"] is None
    part = tagger.tag("3. Деяния, предусмотренные частью первой настоящей статьи, совершенные "
                      "в отношении заведомо несовершеннолетнего, наказываются лишением свободы "
                      "на срок от десяти до пятнадцати лет.")
    assert primary(part) == "PRO"
    assert (part["age_min_months"], part["age_max_months"]) == (0, 215)
    assert part["age_evidence"] == ["несовершеннолетнего"]


def test_excluded_item_gets_nothing(tagger):
    for text in ("7) исключен Законом РК от 24.11.2015 № 419-V (порядок усыновления детей).",
                 "Пункт 3 утратил силу приказом Министра просвещения РК от 01.02.2024 № 20 "
                 "(об опеке над детьми)."):
        r = tagger.tag(text)
        assert r["dimensions"] == [] and r["age_groups"] == [], text


def test_repeal_clause_refers_to_another_act(tagger):
    r = tagger.tag("Признать утратившим силу приказ Министра образования от 1 января 2020 года "
                   "№ 5 «Об утверждении Правил профилактики травли (буллинга) ребенка».")
    assert r["dimensions"] == [] and r["age_min_months"] is None


def test_utrativshim_silu_inside_a_rule_is_not_a_repeal(tagger):
    r = tagger.tag("Решение об установлении опеки над ребенком признается утратившим силу со "
                   "дня достижения ребенком четырнадцати лет.")
    assert primary(r) == "FAM"


def test_quoted_title_of_another_act_is_not_evidence(tagger):
    r = tagger.tag("В соответствии с Законом Республики Казахстан «О правах ребенка в Республике "
                   "Казахстан» утвердить прилагаемый регламент государственной услуги.")
    assert r["dimensions"] == []


def test_schools_are_education_without_an_age(tagger):
    """Gold convention C3 (kb/data/gold/real/CONVENTIONS.md): the school system is EDU even
    when no child is named; no child word, so no age."""
    r = tagger.tag("Финансирование школ и больниц осуществляется за счет средств местного бюджета.")
    assert [d["code"] for d in r["dimensions"]] == ["EDU"]
    assert r["age_min_months"] is None and r["age_max_months"] is None


@pytest.mark.parametrize("text", [
    "Каждый имеет право на охрану здоровья и образование.",
    "Жилище неприкосновенно. Спорт и культура поддерживаются государством.",
])
def test_generic_words_without_a_child_stay_untagged(tagger, text):
    assert tagger.tag(text)["dimensions"] == []


@pytest.mark.parametrize("text,code", [
    ("Детям в детском саду предоставляется бесплатное горячее питание.", "ECD"),
    ("Многодетным семьям назначается государственное пособие.", "MAT"),
    ("Семьям с детьми предоставляется арендное жилище без права выкупа.", "HOU"),
    ("Комиссия по делам несовершеннолетних рассматривает материалы о правонарушениях.", "JUS"),
    ("Государственная регистрация рождения ребенка производится по месту его рождения.", "PAR"),
    ("Организация летнего отдыха и оздоровления детей в лагерях.", "LEI"),
    ("Уполномоченный по правам ребенка рассматривает обращения.", "GOV"),
    ("Обучающиеся получают общее среднее образование в школе.", "EDU"),
    ("Дети, оставшиеся без попечения родителей, передаются в приемную семью.", "FAM"),
    ("Вакцинация детей проводится бесплатно.", "HLT"),
])
def test_primary_dimension_per_domain(tagger, text, code):
    assert primary(tagger.tag(text)) == code


def test_flags(tagger):
    r = tagger.tag("Детям с инвалидностью из малообеспеченных многодетных семей, проживающим в "
                   "сельской местности, оказывается адресная социальная помощь.")
    assert r["flags"] == ["disability", "low_income", "large_family", "rural"]


def test_tag_many_matches_tag(tagger):
    texts = ["Опека над детьми.", "Парламент принимает законы.", "Детский сад."] * 3
    assert list(tagger.tag_many(texts, batch_size=2)) == [tagger.tag(t) for t in texts]


def test_constitution_sanity(tagger, corpus_dir):
    data = json.loads((corpus_dir / "texts" / "K950001000_constitution_ru.json").read_text("utf-8"))
    items = {}
    for key, value in data.items():
        if isinstance(value, str):
            items[key] = value
        else:
            items.update(value["статьи"])
    results = dict(zip(items, tagger.tag_many(list(items.values()))))
    # Article 27: marriage, family, motherhood, fatherhood and childhood under state protection
    assert primary(results["27"]) in ("FAM", "GOV") and "FAM" in codes(results["27"])
    # the Parliament's articles are not about children
    for n in ("49", "50", "51", "53", "54", "55"):
        assert results[n]["dimensions"] == [], n
    tagged = sum(1 for r in results.values() if r["dimensions"])
    assert tagged / len(results) <= 0.1, tagged


def test_working_time_by_a_child_s_age_is_child_labour(tagger):
    """Issue 9's example: a working-time limit by age, with no child word, is PRO for 14–15."""
    r = tagger.tag("для возраста от четырнадцати до шестнадцати лет – не более двадцати часов в неделю;")
    assert codes(r) == ["PRO"] and (r["age_min_months"], r["age_max_months"]) == (168, 191)
    adults = tagger.tag("Продолжительность рабочего времени не может превышать сорока часов в неделю.")
    assert adults["dimensions"] == []
