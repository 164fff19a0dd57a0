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
