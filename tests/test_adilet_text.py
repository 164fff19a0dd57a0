"""The Adilet page-text reader (`scrapers/adilet/textfile.py`) on the real files of
`../shared/corpus/adilet-text/{rus,kaz}/{ID}.txt` (issue 8, «Done when»), plus small invented
files for the format's quirks.

Every real act is parsed once per session (`_parse`, an lru_cache). The article headings a file
holds are found by this test's own simple line regexes (`headings_in_file`), never by the
reader's, so the two can disagree. Cases where the READER is wrong are `xfail(strict=True)` with
the reason: fixing the reader turns them into failures (XPASS) until the marker is removed.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import pytest

from kb.provision_ids import assign_slugs
from scrapers.adilet.textfile import TextFileError, article_headings, read_adilet_text
_DIRS: dict = {}      # "text" → corpus_dir/adilet-text, set by the `act` fixture

RUS_IDS = [
    "K030000442_", "K1100000518", "K1400000226", "K1400000235", "K1500000375", "K1500000414",
    "K2000000360", "K2300000224", "K950001000_", "Z020000345_", "Z030000446_", "Z030000461_",
    "Z040000573_", "Z070000310_", "Z070000319_", "Z100000261_", "Z100000274_", "Z1200000056",
    "Z1200000561", "Z1300000094", "Z1400000176", "Z1400000194", "Z1500000416", "Z1700000062",
    "Z1800000133", "Z1800000167", "Z2200000178", "Z2300000193", "Z2400000106", "Z950002198_",
    "Z950002444_", "Z970000094_", "Z970000155_", "Z980000220_",
]
KAZ_IDS = [
    "K030000442_", "Z020000345_", "Z030000446_", "Z030000461_", "Z040000573_", "Z070000310_",
    "Z070000319_", "Z100000274_", "Z1200000056", "Z1200000561", "Z1300000094", "Z1400000176",
    "Z1400000194", "Z1500000416", "Z1700000062", "Z1800000133", "Z1800000167", "Z2200000178",
    "Z2300000193", "Z950002198_", "Z950002444_", "Z970000155_", "Z980000220_",
]
ALL = [("rus", a) for a in RUS_IDS] + [("kaz", a) for a in KAZ_IDS]


def _params(pairs, xfails: dict):
    """pytest params «lang-ID», with a strict xfail on the (lang, ID) pairs listed in `xfails`."""
    out = []
    for lang, act_id in pairs:
        reason = xfails.get((lang, act_id))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(lang, act_id, id=f"{lang}-{act_id}", marks=marks))
    return out


@lru_cache(maxsize=None)
def _text(lang: str, act_id: str) -> str:
    return (_DIRS["text"] / lang / f"{act_id}.txt").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _parse(lang: str, act_id: str) -> dict:
    return read_adilet_text(_text(lang, act_id), act_id=act_id, lang=lang)


@pytest.fixture(scope="module")
def act(corpus_dir):
    """act(lang, ID) → the reader's output for that real file (parsed once per session)."""
    _DIRS["text"] = corpus_dir / "adilet-text"
    return _parse


def _prov(doc: dict, pid: str) -> dict:
    found = [p for p in doc["provisions"] if p["id"] == pid]
    assert len(found) == 1, f"provision {pid!r}: {len(found)} found"
    return found[0]


def _records(doc: dict, pid: str | None, note_kind: str | None = None) -> list[dict]:
    return [a for a in doc["amendments"] if a["provision"] == pid
            and (note_kind is None or a["note_kind"] == note_kind)]


# --- the test's own heading finder ------------------------------------------------------------

