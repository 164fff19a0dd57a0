"""Agreement between the two blind coding passes of the real-act gold set (issue 9).

    python -m kb.agreement     # print the table; write agreement.json and the reconciled gold.jsonl

Pass A and pass B (`kb/data/gold/real/pass_{a,b}/batch*.jsonl`) label the same items
independently. Cohen's kappa is computed per dimension (is the code in `required`?), for «the
provision is about children at all» (`required` non-empty), for the primary dimension, and per
age band (does the item's interval overlap the band?), with the share of items whose age
intervals are identical. Disagreements are what the reconciliation decides (`decisions.jsonl`).
"""
from __future__ import annotations

import json
from pathlib import Path

from kb import paths

REAL = paths.DATA_DIR / "gold" / "real"
DIMENSIONS = ("MAT", "HOU", "HLT", "NUT", "ECD", "EDU", "FAM", "PRO", "JUS", "PAR", "LEI", "GOV")


def load_pass(name: str, folder: Path = REAL) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in sorted((folder / f"pass_{name}").glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    out[row["key"]] = row
    return out


def cohen_kappa(a: list, b: list) -> float | None:
    """Cohen's kappa of two equally long label lists (None when undefined: one category)."""
    n = len(a)
    if n == 0:
        return None
    cats = set(a) | set(b)
    observed = sum(1 for x, y in zip(a, b) if x == y) / n
    expected = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def _bands(row: dict, bands: list[tuple[str, int, int]]) -> set[str]:
    lo, hi = row.get("age_min_months"), row.get("age_max_months")
    if lo is None and hi is None:
        return set()
    lo = 0 if lo is None else lo
    hi = 10_000 if hi is None else hi
    return {code for code, a, b in bands if a <= hi and b >= lo}


def _age_bands() -> list[tuple[str, int, int]]:
    from kb.taxonomy import load_taxonomy

    tax = load_taxonomy()
    return [(r["code"], r["min_months"], r["max_months"]) for r in tax.age_group_rows()
            if r.get("kind", "band") == "band" and r["min_months"] is not None]


def agreement(a: dict[str, dict], b: dict[str, dict]) -> dict:
    keys = [k for k in a if k in b]
    bands = _age_bands()
    report = {"items": len(keys), "only_in_a": len(set(a) - set(b)), "only_in_b": len(set(b) - set(a)),
              "dimensions": {}, "age_bands": {}}
    for dim in DIMENSIONS:
        xa = [dim in a[k]["required"] for k in keys]
        xb = [dim in b[k]["required"] for k in keys]
        report["dimensions"][dim] = {"kappa": cohen_kappa(xa, xb), "a": sum(xa), "b": sum(xb),
                                     "both": sum(1 for x, y in zip(xa, xb) if x and y)}
    child_a = [bool(a[k]["required"]) for k in keys]
    child_b = [bool(b[k]["required"]) for k in keys]
    report["child"] = {"kappa": cohen_kappa(child_a, child_b), "a": sum(child_a), "b": sum(child_b)}
    both_child = [k for k in keys if a[k]["required"] and b[k]["required"]]
    report["primary"] = {"kappa": cohen_kappa([a[k]["primary"] for k in both_child],
                                              [b[k]["primary"] for k in both_child]),
                         "items": len(both_child)}
    for code, _, _ in bands:
        xa = [code in _bands(a[k], bands) for k in keys]
        xb = [code in _bands(b[k], bands) for k in keys]
        report["age_bands"][code] = {"kappa": cohen_kappa(xa, xb), "a": sum(xa), "b": sum(xb)}
    same_age = [k for k in keys if (a[k].get("age_min_months"), a[k].get("age_max_months"))
                == (b[k].get("age_min_months"), b[k].get("age_max_months"))]
    report["age_identical_share"] = round(len(same_age) / len(keys), 4) if keys else None
    aged = [k for k in keys if a[k].get("age_min_months") is not None
            or b[k].get("age_min_months") is not None]
    report["age_any"] = {"kappa": cohen_kappa([a[k].get("age_min_months") is not None or
                                               a[k].get("age_max_months") is not None for k in keys],
                                              [b[k].get("age_min_months") is not None or
                                               b[k].get("age_max_months") is not None for k in keys]),
                         "items_with_an_age": len(aged)}
    report["disagreements"] = len(disagreements(a, b))
    return report


def _differ(x: dict, y: dict) -> bool:
    """Whether two codings of one item differ in required, primary or the age interval."""
    return set(x["required"]) != set(y["required"]) or x.get("primary") != y.get("primary") or \
        (x.get("age_min_months"), x.get("age_max_months")) != \
        (y.get("age_min_months"), y.get("age_max_months"))


def disagreements(a: dict[str, dict], b: dict[str, dict]) -> list[str]:
    """Keys where the passes differ in required, primary or the age interval."""
    return [k for k in a if k in b and _differ(a[k], b[k])]


def load_decisions(folder: Path = REAL) -> dict[str, dict]:
    path = folder / "decisions.jsonl"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {r["key"]: r for r in (json.loads(line) for line in fh if line.strip())}


def reconcile(items: list[dict], a: dict[str, dict], b: dict[str, dict],
              decisions: dict[str, dict]) -> tuple[list[dict], list[str]]:
    """The gold lines (kb/data/gold/README.md format) and the keys still undecided.

    Where the passes agree on required, primary and age, their labels stand (acceptable and
    flags are the union of both passes: either coder found them defensible); where they differ,
    the adjudicator's decision stands. An item without both passes is left out.
    """
    gold, undecided = [], []
    for item in items:
        key = f"{item['source']}/{item['act_id']}/{item['position']}"
        if key not in a or key not in b:
            undecided.append(key)
            continue
        x, y = a[key], b[key]
        if key in decisions:
            d = decisions[key]
            labels = {f: d.get(f) for f in ("required", "acceptable", "primary", "flags",
                                            "age_min_months", "age_max_months", "age_ranges")}
            note = f"reconciled ({d.get('chosen')}): {d.get('rule')}"
        elif _differ(x, y):
            undecided.append(key)
            continue
        else:
            required = list(x["required"])
            labels = {"required": required,
                      "acceptable": sorted((set(x.get("acceptable") or []) |
                                            set(y.get("acceptable") or [])) - set(required)),
                      "primary": x.get("primary"),
                      "flags": sorted(set(x.get("flags") or []) | set(y.get("flags") or [])),
                      "age_min_months": x.get("age_min_months"),
                      "age_max_months": x.get("age_max_months"),
                      "age_ranges": x.get("age_ranges") or y.get("age_ranges")}
            note = x.get("note") or ""
        line = {"source": item["source"], "act_id": item["act_id"], "position": item["position"],
                "text_sha256": item["text_sha256"], **{k: v for k, v in labels.items()
                                                       if k != "age_ranges" or v},
                "note": note, "stratum": item.get("stratum")}
        line["acceptable"] = line.get("acceptable") or []
        line["flags"] = line.get("flags") or []
        gold.append(line)
    return gold, undecided


def load_corrections(folder: Path = REAL) -> dict[str, dict]:
    """Agreed items that contradict a convention decided during reconciliation
    (CONVENTIONS.md, «Agreed items that conflict»), corrected by that convention's rule."""
    path = folder / "corrections.jsonl"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {r["key"]: r for r in (json.loads(line) for line in fh if line.strip())}


def apply_corrections(gold: list[dict], corrections: dict[str, dict]) -> list[dict]:
    out = []
    for line in gold:
        key = f"{line['source']}/{line['act_id']}/{line['position']}"
        c = corrections.get(key)
        if c:
            line = {**line, **c["set"]}
            line["acceptable"] = sorted(set(line.get("acceptable") or []) - set(line.get("required") or []))
            line["note"] = (line.get("note") + "; " if line.get("note") else "") + f"corrected: {c['rule']}"
        out.append(line)
    missing = set(corrections) - {f"{g['source']}/{g['act_id']}/{g['position']}" for g in gold}
    if missing:
        raise ValueError(f"corrections for items not in the gold set: {sorted(missing)}")
    return out


def write_gold(folder: Path = REAL) -> tuple[int, list[str]]:
    items = [json.loads(line) for line in open(folder / "items.jsonl", encoding="utf-8") if line.strip()]
    gold, undecided = reconcile(items, load_pass("a", folder), load_pass("b", folder),
                                load_decisions(folder))
    gold = apply_corrections(gold, load_corrections(folder))
    with open(folder / "gold.jsonl", "w", encoding="utf-8") as fh:
        for line in gold:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(gold), undecided


def render(report: dict) -> str:
    def k(v):
        return "—" if v is None else f"{v:.3f}"

    lines = [f"{report['items']} items coded twice; {report['disagreements']} with any difference "
             f"in required dimensions, primary or age interval (reconciled in decisions.jsonl).", "",
             "| measure | kappa | pass A | pass B |", "|---|---:|---:|---:|",
             f"| about children at all | {k(report['child']['kappa'])} | {report['child']['a']} | "
             f"{report['child']['b']} |",
             f"| primary dimension (items both call child) | {k(report['primary']['kappa'])} | "
             f"{report['primary']['items']} | |"]
    for dim, r in report["dimensions"].items():
        lines.append(f"| {dim} required | {k(r['kappa'])} | {r['a']} | {r['b']} |")
    lines.append(f"| any age named | {k(report['age_any']['kappa'])} | | |")
    for code, r in report["age_bands"].items():
        lines.append(f"| age band {code} | {k(r['kappa'])} | {r['a']} | {r['b']} |")
    lines.append(f"| identical age interval (share of items) | {report['age_identical_share']} | | |")
    return "\n".join(lines)


def main() -> None:
    a, b = load_pass("a"), load_pass("b")
    report = agreement(a, b)
    (REAL / "agreement.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    print(render(report))
    n, undecided = write_gold()
    print(f"\nwrote {REAL / 'gold.jsonl'}: {n} items; {len(undecided)} not yet decided")


if __name__ == "__main__":
    main()
