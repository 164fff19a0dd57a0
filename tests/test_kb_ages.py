"""Ages in the built knowledge base (issue 9, «Done when»): what applies at 5 and at 15 differs,
and the age thresholds of the Labour Code (K1500000414), the Marriage and Family Code
(K1100000518) and the Criminal Code (K1400000226) show up as their ages, provision by provision.

Reads the session's one corpus build (tests/conftest.py: corpus_build).
"""
import sqlite3

import pytest


@pytest.fixture(scope="module")
def db(corpus_build):
    con = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    yield con
    con.close()


def age(db, provision_id):
    row = db.execute("SELECT age_min_months, age_max_months FROM provisions WHERE id = ?",
                     (provision_id,)).fetchone()
    assert row is not None, f"no provision {provision_id}"
    return tuple(row)


@pytest.mark.parametrize("provision, want", [
    # Labour Code: minors' work
    ("K1500000414-art31-p1", (192, 215)),       # labour contract from 16
    ("K1500000414-art31-p2-sp1", (180, 215)),   # from 15, with schooling
    ("K1500000414-art31-p2-sp2", (168, 215)),   # pupils from 14, light work
    ("K1500000414-art31-p2-sp3", (0, 167)),     # under 14: cinema, theatre, sport
    ("K1500000414-art69-p1", (0, 215)),         # shorter hours for workers under 18 …
    ("K1500000414-art69-p1-sp1", (168, 191)),   # … «для возраста от четырнадцати до шестнадцати лет»
    ("K1500000414-art69-p1-sp2", (192, 215)),   # … from 16 to 18
    # Marriage and Family Code
    ("K1100000518-art1-p1-sp21", (0, 167)),     # опека: children under 14
    ("K1100000518-art1-p1-sp19", (168, 215)),   # попечительство: 14 to 18
    ("K1100000518-art10-p5", (0, 215)),         # persons under the marriage age (18)
    ("K1100000518-art95", (120, 215)),          # adoption needs the consent of a child from 10
    ("K1100000518-art64-p6", (120, 215)),       # change of name from 10 with consent
    ("K1100000518-art130-p3", (216, 227)),      # попечительство ends on reaching 18
    # Criminal Code
    ("K1400000226-art15-p1", (192, 215)),       # criminal liability from 16
    ("K1400000226-art15-p2", (168, 215)),       # … from 14 for the crimes listed
    ("K1400000226-art99-p3", (0, 167)),         # murder of a «малолетний»
    ("K1400000226-art122-p1", (0, 191)),        # sex with a person under 16
    ("K1400000226-art124-p1", (0, 191)),
])
def test_thresholds_show_up_as_ages(db, provision, want):
    assert age(db, provision) == want


def applying_at(db, months):
    return {r[0] for r in db.execute(
        "SELECT id FROM provisions WHERE NOT excluded AND age_min_months <= ? "
        "AND (age_max_months IS NULL OR age_max_months >= ?)", (months, months))}


def test_what_applies_at_5_and_at_15_differs(db):
    at5, at15 = applying_at(db, 60), applying_at(db, 180)
    assert at5 and at15 and at5 != at15
    # work and criminal liability of 14–15-year-olds are not for a 5-year-old …
    for pid in ("K1500000414-art69-p1-sp1", "K1500000414-art31-p2-sp2", "K1400000226-art15-p2"):
        assert pid in at15 and pid not in at5
    # … and what is for young children is not for a 15-year-old
    only5 = at5 - at15
    assert "K1500000414-art76-p4-sp1" in only5          # no night work for mothers of under-7s
    assert "K1500000414-art87-p5-sp4" not in at5        # care leave to 3: not at 5 either
    assert len(only5) >= 20 and len(at15 - at5) >= 20