_WS = r"[ \t\u00a0]"
_CAP = r"[A-ZА-ЯЁӘІҢҒҮҰҚӨҺ«\"(]"
# Russian: a line starting (after whitespace) with «Статья N», N like 16 or 16-1, followed by «.»,
# the end of the line or a capitalised word (the Constitution's headings are «Статья 1» alone).
# Lines like «Статья 54 предусматривается в редакции …», «Статья 68 с изменением, внесенным …»
# (a lowercase word after the number, no dot) are sentences inside notes, not headings: the
# capital-letter rule leaves them out, as the reader does. Lowercase «статья 51» lines are link
# text in mid-sentence. The «С» may be a Latin «C» in the source («Cтатья 69.» in K1400000235):
# still a heading.
RU_HEADING = re.compile(rf"^{_WS}*[СC]татья{_WS}+(\d+(?:-\d+)*){_WS}*(?:\.|$|{_CAP})", re.M)
# Kazakh: «N-бап» the same way (the «а» may be a Latin «a»: « 10-бaп Рұқсат …» in
# Z040000573_); «47-2 -бап.» has a space before the hyphen. Sentences «4-бап жаңа редакцияда
# көзделген …» are left out by the capital-letter rule.
KK_HEADING = re.compile(
    rf"^{_WS}*(\d+(?:-\d+)*){_WS}*-{_WS}*б[аa]п{_WS}*(?:\.|$|{_CAP})", re.M)
# A Kazakh heading for a block of excluded articles names a range: «87-бап - 88-баптар алынып
# тасталды …», «62-68-баптар.». It stands for its first article (the Russian text prints
# «Статья 62.» + «(Статьи 62-68 исключены …)»).
KK_RANGE_HEADING = re.compile(
    rf"^{_WS}*(\d+)(?:-бап)?{_WS}*[-–]{_WS}*\d+-баптар(?![^\W\d_])", re.M)
# An article heading whose «Статья»/«-бап» word the page lost: a one-line paragraph (blank line
# before and after), not indented by Adilet's non-breaking spaces, «N. Title» with no closing
# punctuation, and not an exclusion or «Действовал до …» note. In these files: K1400000235
# «173. Незаконное вмешательство в предпринимательскую деятельность», kaz Z1200000056
# «29-8. …», kaz Z1400000176 « 112-4. …», kaz Z070000310_ « 18-1. …». Numbered parts are
# indented, or end with «.»/«:»/«;», or run on into a link line.
BARE_HEADING = re.compile(
    r"^ ?(\d+(?:-\d+)*)\.\s+[A-ZА-ЯЁӘІҢҒҮҰҚӨҺ][^\n]*[^.;:,\s–—-]\s*$")
NOT_A_HEADING = re.compile(r"сключ|лып\s+тасталды|алынып|утратил|жойылды|Действовал|"
                           r"көзделген|Исключить", re.I)


def headings_in_file(text: str, lang: str) -> set[str]:
    if lang == "rus":
        found = set(RU_HEADING.findall(text))
    else:
        found = set(KK_HEADING.findall(text)) | set(KK_RANGE_HEADING.findall(text))
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = BARE_HEADING.match(line)
        if m and not NOT_A_HEADING.search(line) and (i == 0 or not lines[i - 1].strip()) \
                and (i + 1 == len(lines) or not lines[i + 1].strip()):
            found.add(m.group(1))
    return found


# --- 34 + 23 files -----------------------------------------------------------------------------

def test_corpus_holds_34_russian_and_23_kazakh_texts(corpus_dir):
    rus = sorted(p.stem for p in (corpus_dir / "adilet-text" / "rus").glob("*.txt"))
    kaz = sorted(p.stem for p in (corpus_dir / "adilet-text" / "kaz").glob("*.txt"))
    assert rus == sorted(RUS_IDS) and len(rus) == 34
    assert kaz == sorted(KAZ_IDS) and len(kaz) == 23
    assert set(kaz) <= set(rus)


HEADING_XFAILS = {
    ("rus", "K1400000235"): "reader misses 3 article headings: «Cтатья 69.» and «Cтатья 312.» "
        "(Latin C, file lines 1287, 8240; 312 becomes ch20-a1 + points p1/p2 under ch20) and "
        "«173. Незаконное вмешательство …» without «Статья» (line 3611; becomes art172-p173)",
    ("kaz", "Z1200000056"): "reader misses headings without «-бап»: «29-8.», «29-12.», «29-13.» "
        "(lines 2755, 2975, 2997) become parts of the article before",
    ("kaz", "Z1400000176"): "reader misses « 112-4. Бітімгершілік келісімді соттың бекітуі» "
        "(no «-бап», line 4101)",
    ("kaz", "Z070000310_"): "reader misses « 18-1. Уәкілетті органның құзыреті» (no «-бап», "
        "line 591)",
    ("kaz", "Z970000155_"): "reader drops the range heading «62-68-баптар.» (line 2359) while it "
        "keeps «87-бап - 88-баптар алынып тасталды» as article 87 and the Russian text keeps "
        "«Статья 62.»: kaz article 62 is missing",
}


