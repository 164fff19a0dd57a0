"""Whole statutory texts without page markup (corpus/texts): readers, build, provision page.

Checked on the real files of ../shared/corpus/texts; counts are computed here independently of
scrapers/texts.py where the brief asks for it (the Constitution's articles, the rules' points).
"""
import hashlib
import json
import re
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from db.build import BuildOptions, run_build
from db.texts import load_config
from kb.corpus_texts import iter_source
from scrapers.texts import TextFormatError, read_provenance, read_text_source

RULES = "V2200031180_bullying_rules_ru.txt"
AMENDMENT = "V2400034817_bullying_rules_amendment_2024_ru.txt"
CONSTITUTION = "K950001000_constitution_ru.json"
CC = "constitutional_court_77-NP_2026_family_property_ru.json"
FRAGMENTS = "norm_fragments_59_acts_ru.json"
MENU_AND_FOOTER = ("Вернуться в мобильную версию", "Информационно-правовая система",
                   "Полная версия сайта", "Назад к документу", "Официальная публикация",
                   "Если Вы обнаружили", "Ctrl+Enter", "Состояние базы", "support@",
                   "Последние документы", "СОГЛАСОВАН", "Аймагамбетов", "Жумадильдаева",
                   "ИПС \"Әділет\"", "Обновленный")


def _read(corpus_dir, name):
    return read_text_source(corpus_dir / "texts" / name, load_config()[name])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def rules(corpus_dir):
    return _read(corpus_dir, RULES)


@pytest.fixture(scope="module")
def constitution(corpus_dir):
    return _read(corpus_dir, CONSTITUTION)


# --- readers ------------------------------------------------------------------------------------


def test_every_file_in_texts_is_configured_and_fragments_are_not_loaded(corpus_dir):
    config = load_config()
    names = {p.name for p in (corpus_dir / "texts").iterdir()}
    assert names <= set(config)
    assert config[FRAGMENTS]["load"] is False and "fragment" in config[FRAGMENTS]["reason"]
    assert {n for n, c in config.items() if c.get("load")} == {RULES, AMENDMENT, CONSTITUTION, CC}


def test_constitution_has_99_articles_counted_independently(corpus_dir, constitution):
    raw = (corpus_dir / "texts" / CONSTITUTION).read_text(encoding="utf-8")
    # Independent count: JSON keys whose value opens with «Статья N».
    headings = re.findall(r'"(\d+)":\s*"Статья (\d+(?:-\d+)?)', raw)
    assert len(headings) == 99
    articles = [p for p in constitution["provisions"] if p["kind"] == "article"]
    assert len(articles) == len(headings) == 99
    # The number is the article's own heading (the source keys «Статья 83-1» as "83").
    assert [a["number"] for a in articles] == [h for _, h in headings]
    assert {"83-1", "94-2"} <= {a["number"] for a in articles}
    mains = [int(a["number"].split("-")[0]) for a in articles]
    assert mains == sorted(mains)
    assert constitution["act"]["form"] == "Конституция"
    assert constitution["act"]["status"] == "in_force"
    assert constitution["act"]["title"] is None            # the JSON states no title


def test_constitution_article_27_parts_are_provisions(constitution):
    by_id = {p["id"]: p for p in constitution["provisions"]}
    parts = [p for p in constitution["provisions"] if p["parent"] == "art27"]
    assert [p["id"] for p in parts] == ["art27.1", "art27.2", "art27.3"]
    p2 = by_id["art27.2"]
    assert p2["kind"] == "part" and p2["number"] == "2" and p2["path"] == "ст. 27 п. 2"
    assert p2["text"] == "Забота о детях и их воспитание являются естественным правом и " \
                        "обязанностью родителей."
    assert p2["anchor"] is None and p2["url"] == "https://adilet.zan.kz/rus/docs/K950001000_"
    assert by_id["art27"]["parent"] == "secII" and by_id["secII"]["heading"] == "Человек и гражданин"
    # Cross-references to Constitutional Court resolutions are records, not text.
    assert not any("Примечание" in (p["text"] or "") or "Сноска" in (p["text"] or "")
                   for p in constitution["provisions"])
    notes = [a for a in constitution["amendments"] if a["provision"] == "art27"]
    assert {a["amending_number"] for a in notes} == {"9-НП", "14-НП", "66-НП"}
    assert by_id["art84"]["excluded"] and by_id["art84"]["text"] is None
    assert by_id["art85"]["parent"] == "secVIII"      # the heading the source left in art. 84


