"""kb.coding_sheets: the gold set's coding and adjudication as spreadsheets for people (own
fixtures: a three-item sample in a temporary folder; the texts are invented)."""
import csv
import json

import pytest

from kb.agreement import agreement, load_pass, write_gold
from kb.coding_sheets import (SheetError, adjudication_sheet, coding_sheet, main, read_decisions,
                              read_sheet)

KEYS = ["adilet_text/X1/art1-p1", "adilet_text/X1/art2", "adilet_text_kk/X1/art3"]


@pytest.fixture
def sample(tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    with open(folder / "items.jsonl", "w", encoding="utf-8") as fh:
        for key in KEYS:
            source, act, pos = key.split("/")
            fh.write(json.dumps({"source": source, "act_id": act, "position": pos,
                                 "lang": "kk" if source.endswith("_kk") else "ru",
                                 "text_sha256": "0" * 12, "stratum": "random"}) + "\n")
    batch = tmp_path / "batch1.jsonl"
    texts = ["Пособие выплачивается матери ребенка до трех лет.", "Статья 2. Общие положения",
             "Бала құқықтары туралы заң."]
    with open(batch, "w", encoding="utf-8") as fh:
        for key, text in zip(KEYS, texts):
            fh.write(json.dumps({"key": key, "lang": "ru", "act_title": "Закон X",
                                 "article_heading": "", "text": text}, ensure_ascii=False) + "\n")
    return folder, batch


def _fill(sheet, labels_by_key, delimiter=";"):
    """What a coder does in a spreadsheet program; it may save with another separator."""
    with open(sheet, encoding="utf-8-sig", newline="") as fh:
        head = fh.readline()
        fh.seek(0)
        reader = csv.DictReader(fh, delimiter=";" if head.count(";") > head.count(",") else ",")
        header, rows = reader.fieldnames, list(reader)
    for row in rows:
        row.update(labels_by_key.get(row["key"], {}))
    with open(sheet, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)


A = {KEYS[0]: {"required": "MAT, FAM", "primary": "MAT", "age_min_months": "0",
               "age_max_months": "35", "note": "childcare benefit"},
     KEYS[1]: {"note": "general provisions"},
     KEYS[2]: {"required": "gov", "primary": "GOV", "note": "title of the law"}}
B = {KEYS[0]: {"required": "MAT", "acceptable": "FAM", "primary": "MAT", "flags": "low_income",
               "age_min_months": "0", "age_max_months": "35", "note": "benefit to the mother"},
     KEYS[1]: {"note": "heading"},
     KEYS[2]: {"required": "GOV", "primary": "GOV", "note": "the child-rights law"}}


def test_a_coding_sheet_round_trips_into_a_pass_and_opens_in_excel(sample, tmp_path):
    folder, batch = sample
    sheet = tmp_path / "a.csv"
    assert coding_sheet(batch, sheet) == 3
    raw = sheet.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                 # UTF-8 BOM: Excel reads Cyrillic
    assert raw.decode("utf-8-sig").split("\r\n")[0].startswith("key;lang;act_title;")
    _fill(sheet, A)
    out = read_sheet(sheet, "a", "draw5_batch1", folder)
    assert out == folder / "pass_a" / "draw5_batch1.jsonl"
    coded = load_pass("a", folder)
    assert coded[KEYS[0]]["required"] == ["MAT", "FAM"] and coded[KEYS[0]]["primary"] == "MAT"
    assert (coded[KEYS[0]]["age_min_months"], coded[KEYS[0]]["age_max_months"]) == (0, 35)
    assert coded[KEYS[1]]["required"] == [] and coded[KEYS[1]]["primary"] is None
    assert coded[KEYS[2]]["required"] == ["GOV"]          # codes are read case-blind


def test_a_bad_sheet_is_refused_whole_with_every_row_named(sample, tmp_path):
    folder, batch = sample
    sheet = tmp_path / "bad.csv"
    coding_sheet(batch, sheet)
    _fill(sheet, {KEYS[0]: {"required": "MAT XYZ", "primary": "FAM", "age_min_months": "3 года"},
                  KEYS[1]: {"primary": "EDU", "flags": "orphan"},
                  KEYS[2]: {"required": "FAM", "acceptable": "FAM", "primary": "FAM",
                            "age_min_months": "60", "age_max_months": "24"}})
    with pytest.raises(SheetError) as exc:
        read_sheet(sheet, "a", "draw5_batch1", folder)
    text = str(exc.value)
    for expected in ("row 2: unknown dimension 'XYZ'", "row 2: primary 'FAM' is not one of",
                     "row 2: ages are whole months", "row 3: primary 'EDU' without required",
                     "row 3: unknown flag 'orphan'", "row 4: ['FAM'] both required and acceptable",
                     "row 4: age_min_months 60 > age_max_months 24", "nothing written"):
        assert expected in text
    assert not (folder / "pass_a").exists()                # nothing half-written


def test_keys_outside_the_sample_twice_or_already_coded_are_refused(sample, tmp_path):
    folder, batch = sample
    sheet = tmp_path / "a.csv"
    coding_sheet(batch, sheet)
    _fill(sheet, A, delimiter=",")                          # saved back with commas: read too
    read_sheet(sheet, "a", "draw5_batch1", folder)
    read_sheet(sheet, "a", "draw5_batch1", folder)       # the same batch again: replaced
    with pytest.raises(SheetError, match="already in pass a"):
        read_sheet(sheet, "a", "draw5_other", folder)
    with open(sheet, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["adilet_text/X9/art1"] + [""] * 11)
    with pytest.raises(SheetError, match="not an item of the sample"):
        read_sheet(sheet, "b", "draw5_batch1", folder)
    with pytest.raises(SheetError, match="a negative with a child age"):
        _fill(sheet, {KEYS[1]: {"age_min_months": "0", "age_max_months": "215"}})
        read_sheet(sheet, "b", "x", folder)
    assert main(["read", str(sheet), "--pass", "b", "--name", "x"]) == 2


def test_adjudication_sheet_and_decisions_complete_the_gold_set(sample, tmp_path):
    folder, batch = sample
    for name, labels in (("a", A), ("b", B)):
        sheet = tmp_path / f"{name}.csv"
        coding_sheet(batch, sheet)
        _fill(sheet, labels)
        read_sheet(sheet, name, "draw5_batch1", folder)
    assert agreement(load_pass("a", folder), load_pass("b", folder))["disagreements"] == 1
    n, undecided = write_gold(folder)
    assert (n, undecided) == (2, [KEYS[0]])
    adj = tmp_path / "adj.csv"
    assert adjudication_sheet(adj, folder, corpus_dir=tmp_path) == 1
    with open(adj, encoding="utf-8-sig", newline="") as fh:
        row = next(csv.DictReader(fh, delimiter=";"))
    assert row["a_required"] == "MAT FAM" and row["b_required"] == "MAT"
    _fill(adj, {KEYS[0]: {"required": "MAT", "acceptable": "FAM", "primary": "MAT",
                          "age_min_months": "0", "age_max_months": "35"}})
    with pytest.raises(SheetError, match="no rule"):
        read_decisions(adj, folder)
    _fill(adj, {KEYS[0]: {"rule": "C6 benefits due to the child: MAT, FAM acceptable"}})
    assert read_decisions(adj, folder) == 1
    decision = json.loads((folder / "decisions.jsonl").read_text(encoding="utf-8"))
    assert decision["chosen"] == "coder_2" and decision["rule"].startswith("C6")
    with pytest.raises(SheetError, match="already decided"):
        read_decisions(adj, folder)
    n, undecided = write_gold(folder)
    assert (n, undecided) == (3, [])
    gold = [json.loads(line) for line in open(folder / "gold.jsonl", encoding="utf-8")]
    assert gold[0]["required"] == ["MAT"] and gold[0]["note"].startswith("reconciled (coder_2)")
    # agreed items: acceptable and flags are the union of the passes
    assert gold[2]["required"] == ["GOV"]
    assert adjudication_sheet(adj, folder, corpus_dir=tmp_path) == 0