@pytest.mark.parametrize("lang,act_id", _params(ALL, HEADING_XFAILS))
def test_article_numbers_equal_headings_in_file(act, lang, act_id):
    doc = act(lang, act_id)
    parsed = {p["number"] for p in doc["provisions"] if p["kind"] == "article"}
    in_file = headings_in_file(_text(lang, act_id), lang)
    assert in_file, "the file has article headings"
    assert parsed == in_file, (f"missing: {sorted(in_file - parsed)}; "
                               f"extra: {sorted(parsed - in_file)}")


@pytest.mark.parametrize("lang,act_id", _params(ALL, {}))
def test_article_numbers_unique_and_headings_helper_agrees(act, lang, act_id):
    doc = act(lang, act_id)
    numbers = [p["number"] for p in doc["provisions"] if p["kind"] == "article"]
    assert numbers and len(numbers) == len(set(numbers))
    # article_headings lists a heading Adilet repeats after a footnote about it twice; the
    # reader merges the two into one article
    headings = article_headings(_text(lang, act_id))
    assert set(headings) == set(numbers) and len(headings) >= len(numbers)


NOTE_MARKERS = ("Сноска.", "Ескерту.", "Примечание ИЗПИ", "Примечание РЦПИ", "ескертпесі")


@pytest.mark.parametrize("lang,act_id", _params(ALL, {}))
def test_no_note_text_in_provisions(act, lang, act_id):
    doc = act(lang, act_id)
    leaks = [(p["id"], m) for p in doc["provisions"] for m in NOTE_MARKERS
             for field in (p["text"], p["heading"]) if field and m in field]
    assert leaks == []


@pytest.mark.parametrize("lang,act_id", _params(ALL, {}))
def test_footnote_records_cover_footnotes(act, lang, act_id):
    text = _text(lang, act_id)
    occurrences = len(re.findall(r"(?:Сноска|Ескерту)\s*\.", text))
    footnotes = [a for a in act(lang, act_id)["amendments"] if a["note_kind"] == "footnote"]
    # distinct notes, not records: one footnote naming three amending acts is three records
    distinct = {(a["provision"], a["text"]) for a in footnotes}
    assert occurrences > 0
    assert len(distinct) >= 0.9 * occurrences
    assert len(footnotes) >= 0.9 * occurrences
    assert all(a["text"].startswith(("Сноска", "Ескерту")) for a in footnotes)


NUMBER_XFAILS = {
    ("rus", "K1100000518"): "«от 20.12.021 № 84-VII» (source typo in the year, footnotes of "
        "arts 158, 166, 167): the printed number 84-VII is lost with the bad date",
}


@pytest.mark.parametrize("lang,act_id", _params(ALL, NUMBER_XFAILS))
def test_footnotes_with_a_number_have_amending_number(act, lang, act_id):
    footnotes = [a for a in act(lang, act_id)["amendments"] if a["note_kind"] == "footnote"]
    missing = [a["text"][:120] for a in footnotes if "№" in a["text"] and not a["amending_number"]]
    assert missing == []


@pytest.mark.parametrize("lang,act_id", _params(ALL, {}))
def test_amending_dates_are_iso(act, lang, act_id):
    dates = [a["amending_date"] for a in act(lang, act_id)["amendments"] if a["amending_date"]]
    assert dates
    for d in dates:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", d), d
        assert dt.date(1990, 1, 1) <= dt.date.fromisoformat(d) <= dt.date(2027, 12, 31), d


def test_amendment_records_point_at_existing_provisions(act):
    dangling = {}
    for lang, act_id in ALL:
        doc = act(lang, act_id)
        ids = {p["id"] for p in doc["provisions"]}
        bad = {a["provision"] for a in doc["amendments"]
               if a["provision"] is not None and a["provision"] not in ids}
        if bad:
            dangling[f"{lang}-{act_id}"] = sorted(bad)
    assert dangling == {}


