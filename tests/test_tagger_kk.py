"""The Kazakh tagger: spacy.blank("xx") + suffix-aware stems (kb.tagging.kazakh); sentences written here."""
import pytest

from kb.tagging import get_tagger
from kb.tagging.kazakh import default_stemmer, extract_ages_kk
from kb.tagging.pipeline import get_nlp


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def primary(r):
    return next((d["code"] for d in r["dimensions"] if d["primary"]), None)


def test_pipeline_is_multilanguage_blank():
    nlp = get_nlp("kk")
    assert nlp.lang == "xx"      # spaCy has no Kazakh module
    assert nlp.pipe_names[0] == "kb_kk_lemmatizer"


@pytest.mark.parametrize("word,stem", [
    ("балаларға", "бала"), ("баланың", "бала"), ("балалардың", "бала"), ("Балаға", "бала"),
    ("балабақшаға", "балабақша"), ("балабақша", "балабақша"),
    ("еңбегі", "еңбек"),                 # қ/к → ғ/г before a vowel
    ("қамқорлығынсыз", "қамқорлық"),
])
def test_suffix_aware_stems(word, stem):
    assert default_stemmer().stem(word) == stem


@pytest.mark.parametrize("word", ["баспана", "балама", "баланс", "балапан"])
def test_words_that_merely_start_like_bala_are_not_bala(word):
    assert default_stemmer().stem(word) != "бала"


def test_kindergarten_is_not_child(tagger):
    r = tagger.tag("Балабақшаның тәрбиеленушілерін ыстық тамақпен қамтамасыз ету.", "kk")
    assert primary(r) == "ECD"
    assert r["age_min_months"] is None      # «балабақша» does not name a child
    r = tagger.tag("Балабақшаға балаларды қабылдау.", "kk")
    assert primary(r) == "ECD" and (r["age_min_months"], r["age_max_months"]) == (0, 215)


def test_housing_is_not_child(tagger):
    assert tagger.tag("Баспана беру кезегі жергілікті атқарушы органда жүргізіледі.", "kk")["dimensions"] == []


@pytest.mark.parametrize("text,lo,hi", [
    ("он төрт жасқа дейін", 0, 167),
    ("14 жасқа толмаған", 0, 167),
    ("он сегіз жасқа толған", 216, None),
    ("үш жасқа дейінгі", 0, 35),
    ("бір жарым жасқа дейін", 0, 17),
    ("алты айға дейінгі", 0, 5),
    ("он төрт жастан он алты жасқа дейін", 168, 191),
    ("он төрт жастан бастап", 168, None),
])
def test_age_forms(text, lo, hi):
    hits = extract_ages_kk(f"Балалар {text} қамтылады.")
    assert [(h.min_months, h.max_months) for h in hits] == [(lo, hi)]
    assert hits[0].text == text


@pytest.mark.parametrize("text", ["он сегіз жыл ішінде төленеді",
                                  "бес жылға дейінгі мерзімге бас бостандығынан айыру",
                                  "алты айға дейінгі мерзімге"])
def test_periods_are_not_ages(text):
    assert extract_ages_kk(text) == []


def test_minor_without_threshold(tagger):
    r = tagger.tag("Кәмелетке толмағандарға қатысты буллингтің алдын алу.", "kk")
    assert primary(r) == "PRO" and (r["age_min_months"], r["age_max_months"]) == (0, 215)


def test_guardianship_hull(tagger):
    r = tagger.tag("Он төрт жасқа толмаған балаларға қорғаншылық, он төрт жастан он сегіз жасқа "
                   "дейінгі балаларға қамқоршылық белгіленеді.", "kk")
    assert primary(r) == "FAM"
    assert (r["age_min_months"], r["age_max_months"]) == (0, 215)
    assert r["age_evidence"] == ["Он төрт жасқа толмаған", "он төрт жастан он сегіз жасқа дейінгі"]


def test_adult_age_is_not_a_child_age(tagger):
    r = tagger.tag("Алпыс үш жасқа толған адамдарға зейнетақы төленеді.", "kk")
    assert r["dimensions"] == [] and r["age_min_months"] is None


def test_excluded_and_repeal_items(tagger):
    assert tagger.tag("5) алып тасталды - ҚР 24.11.2015 № 419-V Заңымен (балаларды асырап алу).",
                      "kk")["dimensions"] == []
    assert tagger.tag("Білім министрінің «Балаларды буллингтен қорғау қағидаларын бекіту туралы» "
                      "бұйрығының күші жойылды деп танылсын.", "kk")["dimensions"] == []


def test_criminal_code_in_kazakh(tagger):
    general = tagger.tag("Зорлау бес жылдан сегіз жылға дейінгі мерзімге бас бостандығынан "
                         "айыруға жазаланады.", "kk")
    assert general["dimensions"] == [] and general["age_min_months"] is None
    part = tagger.tag("Көрінеу кәмелетке толмағанға қатысты жасалған дәл сол әрекеттер.", "kk")
    assert primary(part) == "PRO"


