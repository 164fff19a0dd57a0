"""A small knowledge-base database for the Datasette tests, the browser tests and bench/load.py.

Built from db/schema.py exactly as the build does, filled with a handful of rows written for
the tests (illustrative wording, not copied from the corpus), then indexed with
db.fts.create_search_index. Views come from db/views.py when it exists; otherwise minimal
stand-ins with the same names are created (marked FALLBACK_VIEWS). The provision–indicator
links are computed as the build computes them (db/links.py).

    python tests/datasette_fixture.py OUT.db      # write the fixture to a file
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from db import schema  # noqa: E402
from db.fts import create_search_index  # noqa: E402
from kb.morph import lemmatize_text  # noqa: E402
from kb.provision_ids import assign_slugs  # noqa: E402

RETRIEVED = "2026-08-05T09:30:00+00:00"
A1 = "Z020000345_"
A2 = "Z050000063_"
ADILET = "https://adilet.zan.kz/rus/docs/"

DIMENSIONS = [
    ("MAT", "Material well-being & social protection", "Материальное благополучие и социальная защита", "Материалдық әл-ауқат"),
    ("HOU", "Housing, water, sanitation & living environment", "Жилище, вода, санитария", "Тұрғын үй"),
    ("HLT", "Health & health care", "Здоровье и здравоохранение", "Денсаулық"),
    ("NUT", "Nutrition & food", "Питание", "Тамақтану"),
    ("ECD", "Early childhood care & development", "Раннее развитие", "Ерте даму"),
    ("EDU", "Education & learning", "Образование", "Білім беру"),
    ("FAM", "Family environment & alternative care", "Семейное окружение и альтернативный уход", "Отбасы"),
    ("PRO", "Protection from violence, exploitation & harmful practices", "Защита от насилия и эксплуатации", "Зорлық-зомбылықтан қорғау"),
    ("JUS", "Justice, delinquency prevention & risk behaviours", "Правосудие и профилактика правонарушений", "Сот төрелігі"),
    ("PAR", "Participation, civil rights & identity", "Участие и гражданские права", "Қатысу"),
    ("LEI", "Leisure, play, culture & subjective well-being", "Отдых, игра, культура", "Демалыс"),
    ("GOV", "General measures, principles & child-rights governance", "Общие меры и принципы", "Жалпы шаралар"),
]
AGE_GROUPS = [
    ("AG_PRE", "Pregnancy and birth", "Беременность и рождение", None, None),
    ("AG_INF", "0–11 months", "0–11 месяцев", 0, 11),
    ("AG_TOD", "12–35 months", "12–35 месяцев", 12, 35),
    ("AG_PSC", "3–5 years", "3–5 лет", 36, 71),
    ("AG_PRI", "6–10 years", "6–10 лет", 72, 131),
    ("AG_MID", "11–13 years", "11–13 лет", 132, 167),
    ("AG_AD1", "14–15 years", "14–15 лет", 168, 191),
    ("AG_AD2", "16–17 years", "16–17 лет", 192, 215),
    ("AG_TRN", "18–23 years", "18–23 лет", 216, 287),
]
FLAGS = [("disability", "Disability", "Инвалидность"),
         ("without_parental_care", "Without parental care", "Без попечения родителей"),
         ("low_income", "Low income", "Малообеспеченность"),
         ("large_family", "Large family", "Многодетность")]


def bands(lo, hi):
    if lo is None:
        return []
    hi = 10_000 if hi is None else hi
    return [c for c, _, _, a, b in AGE_GROUPS if a is not None and a <= hi and b >= lo]


# (act, anchor, kind, number, heading, text, parent anchor, dims [(code, score, evidence)],
#  age (min, max), age evidence, flags, excluded, path)
PROVISIONS = [
    (A1, "z1", "chapter", "1", "Общие положения", None, None, [], (None, None), [], [], 0, "гл. 1"),
    (A1, "z3", "article", "1", "Основные понятия",
     "В настоящем Законе применяются следующие основные понятия:", "z1", [], (None, None), [], [], 0, "ст. 1"),
    (A1, "z4", "part", "1", None,
     "ребенок (дети) – лицо, не достигшее восемнадцатилетнего возраста (совершеннолетия);",
     "z3", [("GOV", 0.8, ["ребенок (дети)"])], (0, 215), ["не достигшее восемнадцатилетнего возраста"],
     [], 0, "ст. 1 п. 1"),
    (A1, "z5", "part", "2", None,
     "законные представители ребенка – родители, усыновители, опекун или попечитель, "
     "представляющие интересы ребенка;", "z3", [("FAM", 0.9, ["законные представители ребенка"])],
     (0, 215), [], [], 0, "ст. 1 п. 2"),
    (A1, "z10", "chapter", "2", "Основные права ребенка", None, None, [], (None, None), [], [], 0, "гл. 2"),
    (A1, "z12", "article", "16-1", "Право ребенка на защиту от травли",
     None, "z10", [("PRO", 0.7, ["защиту от травли"])], (0, 215), [], [], 0, "ст. 16-1"),
    (A1, "z13", "part", "1", None,
     "Каждый ребёнок имеет право на защиту от травли (буллинга) и кибертравли со стороны "
     "сверстников и взрослых.", "z12", [("PRO", 0.95, ["травли (буллинга)", "кибертравли"])],
     (0, 215), [], [], 0, "ст. 16-1 п. 1"),
    (A1, "z123", "part", "2", None,
     "Организации образования обеспечивают профилактику травли и насилия среди обучающихся, в том числе "
     "детей, достигших четырнадцатилетнего возраста.", "z12",
     [("PRO", 0.9, ["профилактику травли"]), ("EDU", 0.6, ["Организации образования"])],
     (168, 215), ["достигших четырнадцатилетнего возраста"], [], 0, "ст. 16-1 п. 2"),
    (A1, "z124", "subpart", "1", None,
     "1) проведение разъяснительной работы с родителями и педагогами;", "z123",
     [("PRO", 0.6, ["разъяснительной работы"])], (168, 215), [], [], 0, "ст. 16-1 п. 2 пп. 1)"),
    (A1, "z125", "subpart", "2", None,
     "2) исключен Законом РК от 01.01.2020 № 1-VI.", "z123", [], (None, None), [], [], 1,
     "ст. 16-1 п. 2 пп. 2)"),
    (A1, "z20", "article", "22", "Право ребенка на образование",
     "Каждый ребенок имеет право на получение бесплатного среднего образования в "
     "государственных организациях образования.", "z10",
     [("EDU", 0.95, ["среднего образования"])], (72, 215), [], [], 0, "ст. 22"),
    (A1, "z30", "article", "34", "Дошкольное воспитание",
     "Государство обеспечивает доступность дошкольного воспитания и обучения детей в детских "
     "садах с одного года до шести лет.", "z10",
     [("ECD", 0.95, ["дошкольного воспитания", "детских садах"])], (12, 71),
     ["с одного года до шести лет"], [], 0, "ст. 34"),
    (A2, "z2", "article", "5", "Виды государственных пособий",
     "Семьям, имеющим детей, назначаются следующие виды государственных пособий:", None,
     [("MAT", 0.9, ["государственных пособий"])], (0, 215), [], [], 0, "ст. 5"),
    (A2, "z3", "part", "1", None, "1) пособие на рождение ребенка;", "z2",
     [("MAT", 0.95, ["пособие на рождение ребенка"])], (0, 0), ["рождение ребенка"], [], 0,
     "ст. 5 пп. 1)"),
    (A2, "z4", "part", "2", None,
     "2) пособие по уходу за ребенком до достижения им возраста одного года;", "z2",
     [("MAT", 0.95, ["пособие по уходу за ребенком"])], (0, 11), ["до достижения им возраста одного года"],
     [], 0, "ст. 5 пп. 2)"),
    (A2, "z5", "part", "3", None,
     "3) пособие на детей до восемнадцати лет, назначаемое малообеспеченным семьям.", "z2",
     [("MAT", 0.95, ["малообеспеченным семьям"])], (0, 215), ["до восемнадцати лет"],
     ["low_income"], 0, "ст. 5 пп. 3)"),
]

TRANSLATIONS = [
    (A1, "z13", "kaz", "Әрбір баланың құрдастары мен ересектер тарапынан қорлықтан (буллингтен) "
     "қорғалуға құқығы бар."),
    (A1, "z20", "kaz", "Әрбір баланың мемлекеттік білім беру ұйымдарында тегін орта білім алуға "
     "құқығы бар."),
    (A1, "z4", "eng", "child (children) means a person under eighteen years of age (majority);"),
]

AMENDMENTS = [
    (A1, "z12", "added", "Закон", "2022-05-03", "118-VII",
     "Сноска. Глава 2 дополнена статьей 16-1 в соответствии с Законом РК от 03.05.2022 № 118-VII."),
    (A1, "z123", "new_wording", "Закон", "2023-06-19", "22-VIII",
     "Сноска. Пункт 2 в редакции Закона РК от 19.06.2023 № 22-VIII."),
    (A1, "z125", "excluded", "Закон", "2020-01-01", "1-VI",
     "Сноска. Подпункт 2) исключен Законом РК от 01.01.2020 № 1-VI."),
    (A2, None, "repealed", "Кодекс", "2023-04-20", "224-VII",
     "Сноска. Утратил силу Социальным кодексом РК от 20.04.2023 № 224-VII."),
]

INDICATORS = [
    ("CME_MRY0T4", "Under-five mortality rate", "Коэффициент смертности детей до 5 лет",
     "Deaths per 1,000 live births", "unicef_sdmx", "3.2.1", "HLT", 0, 59, 1),
    ("ED_ANAR_L02", "Participation rate one year before primary", "Охват за год до начальной школы",
     "%", "unicef_sdmx", "4.2.2", "ECD", 60, 71, 0),
    ("PT_CHLD_1-14_PS-PSY-V_CGVR", "Violent discipline, children 1–14", "Насильственные методы воспитания",
     "%", "unicef_sdmx", "16.2.1", "PRO", 12, 179, 1),
]
# (indicator, area, sex, year, value)
OBSERVATIONS = (
    [("CME_MRY0T4", "KAZ", "_T", y, v) for y, v in
     [(2015, 13.6), (2016, 12.5), (2017, 11.6), (2018, 10.9), (2019, 10.4), (2020, 9.9), (2021, 9.6), (2022, 9.3)]]
    + [("CME_MRY0T4", "KAZ", "F", y, v) for y, v in [(2015, 12.1), (2018, 9.6), (2022, 8.2)]]
    + [("CME_MRY0T4", "KAZ", "M", y, v) for y, v in [(2015, 15.0), (2018, 12.1), (2022, 10.3)]]
    + [("CME_MRY0T4", "750000000", "_T", y, v) for y, v in [(2018, 8.1), (2022, 7.0)]]
    + [("ED_ANAR_L02", "KAZ", "_T", y, v) for y, v in [(2017, 88.0), (2019, 93.5), (2021, 96.2)]]
    + [("PT_CHLD_1-14_PS-PSY-V_CGVR", "KAZ", "_T", 2015, 52.7)]
)

FALLBACK_VIEWS = """
CREATE VIEW coverage AS
SELECT d.code AS dimension_code, d.name_en AS dimension, g.code AS age_group_code,
       g.name_en AS age_band,
       (SELECT count(*) FROM provision_dimensions pd
          JOIN provision_age_groups pag ON pag.provision_id = pd.provision_id
          JOIN provisions p ON p.id = pd.provision_id
          JOIN acts a ON a.id = p.act_id
        WHERE pd.dimension_code = d.code AND pag.age_group_code = g.code
          AND a.status = 'in_force' AND p.excluded = 0) AS provisions_in_force,
       (SELECT count(*) FROM indicators i, json_each(i.age_group_codes) j
        WHERE i.dimension_code = d.code AND j.value = g.code) AS indicators,
       (SELECT group_concat(i.name_en, '; ') FROM indicators i, json_each(i.age_group_codes) j
        WHERE i.dimension_code = d.code AND j.value = g.code) AS indicator_names,
       (SELECT group_concat(i.code || ' ' || (SELECT o.period || ': ' || o.value_raw
            FROM observations o WHERE o.indicator_code = i.code AND o.sex = '_T'
            ORDER BY o.year DESC LIMIT 1), '; ')
        FROM indicators i, json_each(i.age_group_codes) j
        WHERE i.dimension_code = d.code AND j.value = g.code) AS latest_values
