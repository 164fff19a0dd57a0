"""parse_document on the real saved Adilet pages and on the invented law fixtures."""
import json
import re

import pytest
from click.testing import CliRunner

from kb.cli import cli
from scrapers.adilet.errors import NotALawPage, ParseError
from scrapers.adilet.parse import parse_any, parse_document

# A numbered paragraph in raw HTML: <p … id="zN" …> then blanks/nbsp, then «1.» or «1)».
_RAW_NUMBERED = re.compile(r'<p\b[^>]*\bid="(z\d+)"[^>]*>(?:\s|&nbsp;)*(\d+(?:-\d+)*)[.)](?!\d)')


def _page(corpus_dir, rel):
    return (corpus_dir / "adilet" / rel).read_bytes()


@pytest.fixture(scope="module")
def real(corpus_dir):
    return {rel: parse_document(_page(corpus_dir, rel))
            for rel in ("rus/V1600014592.html", "rus/V1600014606.html", "kaz/V1600014606.html")}


@pytest.fixture(scope="module")
def law_rus(fixtures_dir):
    return parse_document((fixtures_dir / "adilet" / "law_rus.html").read_bytes())


@pytest.fixture(scope="module")
def law_kaz(fixtures_dir):
    return parse_document((fixtures_dir / "adilet" / "law_kaz.html").read_bytes())


def _by_id(doc):
    return {p.id: p for p in doc.provisions}


def _all_text(doc):
    return " ".join(filter(None, (p.text for p in doc.provisions))) + " " + \
        " ".join(filter(None, (p.heading for p in doc.provisions)))


# --- real pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("rel", ["rus/V1600014592.html", "rus/V1600014606.html",
                                 "kaz/V1600014606.html"])
def test_every_anchored_numbered_paragraph_is_a_provision(corpus_dir, real, rel):
    raw = _page(corpus_dir, rel).decode("utf-8")
    expected = {(anchor, number) for anchor, number in _RAW_NUMBERED.findall(raw)}
    assert expected, "the regex found no numbered paragraphs: the test would prove nothing"
    got = {(p.anchor, p.number) for p in real[rel].provisions
           if p.kind in ("part", "subpart") and not p.anchor_inherited}
    assert got == expected


def test_real_order_in_force_fields(real):
    doc = real["rus/V1600014592.html"]
    a = doc.act
    assert (a.id, a.lang, a.status, a.status_raw) == ("V1600014592", "rus", "in_force", "Обновленный")
    assert a.title == "Об установлении лимитов долга местных исполнительных органов на 2017 год"
    assert a.requisites.startswith("Приказ Министра национальной экономики")
    assert (a.form, a.number, a.date_adopted) == ("Приказ", "525", "2016-12-23")
    assert a.issuing_body == "Министр национальной экономики Республики Казахстан"
    assert (a.registration_number, a.registration_date) == ("14592", "2016-12-27")
    assert a.repeal_note is None
    assert a.url == "https://adilet.zan.kz/rus/docs/V1600014592"
    assert a.as_of == "2026-08-05"


def test_unanchored_numbered_subparts_inherit_the_anchor(real):
    doc = real["rus/V1600014592.html"]
    subs = [p for p in doc.provisions if p.kind == "subpart"]
    assert [p.id for p in subs] == ["z3.1", "z3.2", "z3.3", "z3.4"]
    assert all(p.anchor == "z3" and p.anchor_inherited and p.parent == "z3" for p in subs)
    assert subs[2].path == "п. 2 пп. 3)"
    assert subs[0].url == "https://adilet.zan.kz/rus/docs/V1600014592#z3"


def test_preamble_signature_and_appendix_of_real_order(real):
    doc = real["rus/V1600014592.html"]
    by_id = _by_id(doc)
    assert by_id["z1"].kind == "paragraph" and by_id["z1"].text.endswith("ПРИКАЗЫВАЮ:")
    text = _all_text(doc)
    assert "СОГЛАСОВАНО" not in text and "Бишимбаев" not in text
    assert by_id["z6"].kind == "section" and by_id["z6"].heading.startswith("Приложение к приказу")
    assert by_id["z7"].parent == "z6"
    # The data table of the appendix is kept (as one paragraph), not lost.
    assert any("Акмолинская область" in (p.text or "") for p in doc.provisions)


def test_footnote_is_not_provision_text_but_an_amendment(real):
    doc = real["rus/V1600014592.html"]
    assert "Сноска" not in _all_text(doc)
    (rec,) = doc.amendments
    assert (rec.provision, rec.action, rec.amending_date, rec.amending_number,
            rec.amending_act_id) == ("z7", "new_wording", "2017-08-24", "314", "V1700015567")