def test_article_footnotes_stay_inside_their_article(act):
    """«Сноска. Статья N …» / «Ескерту. N-бап…» is linked to article N or a point inside it
    (Adilet prints article footnotes after the article's last point)."""
    rx = {"rus": re.compile(r"^Сноска\.\s*Статья\s+(\d+(?:-\d+)*)\s"),
          "kaz": re.compile(r"^Ескерту\.\s*(\d+(?:-\d+)*)-ба[пб]")}
    total = inside = 0
    for lang, act_id in ALL:
        doc = act(lang, act_id)
        provs = {p["id"]: p for p in doc["provisions"]}

        def article_of(pid):
            while pid is not None and provs[pid]["kind"] != "article":
                pid = provs[pid]["parent"]
            return provs[pid]["number"] if pid is not None else None

        seen = set()
        for a in doc["amendments"]:
            m = rx[lang].match(a["text"]) if a["note_kind"] == "footnote" else None
            if not m or (a["provision"], a["text"]) in seen or a["provision"] not in provs:
                continue
            seen.add((a["provision"], a["text"]))
            total += 1
            inside += article_of(a["provision"]) == m.group(1)
    assert total > 4000
    # the few outside are Adilet's own slips («Сноска. Статья 288» printed under art. 280 of
    # K1100000518) and the headings the reader misses (see HEADING_XFAILS)
    assert inside >= 0.995 * total


def test_article_footnote_linked_to_the_article(act):
    doc = act("rus", "K1500000414")
    recs = [a for a in doc["amendments"] if a["text"].startswith("Сноска. Статья 31 с изменением")]
    assert recs and {a["provision"] for a in recs} == {"art31"}


# --- spot checks read from the files -----------------------------------------------------------

def test_labour_code_excluded_subpart(act):
    # rus/K1500000414.txt line 59: «19) исключен Законом РК от 08.07.2024 » «№ 116-VIII» «(вводится …)»
    doc = act("rus", "K1500000414")
    sp = _prov(doc, "art1-p1-sp19")
    assert (sp["kind"], sp["number"], sp["parent"], sp["excluded"], sp["text"]) == \
        ("subpart", "19", "art1-p1", True, None)
    assert sp["path"] == "ст. 1 п. 1 пп. 19)"
    recs = _records(doc, "art1-p1-sp19")
    assert [(a["action"], a["note_kind"], a["amending_form"], a["amending_date"],
             a["amending_number"]) for a in recs] == \
        [("excluded", "exclusion", "Закон", "2024-07-08", "116-VIII")]
    assert "десяти календарных дней" in recs[0]["entry_into_force"]
    for neighbour in ("art1-p1-sp18-1", "art1-p1-sp20"):
        assert not _prov(doc, neighbour)["excluded"] and _prov(doc, neighbour)["text"]


def test_article_16_1(act):
    # rus/Z020000345_.txt line 835: « Статья 16-1. Право ребенка на защиту от экономической …»
    doc = act("rus", "Z020000345_")
    art = _prov(doc, "art16-1")
    assert (art["kind"], art["number"], art["path"]) == ("article", "16-1", "ст. 16-1")
    assert art["heading"] == "Право ребенка на защиту от экономической эксплуатации"
    assert art["text"] == "Каждый ребенок имеет право на защиту от экономической эксплуатации."
    order = [p["id"] for p in doc["provisions"] if p["kind"] == "article"]
    assert order.index("art16") + 1 == order.index("art16-1") == order.index("art17") - 1
    recs = _records(doc, "art16-1", "footnote")
    assert [(a["action"], a["amending_date"], a["amending_number"]) for a in recs] == \
        [("added", "2010-11-23", "354-IV")]


def _preamble_footnotes(doc):
    return [a for a in doc["amendments"] if a["text"].startswith("Сноска. Преамбула")]


def test_multiline_preamble_footnote_gives_two_records(act):
    # rus/Z020000345_.txt lines 12-16: «Сноска. Преамбула с изменениями, внесенными законами РК
    # от 23.11.2010 » «№ 354-IV» «(вводится …); от 30.12.2024 » «№ 148-VIII» «(вводится …).»
    doc = act("rus", "Z020000345_")
    recs = _preamble_footnotes(doc)
    assert [(a["action"], a["amending_form"], a["amending_date"], a["amending_number"])
            for a in recs] == [("amended", "Закон", "2010-11-23", "354-IV"),
                               ("amended", "Закон", "2024-12-30", "148-VIII")]
    assert all(a["note_kind"] == "footnote" and a["entry_into_force"] for a in recs)
    assert recs[0]["text"].endswith("опубликования).") and "\n" not in recs[0]["text"]
    assert _prov(doc, "preamble")["text"] == ("Настоящий Закон регулирует отношения, возникающие "
        "в связи с реализацией основных прав и законных интересов ребенка, гарантированных "
        "Конституцией Республики Казахстан.")