def test_schools_are_education_without_an_age(tagger):
    """Gold convention C3: the school system is EDU with no child named, and no age."""
    r = tagger.tag("Мектептер мен ауруханаларды қаржыландыру жергілікті бюджеттен жүзеге "
                   "асырылады.", "kk")
    assert [d["code"] for d in r["dimensions"]] == ["EDU"] and r["age_min_months"] is None


def test_generic_words_without_a_child(tagger):
    assert tagger.tag("Ауруханаларды қаржыландыру жергілікті бюджеттен жүзеге асырылады.",
                      "kk")["dimensions"] == []


def test_a_balance_sheet_is_no_child(tagger):
    """«баланс» (balance sheet) starts like «бала» (child): an own word, also with suffixes."""
    for text in ("Серіктестіктің мүлкі оның балансында есептеледі.",
                 "Басқарушы сотқа тарату балансын ұсынады."):
        r = tagger.tag(text, "kk")
        assert r["dimensions"] == [] and r["age_min_months"] is None, text
    assert tagger.tag("Балалардың мүлкі есептеледі.", "kk")["age_min_months"] == 0


def test_harm_to_health_and_development_is_protection(tagger):
    """«денсаулығы мен дамуына зиян» (harm to health and development: harmful information) is
    PRO, as ru «вред здоровью и развитию», not health care."""
    r = tagger.tag("Ата-ана балалардың денсаулығы мен дамуына зиян келтіретін ақпаратқа кіруін "
                   "шектейді.", "kk")
    assert primary(r) == "PRO"
    assert "HLT" not in [d["code"] for d in r["dimensions"]]


def test_life_and_health_named_as_threatened_is_not_health_care(tagger):
    """«өмірі мен денсаулығына қатер» says what is threatened (as ru «жизни и здоровью»)."""
    r = tagger.tag("Баланың өмірі мен денсаулығына қатер төнген кезде ата-анасы дереу хабарлайды.", "kk")
    assert "HLT" not in [d["code"] for d in r["dimensions"]]


def test_land_plots_and_higher_education_keep_the_gate_closed(tagger):
    for text in ("Жер учаскелері мектептер мен ауруханалар салу үшін уақытша жер пайдалануға беріледі.",
                 "Жоғары оқу орнынан кейінгі білім беру ұйымдарында білім алушылар тағылымдамадан өтеді."):
        r = tagger.tag(text, "kk")
        assert r["dimensions"] == [] and r["age_min_months"] is None, text


def test_orphans_housing_is_housing_not_family_counted_twice(tagger):
    """«ата-анасының қамқорлығынсыз қалған» is one group (ru «оставшихся без попечения
    родителей»): beside what the provision regulates (housing) it yields, as in Russian."""
    r = tagger.tag("Жетім балалардың, ата-анасының қамқорлығынсыз қалған балалардың тұрғын үйі "
                   "сақталады.", "kk")
    assert primary(r) == "HOU"
    assert "without_parental_care" in r["flags"]


def test_state_aid_to_children_is_material(tagger):
    r = tagger.tag("Мемлекет мүгедектігі бар балаларға материалдық көмек көрсетеді.", "kk")
    assert "MAT" in [d["code"] for d in r["dimensions"]]


@pytest.mark.parametrize("text,code", [
    ("Білім алушыларды тамақтандыруды ұйымдастыру тәртібі бекітіледі.", "NUT"),
    ("Бала психикаға белсенді әсер ететін заттарды тұтынудан қорғалуға тиіс.", "JUS"),
    ("Әрбір баланың сөз бостандығына және өз пікірін айтуға құқығы бар.", "PAR"),
    ("Балаларға қосымша білім беретін ұйымдар үйірмелер ашады.", "LEI"),
])
def test_kazakh_words_of_russian_cues(tagger, text, code):
    """Kazakh forms of cues the Russian lexicon has (found where the Russian twin of a provision
    was tagged and the Kazakh one was not): feeding, psychoactive substances, free speech,
    additional education."""
    assert code in [d["code"] for d in tagger.tag(text, "kk")["dimensions"]]


def test_cargo_is_not_pregnancy(tagger):
    """«жүкті» is also the accusative of «жүк» (cargo): «жүкті тасымалдау» is no pregnancy;
    «жүкті әйел» and «жүктілік» are."""
    r = tagger.tag("Велосипедпен габаритінен артық шығып тұратын жүкті тасымалдауға тыйым салынады.", "kk")
    assert r["dimensions"] == [] and "AG_PRE" not in r["age_groups"]
    r = tagger.tag("Жүкті әйелдерге жүктілігі бойынша демалыс беріледі.", "kk")
    assert "AG_PRE" in r["age_groups"]


def test_a_maternal_only_provision_with_other_cues_is_scored(tagger):
    """A provision whose only child words are pregnancy words drops the other dimensions' cues;
    the group rule must not look them up (it raised KeyError on such a Kazakh text)."""
    r = tagger.tag("Жүкті әйелдерге және жүктілігі бойынша демалыстағы әйелдерге жәрдемақы төленеді.", "kk")
    assert r["dimensions"]
