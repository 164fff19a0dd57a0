"""The catalogue of child policy measures (issue 13 part 1), checked against the provision text.

Every row is compared with the text of the provisions it names: the amount, the age limit and
the eligibility are quotations, and amount_mrp is the number the amount line states. Runs on
the session's corpus build (tests/conftest.py `corpus_build`).
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from kb.policies import extract_measures, mrp_values

REPO = Path(__file__).resolve().parents[1]
SOCIAL_CODE = "K2300000224"
MRP_RX = re.compile(r"[–-]\s+(\d+(?:,\d+)?)\s+месячн\w* расчетн\w* показател", re.I)


@pytest.fixture(scope="module")
def conn(corpus_build):
    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    c.row_factory = sqlite3.Row
    yield c
    c.close()


@pytest.fixture(scope="module")
def measures(conn):
    return [dict(r) for r in conn.execute("SELECT * FROM policy_measures")]


def _text(conn, pid):
    row = conn.execute("SELECT text, text_sha256 FROM provisions WHERE id = ?", (pid,)).fetchone()
    assert row is not None, pid
    return row


def test_every_row_quotes_its_provisions(conn, measures):
    assert measures
    for m in measures:
        prov = _text(conn, m["provision_id"])
        assert m["text_sha256"] == prov["text_sha256"], m["id"]
        assert m["amount_text"] and m["amount_text"] in prov["text"], m["id"]
        if m["tier"]:   # a subpart's lead-in «детям …:» is joined to its line's condition by ": "
            assert all(piece in prov["text"] for piece in m["tier"].split(": ")), m["id"]
        if m["age_text"]:
            assert m["age_text"] in _text(conn, m["age_provision_id"])["text"], m["id"]
            assert m["age_min_months"] is not None or m["age_max_months"] is not None
        if m["eligible"]:
            assert m["eligible"] in _text(conn, m["eligibility_provision_id"])["text"], m["id"]
        if m["amount_value"] is not None:
            number = f"{m['amount_value']:.2f}".rstrip("0").rstrip(".").replace(".", ",")
            assert re.search(rf"\b{re.escape(number)}0*\b", m["amount_text"]), (m["id"], number)
        # the provision page to cite is the provision's readable path
        slug = conn.execute("SELECT slug FROM provisions WHERE id = ?", (m["provision_id"],)).fetchone()[0]
        assert m["provision_page"] == f"/acts/{m['act_id']}/" + re.sub(r"-(?=[A-Za-z])", "/", slug)
        assert m["kind"] in {"cash", "in_kind", "service", "leave", "protection"}


def test_every_mrp_amount_line_of_the_social_code_is_a_row(conn, measures):
    """Each «– N месячного расчетного показателя» line in an article «Размер …» of the Social Code
    that concerns children is a row with that number as amount_mrp; none is missed."""
    expected = []
    headings = dict(conn.execute("SELECT id, heading FROM provisions WHERE act_id = ? AND kind = 'article'",
                                 (SOCIAL_CODE,)).fetchall())
    for pid, text in conn.execute("SELECT id, text FROM provisions WHERE act_id = ? AND text IS NOT NULL "
                                  "AND kind IN ('part', 'subpart')", (SOCIAL_CODE,)):
        heading = headings.get(re.match(r"^(.*?-art\d+(?:-\d+)?)(?=-p|-sp|$)", pid).group(1)) or ""
        if not heading.startswith("Размер"):
            continue
        for line in text.split("\n"):
            m = MRP_RX.search(line)
            if m and re.search(r"дет(?!ств)|ребен|матер|многодет|кормил|сирот", text.split("\n")[0] + line + heading, re.I):
                expected.append((pid, float(m.group(1).replace(",", "."))))
    got = sorted((m["provision_id"], m["amount_mrp"]) for m in measures if m["amount_mrp"] is not None
                 and m["act_id"] == SOCIAL_CODE)
    assert len(expected) >= 13
    assert sorted(expected) == got


def test_the_social_code_benefits_named_by_the_issue(measures):
    by_name = {}
    for m in measures:
        if m["act_id"] == SOCIAL_CODE:
            by_name.setdefault(m["name"].lower(), []).append(m)
    birth = by_name["пособие на рождение"]
    assert sorted(m["amount_mrp"] for m in birth) == [38.0, 63.0]
    assert {m["frequency"] for m in birth} == {"one_off"}
    care = by_name["пособие по уходу"]
    assert sorted(m["amount_mrp"] for m in care) == [5.76, 6.81, 7.85, 8.90]
    assert {m["age_max_months"] for m in care} == {18}                # полутора лет
    assert {m["frequency"] for m in care} == {"monthly"}
    large = [m for n, ms in by_name.items() if "многодет" in n for m in ms]
    assert len(large) == 5 and all(m["amount_mrp"] for m in large)
    disability = [m for n, ms in by_name.items() if "инвалидност" in n for m in ms]
    assert any(m["age_max_months"] == 83 for m in disability)             # детям до семи лет
    assert all(m["amount_unit"] == "subsistence_minimum" for m in disability)
    # the disability benefit's adult tiers are not child measures
    assert not any(m["tier"] and m["tier"].startswith("лицам") for m in disability)
    survivor = [m for n, ms in by_name.items() if "кормильц" in n for m in ms]
    assert survivor and all(m["eligible"] for m in survivor)


def test_measures_of_the_other_acts(measures):
    acts = {m["act_id"] for m in measures}
    assert {"K1500000414", "Z070000319_", "Z970000094_", "Z020000345_", "K2000000360"} <= acts
    kinds = {m["kind"] for m in measures}
    assert kinds == {"cash", "in_kind", "service", "leave", "protection"}
    leave = [m for m in measures if m["act_id"] == "K1500000414" and "трех лет" in (m["age_text"] or "")]
    assert leave and leave[0]["kind"] == "leave" and leave[0]["age_max_months"] == 35


def test_amounts_in_tenge_use_the_newest_index(conn, measures):
    indices = {(r["year"], r["unit"]): r for r in conn.execute("SELECT * FROM monthly_indices")}
    values = mrp_values()
    newest = max(values)
    assert indices[(newest, "mrp")]["tenge"] == values[newest]["mrp"]
    assert all(r["source"].startswith("Закон Республики Казахстан «О республиканском бюджете") for r in indices.values())
    for m in measures:
        if m["amount_mrp"] is not None:
            assert m["amount_tenge_year"] == newest
            assert m["amount_tenge"] == pytest.approx(m["amount_mrp"] * values[newest]["mrp"])


def _art(act, n, heading, parts, parent=None, pos=0):
    rows = [{"id": f"{act}-art{n}", "act_id": act, "slug": f"art{n}", "kind": "article", "number": str(n),
             "heading": heading, "text": None, "parent_id": parent, "position": pos, "excluded": 0,
             "url": "u", "text_sha256": None}]
    for i, t in enumerate(parts, 1):
        rows.append({"id": f"{act}-art{n}-p{i}", "act_id": act, "slug": f"art{n}-p{i}", "kind": "part",
                     "number": str(i), "heading": None, "text": t, "parent_id": f"{act}-art{n}",
                     "position": pos + i, "excluded": 0, "url": "u", "text_sha256": "h"})
    return rows


def test_a_new_edition_is_read_by_the_same_rules():
    """A changed amount and age in a new edition change the rows; nothing is typed by hand."""
    rows = (_art("X", 1, "Право на пособие по уходу",
                 ["Пособие по уходу назначается лицам, имеющим детей, до достижения ребенком возраста двух лет."])
            + _art("X", 2, "Размер пособия по уходу",
                   ["Пособие по уходу ежемесячно выплачивается в следующих размерах:\n"
                    "на первого ребенка – 6,10 месячного расчетного показателя;\n"
                    "на второго ребенка – 7,00 месячного расчетного показателя."], pos=10)
            + _art("X", 3, "Размер пенсии", ["Пенсия выплачивается в размере 10 месячных расчетных показателей."], pos=20))
    got = extract_measures(rows)
    assert [(m["tier"], m["amount_mrp"]) for m in got] == [("на первого ребенка", 6.1), ("на второго ребенка", 7.0)]
    assert {m["age_max_months"] for m in got} == {23} and got[0]["frequency"] == "monthly"
    assert got[0]["eligibility_provision_id"] == "X-art1-p1" and got[1]["id"] == "X-art2-p1#2"


def test_every_column_of_the_policy_tables_is_described():
    from db.policies import TABLES

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE acts (id TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE provisions (id TEXT PRIMARY KEY)")
    conn.executescript(TABLES)
    tables = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))["databases"]["kb"]["tables"]
    for table in ("policy_measures", "monthly_indices"):
        assert tables[table]["description"]
        for col in conn.execute(f"pragma table_info({table})"):
            text = tables[table]["columns"].get(col[1])
            assert text and re.search("[а-я]", text), (table, col[1])
    assert {"kind", "act_id"} <= set(tables["policy_measures"]["facets"])


def test_the_offline_build_holds_no_mock_or_fixture_data(conn):
    """Issue 13 part 5: test fixtures never enter the default build."""
    sources = {r[0] for r in conn.execute("SELECT DISTINCT source FROM observations")}
    assert sources and not {s for s in sources if "mock" in s or "fixture" in s}
    assert not conn.execute("SELECT COUNT(*) FROM observations WHERE source_url LIKE '%/mock/%' "
                            "OR data_source LIKE '%mock%' OR source_file LIKE '%fixture%'").fetchone()[0]
    assert not conn.execute("SELECT COUNT(*) FROM acts WHERE source_note LIKE '%fixture%'").fetchone()[0]