def test_preamble_footnote_linked_to_preamble(act):
    recs = _preamble_footnotes(act("rus", "Z020000345_"))
    assert recs and {a["provision"] for a in recs} == {"preamble"}


def test_paragraph_heading_in_marriage_code(act):
    # rus/K1100000518.txt line 628: «§ 1. Законный режим имущества супругов», in «Глава 7»
    doc = act("rus", "K1100000518")
    par = _prov(doc, "ch7-par1")
    assert (par["kind"], par["level"], par["number"], par["parent"]) == \
        ("chapter", "par", "1", "ch7")
    assert par["heading"] == "Законный режим имущества супругов"
    assert _prov(doc, "ch7-par2")["heading"] == "Договорный режим имущества супругов"
    assert _prov(doc, "ch7-par3")["heading"] == "Ответственность супругов по обязательствам"
    assert _prov(doc, "art32")["parent"] == "ch7-par1"
    assert _prov(doc, "art32")["heading"] == "Понятие законного режима имущества супругов"
    assert _prov(doc, "ch7")["heading"] == "ИМУЩЕСТВЕННЫЕ ПРАВА И ОБЯЗАННОСТИ СУПРУГОВ"


def test_chapter_titles_broken_over_two_lines(act):
    # rus/K1100000518.txt lines 2270-2271 and 3290-3291
    doc = act("rus", "K1100000518")
    assert _prov(doc, "ch15")["heading"] == \
        "ВЫЯВЛЕНИЕ И УСТРОЙСТВО ДЕТЕЙ-СИРОТ, ДЕТЕЙ, ОСТАВШИХСЯ БЕЗ ПОПЕЧЕНИЯ РОДИТЕЛЕЙ"
    assert _prov(doc, "ch19")["heading"] == "АЛИМЕНТНЫЕ ОБЯЗАТЕЛЬСТВА РОДИТЕЛЕЙ И ДЕТЕЙ"


def test_kazakh_article_and_subpart(act):
    # kaz/Z020000345_.txt line 18 «1-бап. …», line 26 «2) бала – он сегіз жасқа …»
    doc = act("kaz", "Z020000345_")
    sp = _prov(doc, "art1-sp2")
    assert (sp["kind"], sp["number"], sp["parent"]) == ("subpart", "2", "art1")
    assert sp["text"] == "бала – он сегіз жасқа (кәмелетке) толмаған адам;"
    assert sp["path"] == "1-бап 2) тт."
    assert doc["act"]["lang"] == "kaz" and doc["act"]["url"].endswith("/kaz/docs/Z020000345_")


def test_kazakh_article_31_title_after_break(act):
    # kaz/Z020000345_.txt lines 1220-1221: «31-бап» then «. Мүгедектігі бар баланың …»
    doc = act("kaz", "Z020000345_")
    art = _prov(doc, "art31")
    assert (art["kind"], art["number"], art["path"]) == ("article", "31", "31-бап")
    assert art["heading"] == "Мүгедектігі бар баланың толыққанды өмірге құқықтары"
    assert _prov(doc, "art31-p1")["parent"] == "art31"
    assert not any((p["text"] or "").startswith(".") for p in doc["provisions"])