def test_continuation_text_stays_in_the_provision_it_continues(real):
    doc = real["rus/V1600014606.html"]
    phrase = "Проведение платежей по расходам на сумму"
    holders = [p.id for p in doc.provisions if phrase in (p.text or "")]
    assert holders == ["z1"]
    # Anchored unnumbered paragraphs (абзацы) of point 1 are folded in as well.
    assert "графу 7 \"Примечание\" изложить" in _by_id(doc)["z1"].text


@pytest.mark.parametrize("rel,badge,note_word", [
    ("rus/V1600014606.html", "Утративший силу", "Сноска. Утратил силу"),
    # «Ескерту» alone is also a column name in this order's text («7 "Ескерту" деген баған»).
    ("kaz/V1600014606.html", "Күшін жойған", "Ескерту. Күші жойылды")])
def test_repealed_order_from_badge_and_note(real, rel, badge, note_word):
    doc = real[rel]
    assert doc.act.status == "repealed" and doc.act.status_raw == badge
    assert doc.act.repeal_note.startswith(("Утратил силу", "Күші жойылды"))
    act_level = [a for a in doc.amendments if a.provision is None]
    assert [(a.action, a.amending_number, a.amending_date, a.amending_act_id) for a in act_level] \
        == [("repealed", "293", "2025-06-10", "V2500036237")]
    assert note_word not in _all_text(doc)


def test_repeal_note_alone_marks_the_act_repealed(corpus_dir):
    # Remove the badge and the requisites' sentence: the act-level «Сноска. Утратил силу» decides.
    raw = _page(corpus_dir, "rus/V1600014606.html").decode("utf-8")
    raw = raw.replace('<span class="status status_yts">Утративший силу</span>', "")
    raw = re.sub(r" Утратил силу приказом Министра финансов Республики Казахстан от 10 июня 2025 "
                 r"года № 293\.", "", raw)
    assert "status_yts" not in raw.split("<article>")[0]
    doc = parse_document(raw)
    assert doc.act.status_raw is None and doc.act.status == "repealed"
    assert doc.act.repeal_note.startswith("Сноска. Утратил силу")


def test_rus_and_kaz_versions_align_by_number(real):
    rus, kaz = real["rus/V1600014606.html"], real["kaz/V1600014606.html"]
    assert kaz.act.lang == "kaz" and kaz.act.id == rus.act.id
    assert (kaz.act.form, kaz.act.number, kaz.act.date_adopted) == ("бұйрығы", "688", "2016-12-26")
    assert kaz.act.registration_number == "14606"
    shape = [(p.kind, p.number, p.depth) for p in rus.provisions]
    assert shape == [(p.kind, p.number, p.depth) for p in kaz.provisions]
    # The real pages number their anchors differently (rus z1/z8/z13, kaz z5/z14/z19), so
    # alignment goes by number path; within each page the anchors are its own.
    assert [p.anchor for p in kaz.provisions if p.kind == "part"] == ["z5", "z14", "z19"]
    assert [p.path for p in kaz.provisions if p.kind == "subpart"][2] == "2-т. 3) тт."


def test_spa_stub_is_refused(corpus_dir):
    with pytest.raises(NotALawPage, match="JavaScript shell"):
        parse_document(_page(corpus_dir, "new-site/Z1300000094.spa-stub.html"))


def test_page_without_article_markers_is_refused(corpus_dir):
    raw = _page(corpus_dir, "rus/V1600014592.html").decode("utf-8")
    start, end = raw.index("<article>"), raw.index("</article>")
    empty = raw[:start] + "<article><p>Документ временно недоступен.</p>" + raw[end:]
    with pytest.raises(NotALawPage, match="no article markers"):
        parse_document(empty)