def test_bullying_rules_act_from_the_text_itself(rules):
    act = rules["act"]
    assert act["id"] == "V2200031180" and act["lang"] == "rus"
    assert act["title"] == "Об утверждении Правил профилактики травли (буллинга) ребенка"
    assert act["form"] == "Приказ" and act["number"] == "506"
    assert act["date_adopted"] == "2022-12-21"
    assert act["registration_number"] == "31180" and act["registration_date"] == "2022-12-21"
    assert act["issuing_body"] == "Министр просвещения Республики Казахстан"
    assert act["requisites"].startswith("Приказ Министра просвещения Республики Казахстан от "
                                        "21 декабря 2022 года № 506. Зарегистрирован")
    assert act["status"] == "in_force" and act["status_raw"] == "Обновленный"
    assert act["url"] == "https://adilet.zan.kz/rus/docs/V2200031180"
    assert act["as_of"] == "2026-03-26"


def test_bullying_rules_points_and_subpoints_are_all_provisions_in_order(corpus_dir, rules):
    lines = (corpus_dir / "texts" / RULES).read_text(encoding="utf-8").splitlines()
    start = lines.index("Правила профилактики травли (буллинга) ребенка")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("_____"))
    # Independent count: lines of the rules opening with «N. » are its points.
    expected_points = [m.group(1) for ln in lines[start:end] if (m := re.match(r"^(\d+)\. ", ln))]
    provs = rules["provisions"]
    by_id = {p["id"]: p for p in provs}
    points = [p for p in provs if p["kind"] == "part" and p["id"].startswith("rules.")]
    assert [p["number"] for p in points] == expected_points == [str(n) for n in range(1, 18)]
    for point in points:
        subs = [p for p in provs if p["parent"] == point["id"]]
        assert [s["number"] for s in subs] == [str(n) for n in range(1, len(subs) + 1)]
        assert all(s["kind"] == "subpart" for s in subs)
    assert len([p for p in provs if p["parent"] == "rules.p9"]) == 5
    sp = by_id["rules.p9.sp4"]
    assert sp["path"] == "прил. п. 9 пп. 4)"
    assert sp["text"].startswith("при наличии медицинских показаний содействует")
    assert by_id["rules"]["kind"] == "section"
    assert by_id["rules.ch1"]["kind"] == "chapter" and by_id["rules.ch1"]["heading"] == "Общие положения"
    assert by_id["rules.p3"]["parent"] == "rules.ch2"
    assert [p["position"] for p in provs] == list(range(1, len(provs) + 1))
    assert all(p["anchor"] is None and "#" not in p["url"] for p in provs)
    # the order's own points too
    assert [p["id"] for p in provs if p["id"].startswith("order.")] == [
        "order.preamble", "order.p1", "order.p2", "order.p2.sp1", "order.p2.sp2", "order.p2.sp3",
        "order.p3", "order.p4"]


def test_no_site_menu_or_signature_text_leaks_into_provisions(corpus_dir, rules):
    amendment = _read(corpus_dir, AMENDMENT)
    for doc in (rules, amendment):
        for p in doc["provisions"]:
            body = " ".join(t for t in (p["heading"], p["text"]) if t)
            assert not [m for m in MENU_AND_FOOTER if m in body], (p["id"], body[:100])
            assert not body.startswith(("Сноска", "Примечание"))


def test_footnotes_become_amendment_records_of_their_provision(rules):
    records = Counter((a["provision"], a["amending_number"]) for a in rules["amendments"])
    assert records[("rules.p2", "186")] == records[("rules.p2", "192")] == 1
    assert records[("rules.p1", "54")] == records[("order.preamble", "54")] == 1