def test_constitution_court_references(act):
    # rus/K950001000_.txt lines 33-47: under « Статья 1»: «Примечание. См. нормативные
    # постановления Конституционного Суда РК от 08.04.2023 » «№ 8-НП» «; от 18.05.2023 » …
    doc = act("rus", "K950001000_")
    refs = _records(doc, "art1", "reference")
    assert [(a["amending_date"], a["amending_number"]) for a in refs] == [
        ("2023-04-08", "8-НП"), ("2023-05-18", "14-НП"), ("2023-07-11", "20-НП"),
        ("2023-12-06", "37-НП"), ("2024-01-10", "40-НП"), ("2024-12-27", "59-НП"),
        ("2025-07-18", "73-НП")]
    assert {a["action"] for a in refs} == {"reference"}
    assert {a["amending_form"] for a in refs} == {"Нормативное постановление Конституционного Суда"}
    assert "Примечание" not in (_prov(doc, "art1-p1")["text"] or "")
    all_refs = [a for a in doc["amendments"] if a["note_kind"] == "reference"]
    assert all(a["amending_number"] and a["amending_date"] for a in all_refs)
    in_file = set(re.findall(r"№\s*(\d+-НП)", _text("rus", "K950001000_")))
    # line 1625-1627 (under art. 62): «… Конституционного Суда РК от 10.01.2023 » «№ 2» «.», a
    # number without «-НП»
    assert {a["amending_number"] for a in all_refs} == in_file | {"2"}
    assert ("art62", "2023-01-10", "2") in [(a["provision"], a["amending_date"],
                                             a["amending_number"]) for a in all_refs]


def test_editor_note_attached_to_next_subpart(act):
    # rus/K1500000414.txt lines 97-103: «Примечание ИЗПИ!» / «В подпункт 35-1) предусматривается
    # изменение Законом РК от 09.01.2026 » «№ 256-VIII» … then «35-1) единая система …»
    doc = act("rus", "K1500000414")
    recs = _records(doc, "art1-p1-sp35-1")
    assert [(a["action"], a["note_kind"], a["amending_date"], a["amending_number"])
            for a in recs] == [("note", "editor_note", "2026-01-09", "256-VIII")]
    assert recs[0]["text"].startswith("Примечание ИЗПИ! В подпункт 35-1) предусматривается")
    assert _records(doc, "art1-p1-sp35") == []
    assert _prov(doc, "art1-p1-sp35-1")["text"].startswith("единая система учета трудовых")


def test_repealed_banking_law(act):
    # rus/Z950002444_.txt line 1: «Сноска. Закон утратил силу Законом РК от 16.01.2026 » «№ 258-VIII»
    doc = act("rus", "Z950002444_")
    assert doc["act"]["status"] == "repealed"
    assert doc["act"]["repeal_note"].startswith("Сноска. Закон утратил силу Законом РК от 16.01.2026")
    assert ("repealed", "2026-01-16", "258-VIII") in [
        (a["action"], a["amending_date"], a["amending_number"]) for a in _records(doc, None)]
    assert all(act(lang, a)["act"]["status"] == "in_force" for lang, a in ALL
               if a != "Z950002444_")


def test_repealed_banking_law_kazakh(act):
    assert act("kaz", "Z950002444_")["act"]["status"] == "repealed"


def test_excluded_article_in_notaries_law(act):
    # rus/Z970000155_.txt lines 2257-2264: «Статья 55. » «(Статья 55 исключена - Законом РК от »
    # «0» «5» «.05.» «2003 » «№ 408» «)»
    doc = act("rus", "Z970000155_")
    art = _prov(doc, "art55")
    assert (art["excluded"], art["text"]) == (True, None)
    assert [(a["action"], a["amending_date"], a["amending_number"])
            for a in _records(doc, "art55")] == [("excluded", "2003-05-05", "408")]
    assert _prov(doc, "art56")["heading"] == "Удостоверение завещаний"


def test_excluded_article_range(act):
    art = _prov(act("rus", "Z970000155_"), "art62")
    assert (art["excluded"], art["text"]) == (True, None)


@pytest.mark.xfail(strict=True, reason=(
    "rus/K1400000235.txt line 3611 «173. Незаконное вмешательство в предпринимательскую "
    "деятельность» (heading without «Статья») becomes part art172-p173; line 1287 «Cтатья 69.» "
    "(Latin C) is lost too"))
def test_admin_code_articles_173_and_69(act):
    doc = act("rus", "K1400000235")
    assert _prov(doc, "art173")["heading"] == \
        "Незаконное вмешательство в предпринимательскую деятельность"
    assert _prov(doc, "art69")["heading"] == "Меры воспитательного воздействия"


