"""Coding sheets: the real-act gold set's coding and adjudication as spreadsheets, for people.

    python -m kb.coding_sheets sheet BATCH.jsonl [--out SHEET.csv]
    python -m kb.coding_sheets read SHEET.csv --pass a --name draw5_batch1
    python -m kb.coding_sheets adjudication [--out SHEET.csv]
    python -m kb.coding_sheets decisions SHEET.csv

The gold set was coded by two blind passes and an adjudicator (kb/data/gold/real/README.md);
a human-coded sample, which the study needs, goes through the same files. `sheet` turns a
coder batch of `python -m kb.gold_sample` (JSON lines with the text, kept outside the
repository) into a CSV a coder fills in Excel or LibreOffice; `read` checks a filled sheet
against the codebook and writes it as a pass (`pass_a/NAME.jsonl`); `adjudication` lists the
items where the two passes differ and no decision is recorded, both codings side by side;
`decisions` appends the adjudicator's filled rows to `decisions.jsonl`. Then
`python -m kb.agreement` computes the kappas and writes gold.jsonl, as for the earlier draws.

A sheet with any bad row is refused whole, with every problem and its row number, and nothing
is written: a half-read sheet would leave a pass with items missing, which the agreement would
then count as not coded. Sheets are UTF-8 with a byte-order mark (Excel reads Cyrillic and
Kazakh letters right) and «;» between columns (Excel's separator in a Russian or Kazakh
locale); a sheet saved back with «,» or tabs is read too. The text columns are for reading,
only the label columns are read back.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from kb import paths
from kb.agreement import REAL, _differ, load_decisions, load_pass
from kb.corpus_texts import item_key
from kb.taxonomy import DIMENSION_CODES, FLAG_CODES

# Excel in a Russian or Kazakh locale splits CSV on «;» (the list separator where «,» is the
# decimal comma); a sheet saved back by any program is read with whichever of ; , tab it uses
DELIMITER = ";"
LABELS = ("required", "acceptable", "primary", "flags", "age_min_months", "age_max_months", "note")
CONTEXT = ("key", "lang", "act_title", "article_heading", "text")
_SPLIT = re.compile(r"[\s,;]+")


class SheetError(ValueError):
    """A sheet that cannot be read; `problems` lists each one with its row number."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s), nothing written:\n  "
                         + "\n  ".join(problems))


# --- writing sheets -------------------------------------------------------------------------


