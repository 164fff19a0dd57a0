"""load_indicators and the views, on a real SQLite database built from db/schema.py."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
import yaml

from db import schema
from db.indicators import load_indicators
from db.views import GAP_MIN_PROVISIONS, create_views
from scrapers.indicators.catalogue import CATALOGUE_PATH

WB_U5 = "worldbank/API_SH.DYN.MORT_DS2_en_csv_v2_31650__KAZ_row.csv"
U5_CSV = "unicef_sdmx/UNICEF_CME_CME_MRY0T4_all_2020__KAZ_rows.csv"


def _empty_db(path=None) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path) if path else sqlite_utils.Database(memory=True)
    db.conn.executescript(schema.TABLES + schema.INDEXES)
    from kb.taxonomy import load_taxonomy
    tax = load_taxonomy()
    with db.conn:
        db.conn.executemany("INSERT INTO dimensions (code, name_en, name_ru, name_kk, definition, "
                            "crc_cluster, position) VALUES (:code, :name_en, :name_ru, :name_kk, "
                            ":definition, :crc_cluster, :position)", tax.dimension_rows())
        db.conn.executemany("INSERT INTO age_groups VALUES (:code, :name_en, :name_ru, :min_months, "
                            ":max_months, :kind, :note, :position)", tax.age_group_rows())
    return db


# Provisions written by hand: (id, act, excluded, age_min, age_max, dimensions, bands)
ACTS = [("A1", "in_force"), ("A2", "in_force"), ("R1", "repealed")]
PROVISIONS = [
    ("A1-z1", "A1", 0, 0, 59, ["HLT"], ["AG_INF", "AG_TOD", "AG_PSC"]),
    ("A1-z2", "A1", 0, 168, 215, ["PRO", "JUS"], ["AG_AD1", "AG_AD2"]),
    ("A1-z3", "A1", 1, 168, 215, ["PRO"], ["AG_AD1", "AG_AD2"]),          # excluded: not in force
    ("A2-z1", "A2", 0, 0, 215, ["PRO"], ["AG_INF", "AG_TOD", "AG_PSC", "AG_PRI", "AG_MID", "AG_AD1", "AG_AD2"]),
    ("A2-z2", "A2", 0, None, None, ["HLT"], ["AG_PRE"]),                   # pregnancy, no months
    ("A2-z3", "A2", 0, None, None, ["GOV"], []),                           # no age at all
    ("R1-z1", "R1", 0, 0, 215, ["PRO", "HLT"], ["AG_INF", "AG_AD1"]),      # repealed act
]


def _add_provisions(db):
    now = "2026-01-01T00:00:00Z"
    with db.conn:
        for act, status in ACTS:
            db.conn.execute("INSERT INTO acts (id, title, status, url, retrieved_at, content_sha256) "
                            "VALUES (?, ?, ?, ?, ?, ?)", (act, f"Act {act}", status, f"https://x/{act}", now, "0"))
        for n, (pid, act, excl, lo, hi, dims, bands) in enumerate(PROVISIONS):
            db.conn.execute("INSERT INTO provisions (id, act_id, slug, anchor, kind, position, excluded, "
                            "url, retrieved_at, content_sha256, age_min_months, age_max_months) "
                            "VALUES (?, ?, ?, ?, 'paragraph', ?, ?, ?, ?, '0', ?, ?)",
                            (pid, act, pid.split("-")[1], pid.split("-")[1], n, excl,
                             f"https://x/{pid}", now, lo, hi))
            for i, d in enumerate(dims):
                db.conn.execute("INSERT INTO provision_dimensions VALUES (?, ?, 0.9, ?, '[]', 'test')",
                                (pid, d, int(i == 0)))
            for b in bands:
                db.conn.execute("INSERT INTO provision_age_groups VALUES (?, ?)", (pid, b))


@pytest.fixture(scope="module")
def loaded(corpus_dir, tmp_path_factory):
    db = _empty_db(tmp_path_factory.mktemp("ind") / "kb.db")
    report = load_indicators(db, corpus_dir)
    _add_provisions(db)
    create_views(db)
    return db, report


def test_load_real_corpus_counts_and_provenance(loaded, corpus_dir):
    db, report = loaded
    assert not report.failures
    by_source = dict(db.execute("SELECT source, COUNT(*) FROM observations GROUP BY source").fetchall())
    assert by_source == dict(report.observations_by_source)
    assert by_source == {"unicef_sdmx": 3, "sowc2023": 69,
                         "worldbank": 272, "kz_stat": 1170, "kz_egov": 36, "kz_qamqor": 24}
    rows = db.execute("SELECT sex, value, lower_bound, upper_bound, unit, source_url, retrieved_at, "
                      "content_sha256, source_file FROM observations WHERE indicator_code='CME_MRY0T4' "
                      "AND source='unicef_sdmx' AND period='2020' ORDER BY sex").fetchall()
    got = {r[0]: r for r in rows}
    assert round(got["_T"][1], 2) == 10.12 and round(got["F"][1], 2) == 8.83 and round(got["M"][1], 2) == 11.34
    assert got["F"][2:4] == (8.34083145453035, 9.31563554751815)
    assert got["_T"][4] == "Deaths per 1,000 live births"
    assert got["_T"][5].startswith("https://sdmx.data.unicef.org/") and got["_T"][6] == "2026-02-14"
    import hashlib
    assert got["_T"][7] == hashlib.sha256((corpus_dir / "indicators" / U5_CSV).read_bytes()).hexdigest()
    # World Bank and SOWC rows with years and units from the catalogue
    wb = db.execute("SELECT value_raw, year, unit FROM observations WHERE source='worldbank' "
                    "AND indicator_code='CME_MRY0T4' AND period='2020'").fetchone()
    assert wb == ("10.1", 2020, "Deaths per 1,000 live births")
    sowc = db.execute("SELECT value_raw, year, unit FROM observations WHERE source='sowc2023' "
                      "AND indicator_code='NT_ANT_HAZ_NE2'").fetchone()
    assert sowc == ("7", 2020, "%")
    # the web application's test fixture (cmesite mock) is not data: skipped, with its reason
    assert db.execute("SELECT COUNT(*) FROM observations WHERE source='unicef_cmesite_mock_2018'").fetchone()[0] == 0
    mock = [f for f in report.files if f.path.endswith("U5MR_IGME2018_map__KAZ_observations.json")]
    assert len(mock) == 1 and mock[0].status == "skipped" and "test fixture" in mock[0].reason


def test_indicators_and_areas_rows(loaded):
    db, report = loaded
    assert db["indicators"].count == report.indicators == len(yaml.safe_load(CATALOGUE_PATH.read_text())["indicators"])
    assert db["areas"].count == 22
    codes, moda = db.execute("SELECT age_group_codes, moda_group FROM indicators WHERE code='CME_MRY0T4'").fetchone()
    assert json.loads(codes) == ["AG_INF", "AG_TOD", "AG_PSC"] and moda == "MODA_0_23M,MODA_24_59M"
    assert json.loads(db.execute("SELECT age_group_codes FROM indicators WHERE code='MNCH_MMR'").fetchone()[0])[0] == "AG_PRE"
    astana = db.execute("SELECT kato, level, aliases FROM areas WHERE code='71'").fetchone()
    assert astana[:2] == ("710000000", "city") and "город Нур-Султан" in json.loads(astana[2])
    # no observation points at a missing indicator or area
    assert db.execute("SELECT COUNT(*) FROM observations o LEFT JOIN indicators i ON i.code=o.indicator_code "
                      "LEFT JOIN areas a ON a.code=o.area_code WHERE i.code IS NULL OR a.code IS NULL").fetchone()[0] == 0


def test_cross_file_duplicates_reported_not_overwritten(loaded):
    db, report = loaded
    dups = [d for d in report.duplicates if d["file"].endswith("2022__schools.csv")]
    assert len(dups) == 20 and all(d["same_value"] for d in dups)
    assert all(d["kept_from"].endswith("schools.xlsx") for d in dups)
    assert db.execute("SELECT COUNT(*) FROM observations WHERE source_file LIKE '%2022__schools.csv'").fetchone()[0] == 0


def test_report_lists_skipped_files_and_availability(loaded):
    _, report = loaded
    status = {f.path: f.status for f in report.files}
    assert status["kz_stat/gender_stat_gov_kz_birthrate_fatality_2008-2022__birthrate.csv"] == "skipped"
    assert status["unicef_sdmx/UNICEF_ECD_serieskeysonly__KAZ_series.xml"] == "availability"
    assert "unlisted" not in status.values()
    assert len(report.availability["CME"]) == 88 and len(report.availability["IMMUNISATION"]) == 14
    assert report.catalogue_availability["IM_DTP3"] == 1 and report.catalogue_availability["CME_MRY0T4"] == 8
    assert sum(1 for s in report.skipped if "formula" in s.reason) == 8


def test_coverage_one_row_per_dimension_and_band(loaded):
    db, _ = loaded
    rows = [dict(zip([c[0] for c in db.execute("SELECT * FROM coverage").description], r))
            for r in db.execute("SELECT * FROM coverage").fetchall()]
    assert len(rows) == 12 * 9
    assert len({(r["dimension_code"], r["age_group_code"]) for r in rows}) == 108
    bands = {r[0] for r in db.execute("SELECT code FROM age_groups WHERE kind='band'")}
    assert {r["age_group_code"] for r in rows} == bands and len(bands) == 9
    for r in rows:
        d, b = r["dimension_code"], r["age_group_code"]
        n_prov, n_acts = db.execute(
            "SELECT COUNT(DISTINCT p.id), COUNT(DISTINCT p.act_id) FROM provisions p "
            "JOIN acts a ON a.id = p.act_id WHERE a.status='in_force' AND p.excluded=0 "
            "AND p.id IN (SELECT provision_id FROM provision_dimensions WHERE dimension_code=?) "
            "AND p.id IN (SELECT provision_id FROM provision_age_groups WHERE age_group_code=?)", (d, b)).fetchone()
        assert (r["provisions_in_force"], r["acts_in_force"]) == (n_prov, n_acts), (d, b)
        inds = sorted(c for c, g in db.execute("SELECT code, age_group_codes FROM indicators WHERE dimension_code=?", (d,))
                      if b in json.loads(g))
        assert r["indicator_count"] == len(inds), (d, b)
        assert sorted((r["indicator_codes"] or "").split(", ")) == (inds or [""])
        assert r["gap"] == int(len(inds) > 0 and n_prov < GAP_MIN_PROVISIONS)
        assert r["data_gap"] == int(len(inds) == 0 and n_prov > 0)
    cell = {(r["dimension_code"], r["age_group_code"]): r for r in rows}
    # hand-checked against PROVISIONS: A1-z2 and A2-z1 (z3 excluded, R1 repealed)
    assert (cell["PRO", "AG_AD1"]["provisions_in_force"], cell["PRO", "AG_AD1"]["acts_in_force"]) == (2, 2)
    assert cell["HLT", "AG_PRE"]["provisions_in_force"] == 1 and cell["HLT", "AG_INF"]["provisions_in_force"] == 1
    assert cell["LEI", "AG_TRN"]["indicator_count"] == 0 and cell["LEI", "AG_TRN"]["provisions_in_force"] == 0
    assert "CME_MRY0T4 = 9.7 Deaths per 1,000 live births (2022, worldbank)" in cell["HLT", "AG_INF"]["latest_values"]
    assert cell["JUS", "AG_AD1"]["data_gap"] == 0 and cell["JUS", "AG_AD1"]["indicator_count"] == 1


def test_provision_indicator_links(loaded):
    """A link needs a shared dimension, overlapping ages AND one of the indicator's topic cues in
    the provision's text (db/links.py); a dimension and ages alone link nothing."""
    from db.links import load_links

    db, _ = loaded
    texts = {  # illustrative wording written for the test
        "A1-z1": "Медицинские организации извещают о каждом случае смерти ребенка.",   # HLT 0-59
        "A1-z2": "Запрещается привлекать несовершеннолетних к тяжелым работам.",       # PRO+JUS 14-17
        "A1-z3": "Запрещается привлекать несовершеннолетних к тяжелым работам.",       # excluded
        "A2-z1": "Ребенок имеет право на защиту от насилия и жестокого обращения.",    # PRO 0-17
        "A2-z2": "Беременная женщина встает на учет в женской консультации.",          # AG_PRE only
        "A2-z3": "Органы ведут учет детей и статистические данные о них.",            # no age
    }
    with db.conn:
        for pid, text in texts.items():
            db.conn.execute("UPDATE provisions SET text = ? WHERE id = ?", (text, pid))
    load_links(db)
    links = {(p, i) for p, i in db.execute("SELECT provision_id, indicator_code FROM provision_indicator_links")}
    assert ("A1-z1", "CME_MRY0T4") in links                  # HLT, ages overlap, «смерти»
    assert ("A1-z1", "CME_MRY10T19") not in links            # 120-239 does not overlap 0-59
    assert ("A1-z1", "IM_DTP3") not in links                 # HLT and 0-11, but no vaccination cue
    assert ("A1-z2", "PT_CHLD_5-17_LBR_ECON-HC") in links    # PRO 168-215, «тяжелым работам»
    assert ("A1-z2", "KZ_QAMQOR_CONVICTED_CHILD_SEX") not in links  # PRO and ages, no sexual-offence cue
    assert ("A1-z2", "PT_CHLD_DETENTION") not in links       # JUS and ages, no detention cue
    assert not any(p == "A1-z3" for p, _ in links)           # excluded
    assert ("A2-z1", "PT_CHLD_1-14_PS-PSY-V_CGVR") in links  # «насилия», «жестокого обращения»
    assert ("A2-z2", "MNCH_ANC4") in links                   # AG_PRE shared, no months, «беременная»
    assert ("A2-z2", "CME_MRY0T4") not in links              # U5MR has no AG_PRE
    assert not any(p == "A2-z3" for p, _ in links)           # no age: links nothing
    assert not any(p == "R1-z1" for p, _ in links)           # no text: no topic
    for reason, cues, relevance in db.execute(
            "SELECT reason, matched_cues, relevance FROM provision_indicator_links"):
        assert reason.startswith("Связано с индикатором") and json.loads(cues) and 0 < relevance <= 1