def test_provision_ids_are_the_gold_set_position_keys(corpus_dir, rules, constitution):
    """Every non-note item the gold set can name is a provision with the same id."""
    cc = _read(corpus_dir, CC)
    amendment = _read(corpus_dir, AMENDMENT)
    for source, doc in (("bullying_rules", rules), ("bullying_amendment_2024", amendment),
                        ("cc_77np_2026", cc)):
        positions = [i.position for i in iter_source(corpus_dir, source)
                     if ".note" not in i.position]
        ids = {p["id"] for p in doc["provisions"]}
        assert positions and set(positions) <= ids, source
    # The Constitution too, except where the source keys an article by the wrong number:
    # its «Статья 83-1» is keyed "83", «Статья 94-2» "94" (the provisions follow the text).
    renamed = {"art83": "art83-1", "art94": "art94-2"}
    ids = {p["id"] for p in constitution["provisions"]}
    for item in iter_source(corpus_dir, "constitution"):
        head, _, rest = item.position.partition(".")
        pid = renamed.get(head, head) + (f".{rest}" if rest else "")
        assert pid in ids, item.position


def test_cc_resolution_from_its_json_metadata(corpus_dir):
    doc = _read(corpus_dir, CC)
    act = doc["act"]
    assert act["id"] == "223231" and act["url"] == "https://adilet.zan.kz/rus/docs/223231"
    assert act["form"] == "Нормативное постановление" and act["number"] == "77-НП"
    assert act["date_adopted"] == "2026-03-18"
    assert act["issuing_body"] == "Конституционный Суд Республики Казахстан"
    assert act["status"] == "in_force" and act["status_raw"] == "exe"
    assert act["title"].startswith("О рассмотрении на соответствие Конституции")
    data = json.loads((corpus_dir / "texts" / CC).read_text(encoding="utf-8"))
    paragraphs = [ln for ln in data["text"].split("\n") if ln.strip()]
    assert [p["id"] for p in doc["provisions"]] == [f"para{i}" for i in range(1, len(paragraphs) + 1)]
    assert doc["provisions"][88]["text"].startswith("1. Признать соответствующим Конституции")


def test_amendment_order_leaves_unstated_fields_empty(corpus_dir):
    doc = _read(corpus_dir, AMENDMENT)
    act = doc["act"]
    assert act["form"] == "Приказ"                          # «ПРИКАЗЫВАЮ», «Настоящий приказ»
    assert act["title"] is None and act["number"] is None and act["date_adopted"] is None
    assert act["status"] == "in_force"
    assert [a["text"] for a in doc["amendments"] if a["provision"] is None] == [
        "Примечание ИЗПИ! Вводится в действие с 25.08.2024 ."]


def test_malformed_texts_raise_text_format_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(TextFormatError):
        read_text_source(bad, {"reader": "constitution_json", "act_id": "K950001000_"})
    plain = tmp_path / "plain.txt"
    plain.write_text("Главная\nПоиск\n", encoding="utf-8")
    with pytest.raises(TextFormatError, match="start not found"):
        read_text_source(plain, load_config()[RULES])


def test_texts_of_the_wrong_shape_or_encoding_raise_text_format_errors(tmp_path):
    zan = load_config()["constitutional_court_77-NP_2026_family_property_ru.json"]
    doc = tmp_path / "zan.json"
    doc.write_text('{"code": 223231, "text": 7}', encoding="utf-8")     # a number for the text
    with pytest.raises(TextFormatError, match="unexpected structure"):
        read_text_source(doc, zan)
    constitution = tmp_path / "constitution.json"
    constitution.write_text('{"Раздел I": {"статьи": {"1": null}}}', encoding="utf-8")
    with pytest.raises(TextFormatError, match="unexpected structure"):
        read_text_source(constitution, {"reader": "constitution_json", "act_id": "K950001000_"})
    binary = tmp_path / "rules.txt"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(TextFormatError, match="not UTF-8"):
        read_text_source(binary, load_config()[RULES])


def test_provenance_from_the_texts_readme(corpus_dir):
    prov = read_provenance(corpus_dir / "texts" / "README.md")
    assert prov[RULES]["repo"] == "akurmangali-gif/bullying-bot"
    assert prov[AMENDMENT]["repo"] == "akurmangali-gif/bullying-bot"      # «same repo»
    assert prov[AMENDMENT]["commit"] == prov[RULES]["commit"]              # «same commit»
    assert prov[AMENDMENT]["retrieved_on"] == prov[RULES]["retrieved_on"] == "2026-03-31"
    assert prov[CONSTITUTION]["retrieved_on"] is None                      # «not stated»
    assert prov[CC]["retrieved_on"] == "2026-03-24"