def _write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, delimiter=DELIMITER)
        w.writeheader()
        for row in rows:
            w.writerow({k: row.get(k, "") for k in header})
    return path


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def coding_sheet(batch: Path, out: Path) -> int:
    """A coder batch (JSON lines: key, lang, act_title, article_heading, text) as a sheet with
    empty label columns. Returns the number of rows."""
    rows = []
    with open(batch, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                rows.append({k: item.get(k) or "" for k in CONTEXT})
    _write_csv(out, list(CONTEXT) + list(LABELS), rows)
    return len(rows)


def adjudication_sheet(out: Path, folder: Path = REAL, corpus_dir: Path = paths.DEFAULT_CORPUS) -> int:
    """The items where the passes differ (required, primary or age) and no decision is
    recorded: text, both codings, and empty decision columns. Returns the number of rows."""
    from kb.corpus_texts import ItemNotFound, get_item

    a, b = load_pass("a", folder), load_pass("b", folder)
    decided = load_decisions(folder)
    rows = []
    for key in a:
        if key not in b or key in decided or not _differ(a[key], b[key]):
            continue
        source, act_id, position = key.split("/", 2)
        try:
            text = get_item(Path(corpus_dir), source, act_id, position).text
        except ItemNotFound:
            text = ""
        row = {"key": key, "text": text}
        for name, coding in (("a", a[key]), ("b", b[key])):
            for f in LABELS:
                row[f"{name}_{f}"] = _cell(coding.get(f))
        rows.append(row)
    header = ["key", "text"] + [f"{p}_{f}" for p in ("a", "b") for f in LABELS] \
        + list(LABELS[:-1]) + ["rule"]
    _write_csv(out, header, rows)
    return len(rows)


# --- reading sheets -------------------------------------------------------------------------


def _codes(cell: str, known, upper: bool) -> tuple[list[str], list[str]]:
    words = [w for w in _SPLIT.split(cell.strip()) if w]
    words = [w.upper() if upper else w.lower() for w in words]
    return sorted(set(words), key=words.index), [w for w in words if w not in known]


def _months(cell: str) -> tuple[int | None, bool]:
    cell = cell.strip()
    if not cell:
        return None, True
    if cell.isdigit():
        return int(cell), True
    return None, False


def _labels(row: dict, n: int, text: str = "") -> tuple[dict, list[str]]:
    """The label columns of one row, and what is wrong with them (TAXONOMY.md, the gold
    README's line format)."""
    problems = []
    required, bad = _codes(row.get("required") or "", DIMENSION_CODES, True)
    problems += [f"row {n}: unknown dimension {c!r} in required" for c in bad]
    acceptable, bad = _codes(row.get("acceptable") or "", DIMENSION_CODES, True)
    problems += [f"row {n}: unknown dimension {c!r} in acceptable" for c in bad]
    flags, bad = _codes(row.get("flags") or "", FLAG_CODES, False)
    problems += [f"row {n}: unknown flag {c!r}" for c in bad]
    if set(required) & set(acceptable):
        problems.append(f"row {n}: {sorted(set(required) & set(acceptable))} both required and acceptable")
    primary = (row.get("primary") or "").strip().upper() or None
    if required and primary not in required:
        problems.append(f"row {n}: primary {primary!r} is not one of required {required}")
    if not required and primary:
        problems.append(f"row {n}: primary {primary!r} without required dimensions")
    lo, ok_lo = _months(row.get("age_min_months") or "")
    hi, ok_hi = _months(row.get("age_max_months") or "")
    if not ok_lo or not ok_hi:
        problems.append(f"row {n}: ages are whole months (14 years = 168) or empty")
    elif lo is not None and hi is not None and lo > hi:
        problems.append(f"row {n}: age_min_months {lo} > age_max_months {hi}")
    elif lo is None and hi is not None:
        problems.append(f"row {n}: age_max_months without age_min_months (use 0 for «under …»)")
    elif not required and lo is not None and lo < 216:
        problems.append(f"row {n}: a negative with a child age (only adult «children», 216 and "
                        "up, keep an age without a dimension)")
    note = (row.get("note") or "").strip()
    if len(note) >= 40 and text and note in text:
        problems.append(f"row {n}: the note quotes the text (say the reason in your own words)")
    labels = {"required": required, "acceptable": acceptable, "primary": primary if required else None,
              "flags": flags, "age_min_months": lo, "age_max_months": hi}
    return labels, problems


def _read_csv(path: Path, needed: tuple[str, ...]) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        head = fh.readline()
        fh.seek(0)
        delimiter = max(";,\t", key=head.count)
        reader = csv.DictReader(fh, delimiter=delimiter)
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise SheetError(Path(path), [f"header: missing column(s) {missing}"])
        return list(reader)


def _atomic_write(path: Path, lines: list[dict], append: bool = False) -> None:
    old = path.read_text(encoding="utf-8") if append and path.exists() else ""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(old)
        if old and not old.endswith("\n"):
            fh.write("\n")
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _sample_keys(folder: Path) -> set[str]:
    with open(folder / "items.jsonl", encoding="utf-8") as fh:
        return {item_key(r["source"], r["act_id"], r["position"])
                for r in (json.loads(line) for line in fh if line.strip())}


def read_sheet(sheet: Path, coder_pass: str, name: str, folder: Path = REAL) -> Path:
    """A filled coding sheet as `pass_{a,b}/{name}.jsonl`; SheetError if any row is wrong."""
    if coder_pass not in ("a", "b"):
        raise ValueError("the pass is a or b")
    if not re.fullmatch(r"[\w-]+", name):
        raise ValueError(f"a batch name is letters, digits, _ and - ({name!r})")
    rows = _read_csv(Path(sheet), ("key",) + LABELS)
    keys = _sample_keys(folder)
    out_path = folder / f"pass_{coder_pass}" / f"{name}.jsonl"
    # the pass's other batches (reading the same batch again replaces it)
    coded = {k for path in out_path.parent.glob("*.jsonl") if path != out_path
             for k in _keys_of(path)}
    problems, lines, seen = [], [], set()
    for n, row in enumerate(rows, start=2):       # row 1 is the header
        key = (row.get("key") or "").strip()
        if key not in keys:
            problems.append(f"row {n}: {key!r} is not an item of the sample (items.jsonl)")
            continue
        if key in seen:
            problems.append(f"row {n}: {key} is coded twice in this sheet")
        elif key in coded:
            problems.append(f"row {n}: {key} is already in pass {coder_pass}")
        seen.add(key)
        labels, bad = _labels(row, n, row.get("text") or "")
        problems += bad
        lines.append({"key": key, **labels, "note": (row.get("note") or "").strip()})
    if problems:
        raise SheetError(Path(sheet), problems)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(out_path, lines)
    return out_path


def _keys_of(path: Path) -> set[str]:
    with open(path, encoding="utf-8") as fh:
        return {json.loads(line)["key"] for line in fh if line.strip()}


def read_decisions(sheet: Path, folder: Path = REAL) -> int:
    """Append the adjudicator's filled rows to decisions.jsonl (a row with no decision, neither
    labels nor rule, is skipped: not decided yet). Every decided row needs the written rule it
    applies (CONVENTIONS.md's C1–C10 or a TAXONOMY.md rule). Returns the rows appended."""
    rows = _read_csv(Path(sheet), ("key", "rule") + LABELS[:-1])
    a, b = load_pass("a", folder), load_pass("b", folder)
    decided = load_decisions(folder)
    problems, lines = [], []
    for n, row in enumerate(rows, start=2):
        key = (row.get("key") or "").strip()
        if not any((row.get(f) or "").strip() for f in LABELS[:-1] + ("rule",)):
            continue
        if key not in a or key not in b:
            problems.append(f"row {n}: {key!r} is not coded by both passes")
            continue
        if key in decided or any(line["key"] == key for line in lines):
            problems.append(f"row {n}: {key} is already decided")
            continue
        labels, bad = _labels(row, n)
        problems += bad
        rule = (row.get("rule") or "").strip()
        if not rule:
            problems.append(f"row {n}: no rule (the convention or TAXONOMY.md rule that decides it)")
        chosen = ("coder_1" if not _differ(a[key], labels) else
                  "coder_2" if not _differ(b[key], labels) else "new")
        lines.append({"key": key, **labels, "chosen": chosen, "rule": rule})
    if problems:
        raise SheetError(Path(sheet), problems)
    if lines:
        _atomic_write(folder / "decisions.jsonl", lines, append=True)
    return len(lines)


# --- command line ---------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sheet", help="a coder batch (JSON lines) as a CSV sheet to fill")
    s.add_argument("batch", type=Path)
    s.add_argument("--out", type=Path, help="default: the batch's name with .csv")
    r = sub.add_parser("read", help="a filled coding sheet as a pass of the gold set")
    r.add_argument("sheet", type=Path)
    r.add_argument("--pass", dest="coder_pass", choices=("a", "b"), required=True)
    r.add_argument("--name", required=True, help="the batch name, e.g. draw5_batch1")
    d = sub.add_parser("adjudication", help="the undecided disagreements as a CSV sheet")
    d.add_argument("--out", type=Path, default=Path("adjudication.csv"))
    d.add_argument("--corpus", type=Path, default=paths.DEFAULT_CORPUS)
    e = sub.add_parser("decisions", help="append a filled adjudication sheet to decisions.jsonl")
    e.add_argument("sheet", type=Path)
    args = ap.parse_args(argv)
    try:
        if args.command == "sheet":
            out = args.out or args.batch.with_suffix(".csv")
            print(f"{coding_sheet(args.batch, out)} items: {out}")
        elif args.command == "read":
            print(f"wrote {read_sheet(args.sheet, args.coder_pass, args.name)}")
        elif args.command == "adjudication":
            print(f"{adjudication_sheet(args.out, corpus_dir=args.corpus)} disagreements: {args.out}")
        else:
            print(f"{read_decisions(args.sheet)} decision(s) appended to {REAL / 'decisions.jsonl'}")
    except (SheetError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
