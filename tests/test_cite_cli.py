"""`kb cite` on a database built from the real corpus."""
import json
import sqlite3

import bibtexparser
import pytest
from click.testing import CliRunner

from kb.cli import cli


@pytest.fixture(scope="module")
def db_path(corpus_build):
    return corpus_build[0]


def _provision(db_path, where):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return dict(conn.execute(f"select * from provisions where {where} limit 1").fetchone())


def test_text_citation_names_the_act_the_provision_and_the_official_link(db_path):
    prov = _provision(db_path, "act_id = 'V1600014592' and kind = 'subpart'")
    result = CliRunner().invoke(cli, ["cite", prov["id"], "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert line.startswith("Приказ Министра национальной экономики Республики Казахстан "
                           "от 23 декабря 2016 года № 525")
    assert f"пп. {prov['number']})" in line
    assert prov["url"] in line and "#z" in prov["url"]
    assert "дата обращения: 07.08.2026" in line


def test_bibtex_and_csljson_parse_back(db_path):
    prov = _provision(db_path, "act_id = 'V2200031180' and primary_dimension = 'PRO'")
    bib = CliRunner().invoke(cli, ["cite", prov["id"], "--db", str(db_path), "--format", "bib"])
    entries = bibtexparser.parse_string(bib.output).entries
    assert len(entries) == 1 and entries[0].fields_dict["number"].value == "506"
    csl = CliRunner().invoke(cli, ["cite", prov["id"], "--db", str(db_path), "--format", "csljson"])
    items = json.loads(csl.output)
    assert items[0]["URL"] == "https://adilet.zan.kz/rus/docs/V2200031180"
    assert items[0]["type"] == "legislation"


def test_an_unknown_provision_is_a_clear_error(db_path):
    result = CliRunner().invoke(cli, ["cite", "Z020000345_-z999999", "--db", str(db_path)])
    assert result.exit_code == 1
    assert "no such provision" in result.output and "Z020000345_-z999999" in result.output


def test_codes_named_by_their_own_title_are_cited_as_lawyers_write_them(db_path):
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["cite", "--db", str(db_path), "K1500000414-art31-p1",
                                      "K950001000_-art27-p2", "K1100000518-art32-p1"])
    assert result.exit_code == 0, result.output
    labour, constitution, family = result.output.strip().split("\n")
    assert labour.startswith("Трудовой кодекс Республики Казахстан от 23 ноября 2015 года № 414-V, "
                             "ст. 31, п. 1")
    assert constitution.startswith("Конституция Республики Казахстан (принята на республиканском "
                                   "референдуме 30 августа 1995 года), ст. 27, п. 2")
    assert family.startswith("Кодекс Республики Казахстан от 26 декабря 2011 года № 518-IV "
                             "«О браке (супружестве) и семье», ст. 32, п. 1")