# --- failures: reported, skipped whole, the others load ---------------------------------------------

def _mini_corpus(tmp_path: Path, corpus_dir: Path, fixtures_dir: Path, files: dict[str, str]) -> Path:
    """A tmp corpus: symlinks to real corpus files and to malformed fixtures, and a catalogue
    whose manifest lists them (the real catalogue's indicators are kept)."""
    root = tmp_path / "indicators"
    root.mkdir()
    cat = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    manifest = []
    for name, importer in files.items():
        src = corpus_dir / "indicators" / name if "/" in name else fixtures_dir / "indicators" / name
        (root / Path(name).name).symlink_to(src)
        manifest.append({"path": Path(name).name, "importer": importer,
                         "source": "worldbank" if importer == "worldbank_csv" else "unicef_sdmx",
                         "source_url": "https://example.invalid/" + Path(name).name, "retrieved_at": "2025-11-25"})
    cat["files"] = manifest
    (tmp_path / "catalogue.yml").write_text(yaml.safe_dump(cat, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_bad_files_reported_and_skipped_whole(tmp_path, corpus_dir, fixtures_dir):
    base = _mini_corpus(tmp_path, corpus_dir, fixtures_dir, {
        WB_U5: "worldbank_csv",
        U5_CSV: "unicef_sdmx_csv",
        "empty.csv": "unicef_sdmx_csv",
        "unicef_wrong_columns.csv": "unicef_sdmx_csv",
        "unicef_text_value.csv": "unicef_sdmx_csv",
        "unicef_duplicate.csv": "unicef_sdmx_csv",
        "worldbank_text_value.csv": "worldbank_csv",
    })
    db = _empty_db()
    report = load_indicators(db, base, catalogue_path=base / "catalogue.yml")
    failed = dict(report.failures)
    assert set(failed) == {"empty.csv", "unicef_wrong_columns.csv", "unicef_text_value.csv",
                           "unicef_duplicate.csv", "worldbank_text_value.csv"}
    assert failed["unicef_text_value.csv"].startswith("unicef_text_value.csv, row 3, column OBS_VALUE: not a number")
    assert failed["unicef_duplicate.csv"].startswith("unicef_duplicate.csv, row 4: duplicate observation")
    assert failed["worldbank_text_value.csv"].startswith("worldbank_text_value.csv, row 6, column 2020")
    assert failed["empty.csv"] == "empty.csv: empty file"
    # nothing half-written: rows 2 of the text/duplicate files were valid but are not in the DB
    files = dict(db.execute("SELECT source_file, COUNT(*) FROM observations GROUP BY source_file").fetchall())
    assert files == {Path(WB_U5).name: 52, Path(U5_CSV).name: 3}
    assert db.execute("SELECT COUNT(*) FROM observations WHERE period='2019' AND source='unicef_sdmx'").fetchone()[0] == 0


def test_reload_reports_duplicates_and_keeps_first(tmp_path, corpus_dir, fixtures_dir):
    base = _mini_corpus(tmp_path, corpus_dir, fixtures_dir, {U5_CSV: "unicef_sdmx_csv"})
    db = _empty_db()
    load_indicators(db, base, catalogue_path=base / "catalogue.yml")
    before = db.execute("SELECT id, value_raw FROM observations ORDER BY id").fetchall()
    again = load_indicators(db, base, catalogue_path=base / "catalogue.yml")
    assert len(again.duplicates) == 3 and all(d["same_value"] for d in again.duplicates)
    assert db.execute("SELECT id, value_raw FROM observations ORDER BY id").fetchall() == before


def test_unexpected_error_rolls_back_everything(tmp_path, corpus_dir, fixtures_dir, monkeypatch):
    base = _mini_corpus(tmp_path, corpus_dir, fixtures_dir, {U5_CSV: "unicef_sdmx_csv", WB_U5: "worldbank_csv"})
    db = _empty_db()
    import db.indicators as mod
    calls = {"n": 0}
    real = mod.OBSERVATION_COLUMNS

    class Boom(tuple):
        def index(self, *a):  # used once per inserted row to count sources: fail on the second file
            calls["n"] += 1
            if calls["n"] > 3:
                raise RuntimeError("boom")
            return tuple.index(self, *a)

    monkeypatch.setattr(mod, "OBSERVATION_COLUMNS", Boom(real))
    with pytest.raises(RuntimeError):
        load_indicators(db, base, catalogue_path=base / "catalogue.yml")
    assert db.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM indicators").fetchone()[0] == 0
    assert not db.conn.in_transaction


def test_live_mode_uses_fetchers(tmp_path, corpus_dir):
    """live=True with a MockTransport: every catalogue WB code and UNICEF code is requested."""
    import httpx

    wb_calls, sdmx_calls = [], []

    def handler(request):
        if request.url.host == "api.worldbank.org":
            wb_calls.append(request.url.path.rsplit("/", 1)[-1])
            return httpx.Response(200, json=[{"page": 1, "pages": 1, "per_page": 1000, "total": 0}, []])
        sdmx_calls.append(request.url.path)
        return httpx.Response(404)

    db = _empty_db()
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        report = load_indicators(db, None, live=True, client=client, retrieved_at="2026-01-01T00:00:00Z")
    assert sorted(wb_calls) == ["SE.PRM.CMPT.FE.ZS", "SH.DYN.MORT", "SH.STA.MMRT", "SP.ADO.TFRT",
                                "SP.DYN.IMRT.IN", "SP.POP.0014.TO.ZS"]
    assert any("UNICEF,CME,1.0/KAZ.CME_MRY0T4." in p for p in sdmx_calls)
    assert all("HTTP 404" in reason for item, reason in report.failures)
    assert len(report.failures) == len(sdmx_calls) and db["observations"].count == 0


def test_latest_value_per_sex_when_no_total_is_measured(corpus_build):
    """Issue 13: an indicator measured only for girls, or for girls and boys with no total,
    shows the latest of each sex; one with a total shows the total only."""
    db = sqlite_utils.Database(corpus_build[0])
    rows = {}
    for r in db.query("select indicator_code, sex from indicator_latest"):
        rows.setdefault(r["indicator_code"], set()).add(r["sex"])
    totals = {r["indicator_code"] for r in db.query(
        "select distinct indicator_code from observations where area_code = 'KAZ' and sex = '_T' "
        "and residence = '_T' and wealth_quintile = '_T' and age = '_T'")}
    sexes = {}
    for r in db.query("select indicator_code, sex from observations where area_code = 'KAZ' "
                      "and residence = '_T' and wealth_quintile = '_T' and age = '_T'"):
        sexes.setdefault(r["indicator_code"], set()).add(r["sex"])
    assert any(s == {"F", "M"} for code, s in rows.items())        # girls and boys, no total
    for code, got in rows.items():
        assert got == ({"_T"} if code in totals else sexes[code]), code
    # the coverage table names every sex it shows
    cell = next(iter(db.query("select latest_values from coverage where latest_values like '%sex F%'")))
    assert "sex M" in cell["latest_values"] or "sex F" in cell["latest_values"]
