"""English (unofficial translation) pages: parsed like the others and aligned to Russian.

The corpus has no English page, so the fixture `law_eng.html` is the English version of the
invented law in `law_rus.html`, in the same page template.
"""
import shutil
import sqlite3

import pytest

from db.build import BuildOptions, run_build
from scrapers.adilet.parse import parse_document
from scrapers.adilet.requisites import parse_requisites


@pytest.fixture(scope="module")
def eng(fixtures_dir):
    return parse_document((fixtures_dir / "adilet" / "law_eng.html").read_bytes()).to_dict()


def test_english_act_fields(eng):
    act = eng["act"]
    assert (act["id"], act["lang"], act["title"]) == ("Z2500000777", "eng", "On fictional playgrounds")
    assert (act["form"], act["number"], act["date_adopted"]) == ("Law", "777-VIII", "2025-03-01")
    assert act["issuing_body"] is None            # a law: the Republic, not a body
    assert act["status"] == "in_force"
    assert act["url"] == "https://adilet.zan.kz/eng/docs/Z2500000777"
    assert act["site_updated"] == "2026-08-07"


def test_english_articles_parts_and_footnotes(eng):
    provs = eng["provisions"]
    articles = [(p["number"], p["heading"]) for p in provs if p["kind"] == "article"]
    assert [n for n, _ in articles] == ["1", "2", "3", "16-1"]     # each heading once
    excluded = {p["number"] for p in provs if p["excluded"]}
    assert excluded == {"2"}                       # article 2 and part 3.2 are both number 2
    assert sum(p["excluded"] for p in provs) == 2
    assert not any("Footnote" in (p["text"] or "") for p in provs)
    assert any(a["amending_number"] == "354-VIII" and a["provision"] == "z5" and a["amending_form"] == "Law"
               and a["amending_date"] == "2025-11-23" for a in eng["amendments"])
    # The unanchored subpart 3) of article 1 is kept as its own subpart under the definitions.
    assert any(p["kind"] == "subpart" and p["number"] == "3" and "sledging" in p["text"] for p in provs)


def test_english_order_requisites():
    fields = parse_requisites(
        "Order of the Minister of Education of the Republic of Kazakhstan dated 21 December 2022 "
        "No. 506. Registered in the Ministry of Justice of the Republic of Kazakhstan on "
        "21 December 2022 No. 31180.", "eng")
    assert fields["form"] == "Order" and fields["number"] == "506"
    assert fields["issuing_body"] == "Minister of Education of the Republic of Kazakhstan"
    assert (fields["date_adopted"], fields["registration_number"], fields["registration_date"]) == (
        "2022-12-21", "31180", "2022-12-21")


def test_build_aligns_english_provisions_to_russian_by_structure(tmp_path, fixtures_dir, eng):
    corpus = tmp_path / "corpus"
    for lang in ("rus", "eng"):
        (corpus / "adilet" / lang).mkdir(parents=True)
        shutil.copy(fixtures_dir / "adilet" / f"law_{lang}.html",
                    corpus / "adilet" / lang / "Z2500000777.html")
    report = run_build(BuildOptions(db_path=tmp_path / "kb.db", corpus_dir=corpus))
    assert report.fatal is None, report.summary()
    conn = sqlite3.connect(tmp_path / "kb.db")
    rows = conn.execute("select t.anchor, t.kind, t.number, p.kind, p.number, p.path "
                        "from provision_texts t left join provisions p on p.id = t.provision_id "
                        "where t.lang = 'eng'").fetchall()
    assert len(rows) == len(eng["provisions"])
    aligned = [r for r in rows if r[3] is not None]
    assert all(r[1] == r[3] and r[2] == r[4] for r in aligned)
    # Part 1 of article 16-1 sits under the same article in both languages.
    assert any(r[2] == "1" and r[5] == "ст. 16-1 п. 1" for r in aligned)
    assert len(aligned) >= len(rows) - 1
    title_en = conn.execute("select title_en from acts where id = 'Z2500000777'").fetchone()[0]
    assert title_en == "On fictional playgrounds"