def test_example_ids(act):
    assert _prov(act("rus", "K950001000_"), "art27-p2")["text"] == \
        "Забота о детях и их воспитание являются естественным правом и обязанностью родителей."
    assert _prov(act("rus", "K1500000414"), "art31-p1")["text"] == \
        "Заключение трудового договора допускается с гражданами, достигшими шестнадцатилетнего возраста."
    sp = _prov(act("rus", "Z020000345_"), "art1-sp8-1")
    assert sp["path"] == "ст. 1 пп. 8-1)"
    assert sp["text"] == (
        "наставничество над детьми-сиротами, детьми, оставшимися без попечения родителей "
        "(далее – наставничество), – деятельность, направленная на оказание индивидуальной "
        "поддержки и помощи в подготовке к самостоятельной жизни детей-сирот, детей, оставшихся "
        "без попечения родителей, находящихся в организациях образования для детей-сирот и "
        "детей, оставшихся без попечения родителей, достигших десятилетнего возраста;")


# --- ids -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,act_id", _params([p for p in ALL if p[0] == "rus"], {}))
def test_assign_slugs_returns_reader_ids(act, lang, act_id):
    provisions = act(lang, act_id)["provisions"]
    slugs = assign_slugs(provisions)
    assert len(slugs) == len(provisions)
    assert {k: v for k, v in slugs.items() if k != v} == {}


SLUG_XFAILS = {
}


@pytest.mark.parametrize("lang,act_id", _params(ALL, SLUG_XFAILS))
def test_ids_are_url_safe_and_unique(act, lang, act_id):
    ids = [p["id"] for p in act(lang, act_id)["provisions"]]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[A-Za-z0-9_-]+", i)] == []


# --- invented files ----------------------------------------------------------------------------

IND = "\u00a0\u00a0\u00a0\u00a0\u00a0 "      # Adilet's paragraph indentation


def _read(text: str) -> dict:
    return read_adilet_text(text, act_id="Z000000000_", lang="rus")


def test_fixture_footnote_over_three_lines():
    text = (
        "Статья 5. Право ребенка на имя\n\n"
        f"{IND}Каждый ребенок имеет право на имя.\n\n"
        f"{IND}Сноска. Статья 5 с изменением, внесенным Законом РК от 23.11.2010 \n"
        "№ 354-IV\n"
        " (вводится в действие по истечении десяти календарных дней после его первого "
        "официального опубликования).\n\n"
        "Статья 6. Право ребенка на семью\n\n"
        f"{IND}Каждый ребенок имеет право жить в семье.\n")
    doc = _read(text)
    assert [p["id"] for p in doc["provisions"]] == ["art5", "art6"]
    recs = doc["amendments"]
    assert [(a["provision"], a["action"], a["note_kind"], a["amending_date"],
             a["amending_number"]) for a in recs] == \
        [("art5", "amended", "footnote", "2010-11-23", "354-IV")]
    assert recs[0]["entry_into_force"].startswith("вводится в действие по истечении десяти")
    assert recs[0]["text"].endswith("опубликования).")
    assert _prov(doc, "art5")["text"] == "Каждый ребенок имеет право на имя."
    assert _prov(doc, "art6")["text"] == "Каждый ребенок имеет право жить в семье."


def test_fixture_editor_note_alone_on_its_line_goes_to_next_provision():
    text = (
        "Статья 7. Основные понятия\n\n"
        f"{IND}1) первое понятие;\n\n"
        "Примечание ИЗПИ!\n\n"
        f"{IND}В подпункт 2) предусматривается изменение Законом РК от 09.01.2026 \n"
        "№ 256-VIII\n"
        " (вводится в действие по истечении шести месяцев после дня его первого официального "
        "опубликования).\n\n"
        f"{IND}2) второе понятие;\n")
    doc = _read(text)
    assert [p["id"] for p in doc["provisions"]] == ["art7", "art7-sp1", "art7-sp2"]
    assert _prov(doc, "art7-sp1")["text"] == "первое понятие;"
    assert _prov(doc, "art7-sp2")["text"] == "второе понятие;"
    assert _records(doc, "art7-sp1") == [] and _records(doc, "art7") == []
    recs = _records(doc, "art7-sp2")
    assert [(a["action"], a["note_kind"], a["amending_date"], a["amending_number"])
            for a in recs] == [("note", "editor_note", "2026-01-09", "256-VIII")]
    assert recs[0]["text"].startswith("Примечание ИЗПИ! В подпункт 2) предусматривается")