FROM dimensions d CROSS JOIN age_groups g
WHERE g.kind = 'band'
ORDER BY d.position, g.position;
"""


def create_views(conn) -> str:
    """db/views.py:create_views when it exists, else the stand-ins above; returns which."""
    try:
        from db.views import create_views as real_create_views
    except ImportError:
        conn.executescript(FALLBACK_VIEWS)
        return "fallback"
    import sqlite_utils

    real_create_views(sqlite_utils.Database(conn))
    # provision_indicator_links is a table the build fills (db/links.py), as here
    from db.links import load_links

    load_links(sqlite_utils.Database(conn))
    # and each act's contents, as the build computes them (db/contents.py, issue 11)
    from db.contents import load_contents

    load_contents(sqlite_utils.Database(conn))
    return "db.views"


def build_fixture_db(path) -> Path:
    path = Path(path)
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(schema.TABLES)
    conn.executescript(schema.INDEXES)
    ins = conn.execute
    ins("insert into build_info values ('schema_version', ?)", (str(schema.SCHEMA_VERSION),))
    ins("insert into build_info values ('built_at', ?)", (RETRIEVED,))
    for i, (code, en, ru, kk) in enumerate(DIMENSIONS):
        ins("insert into dimensions (code, name_en, name_ru, name_kk, definition, crc_cluster, "
            "position) values (?,?,?,?,?,?,?)", (code, en, ru, kk, None, None, i))
    for i, (code, en, ru, lo, hi) in enumerate(AGE_GROUPS):
        ins("insert into age_groups (code, name_en, name_ru, min_months, max_months, kind, position) "
            "values (?,?,?,?,?,'band',?)", (code, en, ru, lo, hi, i))
    ins("insert into age_groups (code, name_en, name_ru, min_months, max_months, kind, position) "
        "values ('MODA_0_23', 'MODA 0–23 months', 'MODA 0–23 мес.', 0, 23, 'moda', 20)")
    for code, en, ru in FLAGS:
        ins("insert into flags values (?,?,?)", (code, en, ru))
    acts = [
        (A1, "О правах ребенка в Республике Казахстан", "Қазақстан Республикасындағы баланың құқықтары туралы",
         "On the rights of the child in the Republic of Kazakhstan", "Закон", "345-II", "2002-08-08", 2002,
         "Парламент Республики Казахстан", "in_force", "Обновленный",
         "Закон Республики Казахстан от 8 августа 2002 года № 345-II.", None, "2026-08-01"),
        (A2, "О государственных пособиях семьям, имеющим детей", None, None, "Закон", "63-III",
         "2005-06-28", 2005, "Парламент Республики Казахстан", "repealed", "Утративший силу",
         "Закон Республики Казахстан от 28 июня 2005 года № 63-III. Утратил силу Социальным кодексом.",
         "Утратил силу Социальным кодексом РК от 20.04.2023 № 224-VII", "2023-07-01"),
    ]
    for (aid, title, title_kk, title_en, form, number, adopted, year, body, status, status_raw,
         requisites, repeal, as_of) in acts:
        count = sum(1 for p in PROVISIONS if p[0] == aid)
        ins("""insert into acts (id, title, title_kk, title_en, form, number, date_adopted, year,
               issuing_body, status, status_raw, requisites, repeal_note, url, source_url,
               retrieved_at, content_sha256, as_of, child_related, provision_count)
               values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)""",
            (aid, title, title_kk, title_en, form, number, adopted, year, body, status, status_raw,
             requisites, repeal, ADILET + aid, "https://old.adilet.zan.kz/rus/docs/" + aid,
             RETRIEVED, "ab" * 32, as_of, count))
        ins("""insert into act_texts (act_id, lang, title, requisites, status_raw, url, source_url,
               retrieved_at, content_sha256, inputs_digest) values (?, 'rus', ?, ?, ?, ?, ?, ?, ?, ?)""",
            (aid, title, requisites, status_raw, ADILET + aid, None, RETRIEVED, "ab" * 32, "ab" * 32))
    # Slugs as the build makes them (kb/provision_ids.py); the fixture keeps its anchor-based
    # ids, which the tests name, beside them.
    slugs = {}
    for aid in {p[0] for p in PROVISIONS}:
        tree = [{"id": p[1], "kind": p[2], "number": p[3], "heading": p[4], "parent": p[6],
                 "path": p[12]} for p in PROVISIONS if p[0] == aid]
        slugs.update({(aid, k): v for k, v in assign_slugs(tree).items()})
    for position, (aid, anchor, kind, number, heading, text, parent, dims, (lo, hi), age_ev, flags,
                   excluded, ppath) in enumerate(PROVISIONS):
        pid = f"{aid}-{anchor}"
        primary = dims[0][0] if dims else None
        depth = {"chapter": 0, "article": 1, "part": 2, "subpart": 3}[kind]
        ins("""insert into provisions (id, act_id, slug, anchor, kind, number, heading, text,
               text_lemmas, path, parent_id, position, depth, excluded, url, retrieved_at,
               content_sha256, primary_dimension, dimension_codes, age_min_months, age_max_months,
               age_group_codes, age_evidence, flag_codes)
               values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (pid, aid, slugs[(aid, anchor)], anchor, kind, number, heading, text,
             lemmatize_text(" ".join(x for x in (heading, text) if x)), ppath,
             f"{aid}-{parent}" if parent else None, position, depth, excluded,
             f"{ADILET}{aid}#{anchor}", RETRIEVED, "ab" * 32, primary,
             json.dumps([d[0] for d in dims]), lo, hi, json.dumps(bands(lo, hi)),
             json.dumps(age_ev, ensure_ascii=False), json.dumps(flags)))
        for i, (code, score, evidence) in enumerate(dims):
            ins("insert into provision_dimensions values (?,?,?,?,?,?)",
                (pid, code, score, int(i == 0), json.dumps(evidence, ensure_ascii=False), "rules-ru@1"))
        for band in bands(lo, hi):
            ins("insert into provision_age_groups values (?,?)", (pid, band))
    for aid, anchor, lang, text in TRANSLATIONS:
        prefix = "kaz" if lang == "kaz" else "eng"
        ins("""insert into provision_texts (provision_id, act_id, lang, anchor, kind, text, url,
               retrieved_at, content_sha256) values (?,?,?,?,?,?,?,?,?)""",
            (f"{aid}-{anchor}", aid, lang, anchor, "part", text,
             f"https://adilet.zan.kz/{prefix}/docs/{aid}#{anchor}", RETRIEVED, "cd" * 32))
    for aid, anchor, action, form, date, number, text in AMENDMENTS:
        ins("""insert into amendments (act_id, provision_id, action, amending_form, amending_date,
               amending_number, text, url, retrieved_at) values (?,?,?,?,?,?,?,?,?)""",
            (aid, f"{aid}-{anchor}" if anchor else None, action, form, date, number, text,
             ADILET + aid + (f"#{anchor}" if anchor else ""), RETRIEVED))
    ins("insert into areas values ('KAZ', NULL, 'KAZ', 'country', 'Kazakhstan', 'Казахстан', 'Қазақстан', '[]')")
    ins("insert into areas values ('750000000', '750000000', NULL, 'city', 'Almaty', 'Алматы', 'Алматы', '[]')")
    for code, en, ru, unit, source, sdg, dim, lo, hi, worse in INDICATORS:
        ins("insert into indicators values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (code, en, ru, unit, source, sdg, dim, lo, hi, json.dumps(bands(lo, hi)), None, worse, None))
    for code, area, sex, year, value in OBSERVATIONS:
        ins("""insert into observations (indicator_code, area_code, sex, period, year, value, value_raw,
               unit, data_source, source, source_url, retrieved_at, content_sha256)
               values (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (code, area, sex, str(year), year, value, str(value), None, "UN IGME" if code.startswith("CME") else "MICS",
             "unicef_sdmx", f"https://sdmx.data.unicef.org/ws/public/sdmxapi/rest/data/UNICEF,CME,1.0/KAZ.{code}",
             RETRIEVED, "ef" * 32))
    ins("""insert into fetch_log (url, act_id, lang, kind, status, ok, sha256, retrieved_at, source)
           values (?, ?, 'rus', 'document', 200, 1, ?, ?, 'corpus')""", (ADILET + A1, A1, "ab" * 32, RETRIEVED))
    conn.commit()
    create_views(conn)
    create_search_index(conn)
    conn.commit()
    conn.close()
    return path


if __name__ == "__main__":
    out = build_fixture_db(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts/kb-fixture.db")
    print(out)
