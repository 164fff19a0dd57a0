"""Indicator importers on the real saved files (shared corpus) and on small malformed fixtures."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import httpx
import pytest

from scrapers.indicators.catalogue import DIMENSION_CODES, load_areas, load_catalogue
from scrapers.indicators.errors import ImportError_
from scrapers.indicators.national import (
    parse_egov_population, parse_qamqor_sentencing, parse_stat_schools_csv, parse_stat_schools_xlsx,
)
from scrapers.indicators.records import SourceMeta
from scrapers.indicators.sdmx_serieskeys import read_series_keys
from scrapers.indicators.sowc import parse_sowc2023
from scrapers.indicators.unicef_csv import fetch_unicef_sdmx, parse_unicef_sdmx_csv
from scrapers.indicators.unicef_json import parse_sdmx_json
from scrapers.indicators.worldbank import fetch_worldbank, parse_worldbank_csv

U5_CSV = "unicef_sdmx/UNICEF_CME_CME_MRY0T4_all_2020__KAZ_rows.csv"
U5_JSON = "unicef_sdmx/UNICEF_CME_sdmx-json_U5MR_IGME2018_map__KAZ_observations.json"
WB_U5 = "worldbank/API_SH.DYN.MORT_DS2_en_csv_v2_31650__KAZ_row.csv"
WB_MMR = "worldbank/API_SH.STA.MMRT_DS2_en_csv_v2_4693917__KAZ_row.csv"
SOWC = "unicef_sowc/SOWC-2023-Statistical-tables-All-EN.xlsx"
SCHOOLS_XLSX = "kz_stat/stat_gov_kz_number_of_general_education_schools_by_region_2000-2022__schools.xlsx"
EGOV = "kz_egov/data_egov_kz_kazakstan_respublikasy_halkyny1-v4__population_by_region_sex_agegroup_incl_0-15.csv"
QAMQOR = "kz_qamqor/qamqor_crimes_against_children_sentencing_2016_2023__open-data-kazakhstan_data_imp.csv"


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def areas():
    return load_areas()


@pytest.fixture(scope="module")
def ind_dir(corpus_dir) -> Path:
    return corpus_dir / "indicators"


def _read(path: Path, source="test", url="https://example.invalid/"):
    data = path.read_bytes()
    return data, SourceMeta.for_bytes(data, source=source, source_url=url, retrieved_at="2025-11-25",
                                      source_file=path.name)


def _by(obs, **kw):
    return [o for o in obs if all(getattr(o, k) == v for k, v in kw.items())]


def _core(o):
    return (o.indicator_code, o.area_code, o.sex, o.residence, o.wealth_quintile, o.age, o.period,
            o.year, o.value, o.value_raw, o.lower_bound, o.upper_bound, o.unit, o.obs_status)


# --- UNICEF SDMX csv -------------------------------------------------------------------------

def test_unicef_csv_under5_mortality_2020(ind_dir, cat, areas):
    data, meta = _read(ind_dir / U5_CSV, source="unicef_sdmx")
    codemap = {k: v[0] for k, v in cat.by_source_code("unicef_sdmx").items()}
    res = parse_unicef_sdmx_csv(data, meta, codemap=codemap, area_resolver=areas.resolve)
    assert len(res.observations) == 3
    got = {o.sex: o for o in res.observations}
    assert round(got["_T"].value, 2) == 10.12
    assert round(got["F"].value, 2) == 8.83
    assert round(got["M"].value, 2) == 11.34
    # bounds exactly as in the file
    assert (got["_T"].lower_bound, got["_T"].upper_bound) == (9.89674893077512, 10.3521242265188)
    assert (got["F"].lower_bound, got["F"].upper_bound) == (8.34083145453035, 9.31563554751815)
    assert (got["M"].lower_bound, got["M"].upper_bound) == (10.8699809285564, 11.8456380324452)
    for o in res.observations:
        assert (o.indicator_code, o.area_code, o.period, o.year) == ("CME_MRY0T4", "KAZ", "2020", 2020)
        assert o.unit == "Deaths per 1,000 live births" and o.obs_status == "A" and o.data_source == "UN_IGME"
        assert float(o.value_raw) == o.value
    assert got["_T"].value_raw == "10.1191857746263"


def test_unicef_sdmx_json_mock_resolves_keys_and_attributes(ind_dir, cat, areas):
    data, meta = _read(ind_dir / U5_JSON, source="unicef_cmesite_mock_2018")
    codemap = {k: v[0] for k, v in cat.by_source_code("unicef_sdmx_json").items()}
    res = parse_sdmx_json(data, meta, codemap=codemap, area_resolver=areas.resolve, data_source="mock")
    assert len(res.observations) == 47
    assert {o.area_code for o in res.observations} == {"KAZ"}
    first = _by(res.observations, period="1971-06")[0]
    # key 88:0:0:0:0:11 → KAZ, MRY0T4, 1971-06; attributes 1345 / 170 → bounds 69.7 / 103.4
    assert (first.indicator_code, first.value_raw, first.lower_bound, first.upper_bound) == \
        ("CME_MRY0T4", "84.8", 69.7, 103.4)
    assert first.unit == "D_PER_1000_B" and first.year == 1971 and first.source == "unicef_cmesite_mock_2018"
    assert "mock" in first.data_source and "SERIES_YEAR=2018" in first.data_source
    assert max(o.period for o in res.observations) == "2017-06"


def test_sdmx_serieskeys_have_no_observations_but_list_series(ind_dir):
    keys = read_series_keys((ind_dir / "unicef_sdmx/UNICEF_IMMUNISATION_serieskeysonly__KAZ_series.xml").read_bytes(), "imm.xml")
    assert len(keys) == 14
    assert {k["REF_AREA"] for k in keys} == {"KAZ"}
    assert {"IM_DTP3", "IM_MCV1", "IM_BCG"} <= {k["INDICATOR"] for k in keys}
    cme = read_series_keys((ind_dir / "unicef_sdmx/UNICEF_CME_serieskeysonly__KAZ_series.xml").read_bytes(), "cme.xml")
    assert len(cme) == 88 and list(cme[0]) == ["REF_AREA", "INDICATOR", "SEX", "WEALTH_QUINTILE"]


# --- World Bank --------------------------------------------------------------------------------

def test_worldbank_bulk_csv_years_units_and_missing(ind_dir, cat, areas):
    data, meta = _read(ind_dir / WB_U5, source="worldbank")
    res = parse_worldbank_csv(data, meta, codemap=cat.by_source_code("worldbank"), area_resolver=areas.resolve)
    by_year = {o.period: o for o in res.observations}
    assert by_year["2020"].value_raw == "10.1" and by_year["2020"].year == 2020
    assert by_year["1971"].value == 85.3 and "1970" not in by_year        # 1960-1970 empty
    assert "2023" not in by_year                                           # empty = missing, not 0
    assert len(res.observations) == 52                                     # 1971..2022
    assert {s.column for s in res.skipped} >= {"1960", "1970", "2023"}
    assert all(o.indicator_code == "CME_MRY0T4" and o.area_code == "KAZ" and o.sex == "_T" for o in res.observations)
    assert by_year["2020"].data_source == "World Development Indicators, last updated 2024-09-19"
    # a file without metadata lines, unquoted (owner stripped them)
    data, meta = _read(ind_dir / WB_MMR, source="worldbank")
    mmr = parse_worldbank_csv(data, meta, codemap=cat.by_source_code("worldbank"), area_resolver=areas.resolve)
    assert {o.period: o.value_raw for o in mmr.observations}["2017"] == "10"
    assert len(mmr.observations) == 18 and all(o.indicator_code == "MNCH_MMR" for o in mmr.observations)


def test_worldbank_code_with_sex_maps_to_female(ind_dir, cat, areas):
    data, meta = _read(ind_dir / "worldbank/API_SP.ADO.TFRT_DS2_en_csv_v2_4772546__KAZ_row.csv")
    res = parse_worldbank_csv(data, meta, codemap=cat.by_source_code("worldbank"), area_resolver=areas.resolve)
    assert {o.sex for o in res.observations} == {"F"}
    assert {o.period: o.value_raw for o in res.observations}["1960"] == "44.4152"


# --- SOWC 2023 -----------------------------------------------------------------------------------

def test_sowc2023_kazakhstan_row(ind_dir, cat):
    data, meta = _read(ind_dir / SOWC, source="sowc2023")
    res = parse_sowc2023(data, meta, cat.sowc_specs())
    obs = res.observations
    u5 = _by(obs, indicator_code="CME_MRY0T4", period="2021")
    assert {o.sex: o.value_raw for o in u5} == {"_T": "10.2742877972853", "M": "11.54799696157", "F": "8.93546616943397"}
    assert all(o.year == 2021 for o in u5)
    assert _by(obs, indicator_code="NT_ANT_HAZ_NE2")[0].value_raw == "7"                 # stunting 2020
    assert _by(obs, indicator_code="NT_ANT_HAZ_NE2")[0].year == 2020
    (bc,) = _by(obs, indicator_code="PT_CHLD_Y0T4_REG", sex="_T")
    assert (bc.value, bc.period, bc.year) == (99.7, "2012-2021", None)                 # range: no year
    mar = {o.sex: o for o in _by(obs, indicator_code="PT_F_20-24_MRD_U18")}
    assert mar["F"].value == 7 and mar["M"].value_raw == "0.3" and mar["M"].obs_status == "x"
    assert _by(obs, indicator_code="PT_CHLD_1-14_PS-PSY-V_CGVR", sex="_T")[0].value == 52.7
    assert _by(obs, indicator_code="ECD_CHLD_36-59M_EDU-PGM", sex="_T", wealth_quintile="_T")[0].value == 55.3
    assert _by(obs, indicator_code="IM_DTP3")[0].value == 95
    # child labour: "-" for Kazakhstan → reported, not imported
    assert not _by(obs, indicator_code="PT_CHLD_5-17_LBR_ECON-HC")
    assert any(s.raw == "-" and "PT_CHLD_5-17_LBR_ECON-HC" in s.reason for s in res.skipped)
    assert len(obs) == sum(len(i.map.get("sowc2023") or []) for i in cat.indicators.values()) - 3


def test_sowc_wrong_column_fails_on_header_check(ind_dir, cat):
    data, meta = _read(ind_dir / SOWC, source="sowc2023")
    bad = [{"indicator": "CME_MRY0T4", "sheet": "2. Child Mortality", "column": "O",
            "header": ["Under-five mortality rate"], "period": "1990"}]
    with pytest.raises(ImportError_) as e:
        parse_sowc2023(data, meta, bad)
    assert e.value.file == "SOWC-2023-Statistical-tables-All-EN.xlsx" and e.value.row == 98
    assert "Infant mortality rate" in str(e.value) and "2. Child Mortality!O98" in str(e.value)


# --- national files -------------------------------------------------------------------------------

def test_schools_xlsx_reports_broken_formulas_and_ellipsis(ind_dir, areas):
    data, meta = _read(ind_dir / SCHOOLS_XLSX, source="kz_stat")
    res = parse_stat_schools_xlsx(data, meta, area_resolver=areas.resolve)
    formulas = [s for s in res.skipped if "formula" in s.reason]
    assert len(formulas) == 8 and all(s.column.startswith("W") for s in formulas)   # 2021/22 column
    assert any(s.raw == "='[1]СВОД РК'!$G$32" for s in formulas)
    assert not _by(res.observations, area_code="KAZ", residence="U", period="2021/22")
    dots = [s for s in res.skipped if s.raw == "…"]
    assert {s.column for s in dots} == {"P29", "Q29", "P51", "Q51"}                # Shymkent 2014-2015
    assert not _by(res.observations, area_code="79", period="2014/15")
    assert _by(res.observations, area_code="KAZ", residence="_T", period="2022/23")[0].value == 7687
    assert _by(res.observations, area_code="71", residence="R") == []              # Astana has no rural block
    # «Туркестанская*»: footnote says 2000-2017 are South Kazakhstan (51)
    assert _by(res.observations, area_code="51", residence="_T", period="2017/18")[0].value == 911
    assert _by(res.observations, area_code="61", residence="_T", period="2018/19")[0].value == 919
    assert _by(res.observations, area_code="61", period="2017/18") == []


def test_schools_csv_matches_xlsx_2022(ind_dir, areas):
    data, meta = _read(ind_dir / "kz_stat/stat_gov_kz_number_of_general_education_schools_by_region_2022__schools.csv")
    res = parse_stat_schools_csv(data, meta, area_resolver=areas.resolve)
    assert len(res.observations) == 20
    assert {o.period for o in res.observations} == {"2022/23"}
    xdata, xmeta = _read(ind_dir / SCHOOLS_XLSX)
    x = parse_stat_schools_xlsx(xdata, xmeta, area_resolver=areas.resolve)
    xl = {o.area_code: o.value for o in x.observations if o.period == "2022/23" and o.residence == "_T"}
    assert {o.area_code: o.value for o in res.observations} == {k: v for k, v in xl.items() if k != "KAZ"}


def test_egov_population_undated(ind_dir, areas, cat):
    opts = cat.indicators["KZ_POP_0_15"].map["kz_egov"]
    data, meta = _read(ind_dir / EGOV)
    res = parse_egov_population(data, meta, area_resolver=areas.resolve, indicator="KZ_POP_0_15",
                                columns=opts["columns"], age=opts["age"])
    assert len(res.observations) == 36
    assert {o.period for o in res.observations} == {"undated"} and {o.year for o in res.observations} == {None}
    kaz = {o.sex: o.value_raw for o in _by(res.observations, area_code="KAZ")}
    assert kaz == {"M": "2901294", "F": "2735467"}
    assert _by(res.observations, area_code="71", sex="M")          # «город Нур-Султан» → Astana


def test_qamqor_child_rows_by_year(ind_dir, cat):
    maps = [{**i.map["kz_qamqor"], "indicator": c} for c, i in cat.indicators.items() if i.map.get("kz_qamqor")]
    data, meta = _read(ind_dir / QAMQOR)
    res = parse_qamqor_sentencing(data, meta, mappings=maps)
    sub = {o.period: o.value for o in _by(res.observations, indicator_code="KZ_QAMQOR_CONVICTED_CHILD_SEX")}
    assert sorted(sub) == [str(y) for y in range(2016, 2024)] and sub["2016"] == 38
    u16 = _by(res.observations, indicator_code="KZ_QAMQOR_CONVICTED_UNDER16_SEX", period="2017")[0]
    assert u16.value == 52 and u16.data_source.startswith("type_of_punish=child_rape123")
    assert {s.raw for s in res.skipped} >= {"rape120", "rape"}


# --- malformed input -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, row, text", [
    ("empty.csv", None, "empty file"),
    ("unicef_wrong_columns.csv", 1, "missing column(s) OBS_VALUE"),
    ("unicef_text_value.csv", 3, "not a number: 'about 11'"),
    ("unicef_duplicate.csv", 4, "duplicate observation"),
])
def test_unicef_csv_malformed(fixtures_dir, name, row, text):
    data, meta = _read(fixtures_dir / "indicators" / name)
    with pytest.raises(ImportError_) as e:
        parse_unicef_sdmx_csv(data, meta)
    assert e.value.file == name and e.value.row == row
    assert text in str(e.value) and str(e.value).startswith(name)


def test_worldbank_text_in_year_column(fixtures_dir, cat):
    data, meta = _read(fixtures_dir / "indicators" / "worldbank_text_value.csv")
    with pytest.raises(ImportError_) as e:
        parse_worldbank_csv(data, meta, codemap=cat.by_source_code("worldbank"))
    assert (e.value.file, e.value.row, e.value.column) == ("worldbank_text_value.csv", 6, "2020")
    assert "'n.a.'" in str(e.value)


def test_unknown_region_names_file_and_row(fixtures_dir, areas):
    data, meta = _read(fixtures_dir / "indicators" / "schools_unknown_region.csv")
    with pytest.raises(ImportError_, match=r"schools_unknown_region.csv, row 3: unknown region 'Нарния'"):
        parse_stat_schools_csv(data, meta, area_resolver=areas.resolve)


# --- live fetchers through MockTransport ---------------------------------------------------------

def test_fetch_unicef_sdmx_same_rows_as_offline(ind_dir, cat, areas):
    body = (ind_dir / U5_CSV).read_bytes()
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        assert request.url.path == "/ws/public/sdmxapi/rest/data/UNICEF,CME,1.0/.CME_MRY0T4.._T._T._T"
        assert request.url.params["format"] == "csv" and request.url.params["startPeriod"] == "2020"
        return httpx.Response(200, content=body, headers={"content-type": "text/csv"})

    codemap = {k: v[0] for k, v in cat.by_source_code("unicef_sdmx").items()}
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        live = fetch_unicef_sdmx("CME", ".CME_MRY0T4.._T._T._T", client=client, codemap=codemap,
                                 area_resolver=areas.resolve, start_period="2020", end_period="2020",
                                 retrieved_at="2026-01-01T00:00:00+00:00")
    data, meta = _read(ind_dir / U5_CSV, source="unicef_sdmx")
    offline = parse_unicef_sdmx_csv(data, meta, codemap=codemap, area_resolver=areas.resolve)
    assert len(seen) == 1
    assert [_core(o) for o in live.observations] == [_core(o) for o in offline.observations]
    assert live.observations[0].source_url.startswith("https://sdmx.data.unicef.org/") and \
        live.observations[0].content_sha256 == offline.observations[0].content_sha256


def test_fetch_unicef_sdmx_http_error_names_url():
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    with pytest.raises(ImportError_, match=r"UNICEF,CME,1.0/KAZ.*HTTP 404"):
        fetch_unicef_sdmx("CME", "KAZ.CME_MRY0T4..", client=client)


def test_fetch_worldbank_pages_same_rows_as_bulk_csv(ind_dir, cat, areas):
    """The API response is BUILT HERE from the same numbers as the saved bulk CSV
    (no saved API response exists): each year's cell text becomes the JSON number, empty → null,
    newest year first as the API lists them, split over 3 pages to exercise paging."""
    lines = (ind_dir / WB_U5).read_text(encoding="utf-8-sig").splitlines()
    rows = list(csv.reader(lines[4:]))
    header, kaz = rows[0], rows[1]
    years = [(h, kaz[i]) for i, h in enumerate(header) if re.fullmatch(r"\d{4}", h)][::-1]
    per_page = 25
    pages = [years[i:i + per_page] for i in range(0, len(years), per_page)]

    def page_json(n):
        items = []
        for year, cell in pages[n - 1]:
            items.append('{"indicator":{"id":"SH.DYN.MORT","value":"Mortality rate, under-5 (per 1,000 live births)"},'
                         '"country":{"id":"KZ","value":"Kazakhstan"},"countryiso3code":"KAZ",'
                         f'"date":"{year}","value":{cell or "null"},"unit":"","obs_status":"","decimal":1}}')
        head = json.dumps({"page": n, "pages": len(pages), "per_page": per_page, "total": len(years),
                           "sourceid": "2", "lastupdated": "2024-09-19"})
        return f"[{head},[{','.join(items)}]]"

    requested = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v2/country/KAZ/indicator/SH.DYN.MORT"
        assert request.url.params["format"] == "json"
        n = int(request.url.params["page"])
        requested.append(n)
        return httpx.Response(200, content=page_json(n).encode())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        live = fetch_worldbank("SH.DYN.MORT", client=client, codemap=cat.by_source_code("worldbank"),
                               area_resolver=areas.resolve, per_page=per_page)
    data, meta = _read(ind_dir / WB_U5, source="worldbank")
    offline = parse_worldbank_csv(data, meta, codemap=cat.by_source_code("worldbank"), area_resolver=areas.resolve)
    assert requested == [1, 2, 3]
    key = lambda o: (o.indicator_code, o.area_code, o.sex, o.period, o.year, o.value, o.value_raw)  # noqa: E731
    assert sorted(map(key, live.observations)) == sorted(map(key, offline.observations))
    assert len(live.observations) == 52 and {o.source for o in live.observations} == {"worldbank"}
    assert len([s for s in live.skipped if s.reason == "missing value"]) == 12


def test_fetch_worldbank_api_error_message():
    body = b'[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]'
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)))
    with pytest.raises(ImportError_, match=r"indicator/NOPE.*API error"):
        fetch_worldbank("NOPE", client=client)


# --- catalogue and areas ---------------------------------------------------------------------------

def _taxonomy_codes(corpus_dir: Path):
    text = (corpus_dir.parent / "TAXONOMY.md").read_text(encoding="utf-8")
    dims = re.findall(r"^\| ([A-Z]{3}) \|", text, flags=re.M)
    bands = re.findall(r"^\| (AG_[A-Z0-9]+) \|", text, flags=re.M)
    return dims, bands


def test_catalogue_dimensions_and_ages_follow_taxonomy(corpus_dir, cat):
    dims, bands = _taxonomy_codes(corpus_dir)
    assert len(dims) == 12 and len(bands) == 9
    assert sorted(dims) == sorted(DIMENSION_CODES)
    from db.indicators import age_groups_for
    for ind in cat.indicators.values():
        assert ind.dimension_code in dims, ind.code
        assert isinstance(ind.age_min_months, int) and isinstance(ind.age_max_months, int), ind.code
        assert 0 <= ind.age_min_months <= ind.age_max_months <= 23 * 12 + 11, ind.code
        groups, moda, _ = age_groups_for(ind.age_min_months, ind.age_max_months, pregnancy=ind.pregnancy)
        assert groups and set(groups) <= set(bands), ind.code
        assert ind.map, f"{ind.code} has no source mapping"
    # every source file in the manifest exists in the corpus or is explicitly skipped with a reason
    for entry in cat.files:
        assert (corpus_dir / "indicators" / entry["path"]).is_file(), entry["path"]
        assert entry.get("skip") or entry.get("importer"), entry["path"]


def test_areas_cover_current_regions_and_aliases(areas):
    current = {r["code"] for r in areas.rows} - {"KAZ", "51"}
    assert len(current) == 20                                     # 17 oblasts + 3 cities
    assert {r["code"] for r in areas.rows if r["level"] == "city"} == {"71", "75", "79"}
    for name, code in [("город Нур-Султан", "71"), ("г.Алматы", "75"), ("Южно-Казахстанская", "51"),
                       ("Туркестанская*", "61"), ("Алматинская", "19"), ("Республика Казахстан", "KAZ"),
                       ("Жетису", "33"), ("Улытау", "62"), ("Абай", "10")]:
        assert areas.resolve(name) == code, name
    assert all(r["name_ru"] and r["name_kk"] and r["name_en"] for r in areas.rows)