def test_a_page_cut_off_in_the_middle_of_the_body_is_refused(corpus_dir):
    # lxml would close the open elements and half the act would look like a whole one.
    raw = _page(corpus_dir, "rus/V1600014592.html")
    start, end = raw.index(b"<article>"), raw.index(b"</article>")
    with pytest.raises(ParseError, match="truncated"):
        parse_document(raw[:(start + end) // 2])
    with pytest.raises(ParseError, match="truncated"):
        parse_any(raw[:(start + end) // 2])


def test_bad_input_gets_clear_errors():
    with pytest.raises(ParseError, match="empty page"):
        parse_document(b"  \r\n ")
    with pytest.raises(ParseError, match="bytes or str"):
        parse_document(12345)


def test_url_must_match_the_page(corpus_dir):
    raw = _page(corpus_dir, "rus/V1600014592.html")
    with pytest.raises(ParseError, match="V1600014606"):
        parse_document(raw, url="https://old.adilet.zan.kz/rus/docs/V1600014606")
    doc = parse_document(raw, url="https://old.adilet.zan.kz/rus/docs/V1600014592")
    assert doc.act.url == "https://adilet.zan.kz/rus/docs/V1600014592"


def test_act_id_from_language_switcher_when_tabs_are_missing(corpus_dir):
    raw = _page(corpus_dir, "kaz/V1600014606.html").decode("utf-8")
    raw = re.sub(r'href="/kaz/docs/V1600014606/[^"]*"', 'href="#"', raw)
    assert "/kaz/docs/V1600014606/info" not in raw
    doc = parse_document(raw)
    assert (doc.act.id, doc.act.lang) == ("V1600014606", "kaz")


def test_cp1251_bytes_fall_back(corpus_dir):
    text = _page(corpus_dir, "rus/V1600014606.html").decode("utf-8")
    # The page declares utf-8; the bytes are cp1251 (Kazakh letters lost as «?»).
    doc = parse_document(text.encode("cp1251", errors="replace"))
    assert doc.act.status == "repealed" and doc.act.number == "688"


# --- fixtures: a law with chapters, articles and notes -------------------------------------


def test_fixture_is_crlf_with_leading_crlf(fixtures_dir):
    raw = (fixtures_dir / "adilet" / "law_rus.html").read_bytes()
    assert raw.startswith(b"\r\n<!DOCTYPE") and b"\r\n" in raw and b'charset="windows-1251"' in raw


def test_h3_levels_each_become_a_provision(law_rus):
    by_id = _by_id(law_rus)
    assert (by_id["z2"].kind, by_id["z2"].heading) == ("section", "ОБЩАЯ ЧАСТЬ")
    assert (by_id["z3"].kind, by_id["z3"].number, by_id["z3"].parent) == ("section", "1", "z2")
    assert (by_id["z4"].kind, by_id["z4"].number, by_id["z4"].parent) == ("chapter", "1", "z3")
    assert (by_id["z16"].kind, by_id["z16"].parent) == ("chapter", "z3")


def test_each_article_heading_parses_once(law_rus):
    articles = [p for p in law_rus.provisions if p.kind == "article"]
    assert [p.number for p in articles] == ["1", "2", "3", "16", "16-1", "17"]
    assert len({p.anchor for p in articles}) == len(articles)
    assert sum(1 for p in law_rus.provisions if p.heading == "Зимние правила") == 1


def test_tree_and_paths(law_rus):
    by_id = _by_id(law_rus)
    sub = by_id["z24"]
    assert sub.path == "ст. 16-1 п. 2 пп. 3)"
    chain, node = [], sub
    while node.parent:
        node = by_id[node.parent]
        chain.append(node.id)
    assert chain == ["z21", "z19", "z16", "z3", "z2"]
    assert sub.depth == len(chain)
    assert [p.position for p in law_rus.provisions] == list(range(1, len(law_rus.provisions) + 1))
    assert by_id["z5.3"].anchor == "z8" and by_id["z5.3"].anchor_inherited


def test_excluded_article_and_part(law_rus):
    by_id = _by_id(law_rus)
    for pid in ("z9", "z12"):
        assert by_id[pid].excluded and by_id[pid].text is None
    assert by_id["z9"].heading is None and by_id["z9"].number == "2"
    assert not by_id["z11"].excluded
    excl = [a for a in law_rus.amendments if a.action == "excluded"]
    assert {(a.provision, a.amending_number, a.amending_date) for a in excl} == \
        {("z9", "200-VIII", "2025-05-05"), ("z12", "200-VIII", "2025-05-05")}


def test_note_listing_several_amending_acts(law_rus):
    recs = [a for a in law_rus.amendments if a.provision == "z5"]
    assert [(a.amending_number, a.amending_date, a.amending_form, a.action) for a in recs] == [
        ("354-VIII", "2025-11-23", "Закон", "amended"), ("36-VIII", "2025-12-10", "Закон", "amended")]
    assert recs[1].amending_act_id == "Z2500000036" and recs[0].amending_act_id is None
    assert recs[0].what == "Статья 1"
    assert recs[1].entry_into_force == "вводится в действие с 01.01.2026"


def test_notes_never_in_text_and_editor_note_recorded(law_rus):
    text = _all_text(law_rus)
    for word in ("Сноска", "Примечание ИЗПИ", "предусмотрен в редакции"):
        assert word not in text
    (ed,) = [a for a in law_rus.amendments if a.action == "note"]
    assert ed.provision == "z24" and ed.text.startswith("Примечание ИЗПИ!")
    act_level = [a for a in law_rus.amendments if a.provision is None]
    assert [(a.action, a.what) for a in act_level] == [("amended", "Заголовок")]


def test_participle_does_not_repeal(law_rus, law_kaz):
    assert "утратившим силу" in _by_id(law_rus)["z26"].text
    assert "күші жойылды деп танылсын" in _by_id(law_kaz)["z26"].text
    assert law_rus.act.status == law_kaz.act.status == "in_force"
    assert law_rus.act.repeal_note is None and law_kaz.act.repeal_note is None


def test_continuation_paragraph_is_kept_once(law_rus):
    phrase = "уставом лиловой площадки"
    assert [p.id for p in law_rus.provisions if phrase in (p.text or "")] == ["z15"]


def test_appendix_rules_points_are_provisions(law_rus, law_kaz):
    by_id = _by_id(law_rus)
    assert by_id["z28"].kind == "section" and by_id["z28"].heading.startswith("Приложение")
    assert [by_id[i].parent for i in ("z29", "z30", "z31", "z32", "z32.1")] == \
        ["z28", "z29", "z30", "z30", "z32"]
    assert by_id["z31"].path == "прил. п. 1" and by_id["z32.1"].path == "прил. п. 2 пп. 1)"
    assert "Вымышленов" not in _all_text(law_rus)
    assert _by_id(law_kaz)["z32.1"].path == "қосымша 2-т. 1) тт."


def test_rus_and_kaz_fixture_align_by_anchor(law_rus, law_kaz):
    assert [(p.id, p.kind, p.number, p.excluded) for p in law_rus.provisions] == \
        [(p.id, p.kind, p.number, p.excluded) for p in law_kaz.provisions]
    assert _by_id(law_kaz)["z24"].path == "16-1-бап 2-т. 3) тт."
    assert (law_kaz.act.form, law_kaz.act.number, law_kaz.act.lang) == ("Заңы", "777-VIII", "kaz")
    kz5 = [a for a in law_kaz.amendments if a.provision == "z5"]
    assert [(a.amending_number, a.amending_date, a.amending_form) for a in kz5] == [
        ("354-VIII", "2025-11-23", "Заңы"), ("36-VIII", "2025-12-10", "Заңы")]
    assert "Ескерту" not in _all_text(law_kaz) and "ДЗҚИ" not in _all_text(law_kaz)


def test_text_is_clean(law_rus):
    for p in law_rus.provisions:
        for value in (p.text, p.heading):
            if value:
                assert "\xa0" not in value and "  " not in value and value == value.strip()


def test_to_dict_and_summary(law_rus):
    d = law_rus.to_dict()
    assert set(d) == {"act", "provisions", "amendments"}
    assert d["act"]["url"] == "https://adilet.zan.kz/rus/docs/Z2500000777"
    assert set(d["provisions"][0]) == {"id", "kind", "number", "heading", "text", "anchor",
                                       "anchor_inherited", "parent", "position", "depth",
                                       "excluded", "path", "url"}
    json.dumps(d, ensure_ascii=False)
    s = law_rus.summary()
    assert "Z2500000777" in s and "article 6" in s and "in_force" in s


# --- the CLI -------------------------------------------------------------------------------


def test_kb_parse_json(corpus_dir):
    path = corpus_dir / "adilet" / "rus" / "V1600014606.html"
    result = CliRunner().invoke(cli, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["act"]["status"] == "repealed"
    assert data == parse_any(path.read_bytes()).to_dict()


def test_kb_parse_refuses_spa_stub(corpus_dir):
    path = corpus_dir / "adilet" / "new-site" / "Z1300000094.spa-stub.html"
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code != 0 and "JavaScript shell" in result.output


@pytest.mark.parametrize("rel", ["rus/V1600014592.html", "kaz/V1600014606.html"])
def test_site_update_and_as_of_dates_are_read_from_the_sidebar(corpus_dir, rel):
    raw = (corpus_dir / "adilet" / rel).read_text(encoding="utf-8")
    import re

    from scrapers.adilet.markup import iso_date

    # The sidebar's two dates, found independently of the parser.
    updated = re.search(r"(?:Дата обновления|Жаңартылған күні):\s*<span>([\d.]+)", raw).group(1)
    act = parse_document(raw.encode()).to_dict()["act"]
    assert act["site_updated"] == iso_date(updated)
    assert act["as_of"] and act["as_of"] <= act["site_updated"]


def test_a_huge_requisites_line_is_read_in_linear_time(corpus_dir):
    # A page whose requisites paragraph swallowed the body (broken markup): the repeal and
    # requisites patterns used to take quadratic time (≈15 s for 40,000 characters).
    import time

    from scrapers.adilet.requisites import parse_requisites

    line = "Приказ Министра от 12 марта 2020 года " * 2000 + "Утратил силу приказом от 1.1.2021"
    started = time.perf_counter()
    for lang in ("rus", "kaz"):
        fields = parse_requisites(line, lang)
    assert time.perf_counter() - started < 2.0
    assert fields["repeal_note"].startswith("Приказ Министра") and fields["repeal_note"].endswith("1.1.2021")
    raw = _page(corpus_dir, "rus/V1600014606.html")
    doc = parse_document(raw)
    assert doc.act.status == "repealed" and "силу" in doc.act.repeal_note