# --- the build ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(corpus_build):
    return corpus_build          # the session's build of the whole corpus (tests/conftest.py)


def test_build_loads_the_whole_texts_as_acts(built, corpus_dir):
    db_path, report = built
    conn = sqlite3.connect(db_path)
    acts = {r[0]: r[1:] for r in conn.execute(
        "select id, source_kind, status, provision_count, content_sha256, retrieved_at, source_note "
        "from acts")}
    texts = {k for k, v in acts.items() if v[0] == "statutory_text"}
    # the Constitution's fuller copy is its page text (adilet-text); the JSON is superseded
    assert texts == {"V2200031180", "V2400034817", "223231"}
    assert {k for k, v in acts.items() if v[0] == "adilet_page"} == {"V1600014592", "V1600014606"}
    kind, status, count, sha, retrieved, note = acts["V2200031180"]
    assert status == "in_force"
    assert count == conn.execute(
        "select count(*) from provisions where act_id = 'V2200031180'").fetchone()[0] > 60
    assert sha == _sha(corpus_dir / "texts" / RULES)
    assert retrieved.startswith("2026-03-31")      # obtained, per texts/README.md
    assert acts["223231"][4].startswith("2026-03-24")
    assert "akurmangali-gif/bullying-bot" in note
    # No anchors faked: provisions of texts link to the act, without a fragment.
    bad = conn.execute("""select count(*) from provisions p join acts a on a.id = p.act_id
        where a.source_kind = 'statutory_text' and (p.anchor is not null or p.url != a.url
        or length(p.content_sha256) != 64)""").fetchone()[0]
    assert bad == 0
    assert conn.execute("select count(*) from amendments where url like '%#%' and act_id in "
                        "(select id from acts where source_kind = 'statutory_text')").fetchone()[0] == 0


def test_the_59_act_fragments_are_not_loaded(built, corpus_dir):
    db_path, _ = built
    data = json.loads((corpus_dir / "texts" / FRAGMENTS).read_text(encoding="utf-8"))
    fragment_acts = {d["id"] for d in data["documents"]}
    fragment_acts |= {f[s]["doc_id"] for f in data["findings"] for s in ("norm_a", "norm_b") if f.get(s)}
    conn = sqlite3.connect(db_path)
    loaded = {r[0]: r[1:] for r in conn.execute("select id, source_kind, source_note, provision_count "
                                                 "from acts")}
    assert len(fragment_acts) >= 59
    # Acts among the 59 are loaded from their whole text (the page texts of adilet-text),
    # never from a fragment.
    assert "K950001000_" in loaded.keys() & fragment_acts
    for act_id in loaded.keys() & fragment_acts:
        kind, note, count = loaded[act_id]
        assert kind == "adilet_text" and FRAGMENTS not in note and count > 90, act_id
    assert "adilet-text/rus/K950001000_.txt" in loaded["K950001000_"][1]


def test_the_rules_are_tagged_mostly_protection_and_coverage_shows_it(built):
    db_path, _ = built
    conn = sqlite3.connect(db_path)
    dims = Counter(dict(conn.execute(
        "select primary_dimension, count(*) from provisions where act_id = 'V2200031180' "
        "and primary_dimension is not null group by 1").fetchall()))
    assert dims.most_common(1)[0][0] == "PRO"
    assert dims["PRO"] > sum(dims.values()) / 2
    pro = conn.execute("select max(provisions_in_force) from coverage "
                       "where dimension_code = 'PRO'").fetchone()[0]
    assert pro > 0
    hits = conn.execute("select count(*) from provisions_fts where provisions_fts match 'буллинг*'"
                        ).fetchone()[0]
    assert hits > 0


def _texts_corpus(tmp_path, corpus_dir) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir / "texts", corpus / "texts")
    for path in (corpus / "texts").iterdir():
        path.chmod(0o644)
    return corpus


