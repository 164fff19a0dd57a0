"""Adilet /info, /history and search result pages (invented fixtures: no real copy exists)."""
import json

import pytest
from click.testing import CliRunner

from kb.cli import cli
from scrapers.adilet.errors import ParseError
from scrapers.adilet.parse import (ParsedDocument, ParsedHistory, ParsedInfo, SearchPage,
                                   parse_any, parse_history, parse_info, parse_search)


def _fx(fixtures_dir, name):
    return (fixtures_dir / "adilet" / name).read_bytes()


def test_info_rows_and_normalised_fields(fixtures_dir):
    info = parse_info(_fx(fixtures_dir, "info_rus.html"))
    assert (info.act_id, info.lang) == ("Z2500000777", "rus")
    assert info.url == "https://adilet.zan.kz/rus/docs/Z2500000777/info"
    assert info.issuing_body == "Парламент Республики Казахстан"
    assert (info.form, info.legal_force) == ("Закон", "Закон Республики Казахстан")
    assert (info.date_adopted, info.date_changed) == ("2025-03-01", "2026-02-01")
    assert info.territory == "Республика Казахстан"
    assert info.registration_number == "—"
    # Rows nobody normalises are still kept.
    assert info.rows["Сфера правоотношений"] == "Отдых детей (вымышленная)"
    assert len(info.rows) == 8
    assert "Форма акта: Закон" in info.summary()


def test_history_versions(fixtures_dir):
    hist = parse_history(_fx(fixtures_dir, "history_rus.html"))
    assert hist.act_id == "Z2500000777"
    assert [v.date for v in hist.versions] == ["2025-03-01", "2025-05-05", "2026-02-01"]
    first, second, current = hist.versions
    assert first.archive_url == "https://adilet.zan.kz/rus/archive/docs/Z2500000777/01.03.2025"
    assert second.amending_act_id == "Z2500000200"
    assert second.amending_act == "Закон Республики Казахстан от 5 мая 2025 года № 200-VIII"
    assert current.is_current and current.archive_url is None and not first.is_current
    assert current.amending_act_id == "Z2600000011" and current.status_raw == "Обновленный"
    assert "3 versions" in hist.summary()


def test_search_rus(fixtures_dir):
    page = parse_search(_fx(fixtures_dir, "search_rus.html"),
                        url="https://old.adilet.zan.kz/rus/search/docs/fulltext=площадка")
    assert (page.lang, page.total, page.page) == ("rus", 1234, 1)
    assert page.next_url == "https://old.adilet.zan.kz/rus/search/docs/fulltext=площадка&page=2"
    assert [h.act_id for h in page.hits] == ["Z2500000777", "V2400012345", "P2300000042"]
    hit = page.hits[1]
    assert hit.repealed and hit.status_raw == "Утративший силу"
    assert hit.requisites.startswith("Приказ Министра") and "площадках" in hit.snippet
    assert hit.url == "https://adilet.zan.kz/rus/docs/V2400012345"
    assert page.hits[2].status_raw is None and not page.hits[2].repealed
    assert not page.hits[0].repealed


def test_search_kaz(fixtures_dir):
    page = parse_search(_fx(fixtures_dir, "search_kaz.html"))
    assert (page.lang, page.total) == ("kaz", 57)
    assert [(h.act_id, h.lang, h.repealed) for h in page.hits] == \
        [("Z2500000777", "kaz", False), ("V2400012345", "kaz", True)]
    assert page.next_url.endswith("/kaz/search/docs/fulltext=алаң&page=2")


@pytest.mark.parametrize("name,cls", [("info_rus.html", ParsedInfo), ("history_rus.html", ParsedHistory),
                                      ("search_rus.html", SearchPage), ("search_kaz.html", SearchPage),
                                      ("law_rus.html", ParsedDocument)])
def test_parse_any_dispatches_on_content(fixtures_dir, name, cls):
    result = parse_any(_fx(fixtures_dir, name))
    assert isinstance(result, cls)
    json.dumps(result.to_dict(), ensure_ascii=False)
    assert result.summary()


def test_parse_any_dispatches_on_url(fixtures_dir):
    raw = _fx(fixtures_dir, "info_rus.html")
    assert isinstance(parse_any(raw, url="https://old.adilet.zan.kz/rus/docs/Z2500000777/info"),
                      ParsedInfo)


def test_wrong_page_kind_is_a_clear_error(fixtures_dir, corpus_dir):
    with pytest.raises(ParseError, match="ethernatable"):
        parse_info((corpus_dir / "adilet" / "rus" / "V1600014592.html").read_bytes())
    with pytest.raises(ParseError, match="not a search results page"):
        parse_search(_fx(fixtures_dir, "info_rus.html"))


def test_kb_parse_info_json(fixtures_dir):
    path = fixtures_dir / "adilet" / "info_rus.html"
    result = CliRunner().invoke(cli, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["form"] == "Закон"
