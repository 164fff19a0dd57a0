"""The development gold set: every item resolves to real corpus text and its labels are well formed."""
import json
from collections import Counter

import pytest
import yaml

from kb import paths
from kb.corpus_texts import get_item, iter_items, text_sha256
from kb.evaluate import DEV_GOLD, load_gold

TAXONOMY = paths.DATA_DIR / "taxonomy.yml"


@pytest.fixture(scope="module")
def gold():
    return load_gold(DEV_GOLD)


@pytest.fixture(scope="module")
def taxonomy():
    return yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))


def test_enough_items_with_both_classes(gold):
    assert len(gold) >= 200
    child = [g for g in gold if g["required"]]
    assert len(child) >= 40
    assert len(gold) - len(child) >= 100


def test_keys_unique(gold):
    keys = Counter((g["source"], g["act_id"], g["position"]) for g in gold)
    assert [k for k, n in keys.items() if n > 1] == []


def test_every_item_resolves_with_matching_sha(gold, corpus_dir):
    bad = []
    for g in gold:
        item = get_item(corpus_dir, g["source"], g["act_id"], g["position"])
        if text_sha256(item.text) != g["text_sha256"]:
            bad.append((g["source"], g["act_id"], g["position"]))
    assert bad == []


def test_no_corpus_text_stored_in_gold(gold, corpus_dir):
    raw = DEV_GOLD.read_text(encoding="utf-8")
    allowed = {"source", "act_id", "position", "text_sha256", "required", "acceptable",
               "primary", "flags", "age_min_months", "age_max_months", "age_ranges", "note"}
    for line in raw.splitlines():
        assert set(json.loads(line)) <= allowed
    long_texts = [g for g in gold if len(g.get("note", "")) > 200]
    assert long_texts == []
    for g in gold[::10]:
        text = get_item(corpus_dir, g["source"], g["act_id"], g["position"]).text
        if len(text) > 60:
            assert text[:60] not in raw


def test_codes_are_taxonomy_codes(gold, taxonomy):
    dims = {d["code"] for d in taxonomy["dimensions"]}
    flags = {f["code"] for f in taxonomy["flags"]}
    for g in gold:
        assert set(g["required"]) <= dims, g
        assert set(g["acceptable"]) <= dims, g
        assert not set(g["required"]) & set(g["acceptable"]), g
        assert set(g["flags"]) <= flags, g
        assert len(g["required"]) <= 3, g          # one primary + at most two secondary


def test_primary_is_one_of_the_required(gold):
    for g in gold:
        if g["required"]:
            assert g["primary"] in g["required"], g
        else:
            assert g["primary"] is None, g


def test_ages_are_consistent(gold):
    for g in gold:
        lo, hi = g["age_min_months"], g["age_max_months"]
        if lo is None:
            assert hi is None, g                       # no age, or a lower bound ("18 and up")
            assert not g.get("age_ranges"), g
            continue
        assert 0 <= lo <= 300, g
        if hi is not None:
            assert lo <= hi <= 300, g
        for r_lo, r_hi in g.get("age_ranges") or []:
            assert lo <= r_lo and (hi is None or (r_hi is not None and r_hi <= hi)), g


def test_child_items_mostly_have_an_age_and_negatives_mostly_not(gold):
    child = [g for g in gold if g["required"]]
    neg = [g for g in gold if not g["required"] and not g["acceptable"]]
    assert sum(g["age_min_months"] is not None for g in child) / len(child) > 0.6
    assert all(g["age_min_months"] is None for g in neg)


def test_repealed_items_have_no_dimension_and_no_age(gold, corpus_dir):
    repealed = 0
    for g in gold:
        text = get_item(corpus_dir, g["source"], g["act_id"], g["position"]).text
        head = text.split(maxsplit=1)[-1][:40].lower() if text.split() else ""
        if head.startswith(("исключен", "(исключен", "(пункт исключен")):
            repealed += 1
            assert g["required"] == [] and g["acceptable"] == [], g
            assert g["age_min_months"] is None, g
    assert repealed >= 3


def test_every_source_is_represented(gold, corpus_dir):
    used = {g["source"] for g in gold}
    assert {"bullying_rules", "constitution", "cc_77np_2026", "fragments_59"} <= used


def test_corpus_positions_are_stable_and_unique(corpus_dir):
    first = [(i.key, i.sha) for i in iter_items(corpus_dir)]
    second = [(i.key, i.sha) for i in iter_items(corpus_dir)]
    assert first == second
    keys = [k for k, _ in first]
    assert len(keys) == len(set(keys))


def test_line_splitter_keeps_links_inside_units():
    from kb.corpus_texts import split_numbered_lines

    lines = ["1. Правила разработаны в соответствии с", "подпунктом 15)", "статьи 5 Закона.",
             "Сноска. Пункт 1 - в редакции приказа", "№ 54", "2. Понятия:", "1) первое;",
             "2) второе:", "перечень без номера;", "Глава 2. Порядок", "3. Третий пункт."]
    units = dict(split_numbered_lines(lines, "r"))
    assert list(units) == ["r.p1", "r.p1.note", "r.p2", "r.p2.sp1", "r.p2.sp2", "r.p3"]
    assert "подпунктом 15) статьи 5" in units["r.p1"]
    assert units["r.p2.sp2"].endswith("перечень без номера;")


def test_inline_splitter_ignores_dates_notes_and_references():
    from kb.corpus_texts import split_inline_numbering

    text = ("Примечание. См. нормативное постановление Конституционного Суда РК от 10.01.2023 № 2. "
            "1. Первая часть, см. пункт 3. статьи 5. 2. Вторая часть: 1) один; 2) два. "
            "Сноска. Статья с изменением от 21.05.2007 № 254-III.")
    units = dict(split_inline_numbering(text))
    assert list(units) == ["1", "2", "2.sp1", "2.sp2"]
    assert units["1"].startswith("1. Первая часть") and "пункт 3. статьи 5." in units["1"]
    assert "Сноска" not in units["2.sp2"]