def test_a_malformed_text_is_a_reported_failure_and_the_rest_load(tmp_path, corpus_dir):
    corpus = _texts_corpus(tmp_path, corpus_dir)
    (corpus / "texts" / CC).write_text('{"code": "223231", "text": ', encoding="utf-8")
    (corpus / "texts" / AMENDMENT).write_text("Главная\nПоиск\n", encoding="utf-8")
    (corpus / "texts" / "unlisted_ru.txt").write_text("1. Текст.\n", encoding="utf-8")
    db_path = tmp_path / "kb.db"
    report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
    assert report.fatal is None
    conn = sqlite3.connect(db_path)
    failures = conn.execute("select stage, item, reason from build_failures").fetchall()
    items = {item: reason for _, item, reason in failures}
    assert "not valid JSON" in items[f"texts/{CC}"]
    assert "start not found" in items[f"texts/{AMENDMENT}"]
    assert "not listed" in items["texts/unlisted_ru.txt"]
    assert {r[0] for r in conn.execute("select id from acts")} == {"V2200031180", "K950001000_"}
    assert conn.execute("select count(*) from fetch_log where ok = 0").fetchone()[0] == 2


def test_texts_are_reused_by_digest_and_a_page_wins(tmp_path, corpus_dir):
    corpus = _texts_corpus(tmp_path, corpus_dir)
    db_path = tmp_path / "kb.db"
    first = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
    assert first.parsed_documents == 4 and first.reused_documents == 0
    assert run_build(BuildOptions(db_path=db_path, corpus_dir=corpus)).unchanged
    amendment = corpus / "texts" / AMENDMENT
    amendment.write_bytes(amendment.read_bytes() + "\n".encode())
    second = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
    assert not second.unchanged
    assert second.parsed_documents == 1 and second.reused_documents == 3
    conn = sqlite3.connect(db_path)
    assert conn.execute("select content_sha256 from acts where id = 'V2400034817'").fetchone()[0] \
        == _sha(amendment)
    conn.close()
    # An Adilet page of the same act among the inputs wins over the text.
    (corpus / "adilet" / "rus").mkdir(parents=True)
    shutil.copy(corpus_dir / "adilet" / "rus" / "V1600014592.html",
                corpus / "adilet" / "rus" / "V2200031180.html")
    # (the copied page is another act's, so V2200031180 itself is lost: allow the shrink)
    third = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus, allow_shrink=True))
    conn = sqlite3.connect(db_path)
    info = dict(conn.execute("select key, value from build_info").fetchall())
    assert [s.split(":")[0] for s in json.loads(info["texts_superseded_by_pages"])] == [f"texts/{RULES}"]
    assert conn.execute("select count(*) from acts where id = 'V2200031180' "
                        "and source_kind = 'statutory_text'").fetchone()[0] == 0
    assert third.fatal is None


# --- the provision page and citations without an anchor --------------------------------------------


async def test_provision_page_of_a_statutory_text_links_to_the_act(built):
    from kb.serve import make_datasette

    db_path, _ = built
    ds = make_datasette(db_path)
    pid = "V2200031180-app-p9-sp4"          # rules (the order's appendix), point 9, subpoint 4
    response = await ds.client.get(f"/kb/provisions/{pid}")
    assert response.status_code == 301       # the Datasette row page hands over to the readable one
    assert response.headers["location"] == "/acts/V2200031180/app/p9/sp4"
    response = await ds.client.get(response.headers["location"])
    assert response.status_code == 200, response.text[:500]
    html = response.text
    assert 'id="kb-official" class="kb-official" href="https://adilet.zan.kz/rus/docs/V2200031180"' in html
    assert 'id="kb-no-anchor"' in html and "akurmangali-gif/bullying-bot" in html
    assert ("Приказ Министра просвещения Республики Казахстан от 21 декабря 2022 года № 506 "
            "«Об утверждении Правил профилактики травли (буллинга) ребенка», прил., п. 9, пп. 4) "
            "(с изменениями и дополнениями по состоянию на 26.03.2026). "
            "URL: https://adilet.zan.kz/rus/docs/V2200031180 (дата обращения: 31.03.2026)") in html
    bib = (await ds.client.get(f"/kb/provisions/{pid}.bib")).text
    assert "url = {https://adilet.zan.kz/rus/docs/V2200031180}" in bib
    # The Constitution's page text has no anchors either: its citation links to the act.
    page = (await ds.client.get("/acts/K950001000_/art27/p2")).text
    assert ("Конституция Республики Казахстан (принята на республиканском референдуме 30 августа "
            "1995 года), ст. 27, п. 2") in page
    assert "URL: https://adilet.zan.kz/rus/docs/K950001000_ (дата обращения:" in page