def test_fixture_unnumbered_paragraph_continues_part():
    text = (
        "Статья 8. Ответственность родителей\n\n"
        f"{IND}1. Первое положение.\n\n"
        f"{IND}2. Второе положение.\n\n"
        f"{IND}3. Третье положение:\n\n"
        f"{IND}продолжение третьего пункта.\n\n"
        "Статья 9. Иное\n\n"
        f"{IND}Текст статьи девять.\n")
    doc = _read(text)
    assert [p["id"] for p in doc["provisions"]] == \
        ["art8", "art8-p1", "art8-p2", "art8-p3", "art9"]
    p3 = _prov(doc, "art8-p3")
    assert p3["text"] == "Третье положение:\nпродолжение третьего пункта."
    assert p3["parent"] == "art8" and p3["path"] == "ст. 8 п. 3"
    assert _prov(doc, "art8")["text"] is None


def test_fixture_excluded_article():
    text = (
        "Статья 54. Удостоверение договоров\n\n"
        f"{IND}Текст статьи.\n\n"
        "Статья 55. \n"
        "(Статья 55 исключена - Законом РК от 05.05.2003 \n"
        "№ 408\n"
        ")\n"
        "Статья 56. Удостоверение завещаний\n\n"
        f"{IND}Текст статьи 56.\n")
    doc = _read(text)
    assert [p["id"] for p in doc["provisions"]] == ["art54", "art55", "art56"]
    art = _prov(doc, "art55")
    assert (art["excluded"], art["text"], art["heading"]) == (True, None, None)
    assert [(a["action"], a["amending_date"], a["amending_number"])
            for a in _records(doc, "art55")] == [("excluded", "2003-05-05", "408")]
    assert not _prov(doc, "art56")["excluded"]
    assert _prov(doc, "art56")["text"] == "Текст статьи 56."


def test_fixture_chapter_title_over_two_lines():
    text = (
        " Глава 19. АЛИМЕНТНЫЕ ОБЯЗАТЕЛЬСТВА\n"
        "РОДИТЕЛЕЙ И ДЕТЕЙ\n"
        "Статья 138. Обязанности родителей по содержанию несовершеннолетних детей\n\n"
        f"{IND}1. Родители обязаны содержать своих несовершеннолетних детей.\n")
    doc = _read(text)
    assert [p["id"] for p in doc["provisions"]] == ["ch19", "art138", "art138-p1"]
    ch = _prov(doc, "ch19")
    assert (ch["kind"], ch["level"], ch["heading"]) == \
        ("chapter", "chapter", "АЛИМЕНТНЫЕ ОБЯЗАТЕЛЬСТВА РОДИТЕЛЕЙ И ДЕТЕЙ")
    assert _prov(doc, "art138")["parent"] == "ch19"
    assert _prov(doc, "art138")["heading"] == \
        "Обязанности родителей по содержанию несовершеннолетних детей"


@pytest.mark.parametrize("text", [
    "",
    "Просто текст без статей.\n\nЕщё один абзац, и никаких заголовков.\n",
    f"{IND}Сноска. Текст с изменением, внесенным Законом РК от 23.11.2010 \n№ 354-IV\n",
], ids=["empty", "prose", "footnote-only"])
def test_fixture_no_structure_raises(text):
    with pytest.raises(TextFileError):
        _read(text)


def test_unsupported_language_raises():
    with pytest.raises(TextFileError):
        read_adilet_text("Статья 1. Текст\n", act_id="Z000000000_", lang="eng")


def test_kazakh_parenthesised_exclusion(act):
    # kaz/Z030000461_.txt line 532: «13) (алып тасталды)» is an excluded subpoint, not its text
    doc = act("kaz", "Z030000461_")
    for pid in ("art3-p2-sp13", "art3-p2-sp16", "art3-p2-sp17"):
        sp = _prov(doc, pid)
        assert (sp["kind"], sp["excluded"], sp["text"]) == ("subpart", True, None), pid
    assert not any(p["text"] and p["text"].strip().startswith("(алып тасталды)")
                   for p in doc["provisions"])
