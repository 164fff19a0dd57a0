"""Score the tagger against a gold set (`kb eval`).

A gold set is JSON lines, one provision per line, keyed by (source, act_id, position) into the
shared corpus (see kb/corpus_texts.py and kb/data/gold/README.md); the text is read from the
corpus at evaluation time and checked against the stored `text_sha256`.

Scoring rules (`score`, a pure function, usable on any gold set of this format):

* Dimensions, per code c and item i, with R = required, A = acceptable, P = predicted codes:
    - c in R and c in P                    -> true positive
    - c in R and c not in P                -> false negative
    - c in P and c not in R and not in A   -> false positive
    - c in A (not in R) and c in P         -> neutral: counted neither as TP nor as FP
    - c in A and not in P                  -> neutral
  precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2TP / (2TP + FP + FN); a ratio
  whose denominator is 0 is None ("n/a").  support = number of items with c required.
  micro-F1 pools TP/FP/FN over all codes; macro-F1 is the unweighted mean of the per-code F1
  over the codes whose F1 is defined (required somewhere in the set, or wrongly predicted).
* Primary: share of items with a gold primary whose predicted primary is the same code.
* Non-child provisions wrongly tagged: among items with `required` empty, the share whose
  prediction has a code outside `acceptable` (`nonchild_any_share`: any code at all).
* Flags: the same TP/FP/FN counting, pooled (no acceptable list for flags).
* Age: bands are derived from each interval with the project's `age_groups_for` (gold and
  predicted alike, never from hand-tagged bands); per item the Jaccard index of the two band
  sets (both empty = 1.0), averaged; exact-interval agreement is the share of items whose
  (age_min_months, age_max_months) pair is identical (both null counts as agreement). Both are
  reported over all items and over the items whose gold age is not null.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from kb import paths
from kb.corpus_texts import ItemNotFound, get_item, item_key, text_sha256

DEV_GOLD = paths.DATA_DIR / "gold" / "dev.jsonl"
REQUIRED_FIELDS = ("source", "act_id", "position", "required")


# --- gold set -------------------------------------------------------------------------------


def load_gold(path: Path | None = None) -> list[dict]:
    """Read a gold set (JSON lines; blank lines and lines starting with # are skipped)."""
    path = Path(path) if path else DEV_GOLD
    items = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
            missing = [f for f in REQUIRED_FIELDS if f not in item]
            if missing:
                raise ValueError(f"{path}:{n}: missing field(s) {', '.join(missing)}")
            item.setdefault("acceptable", [])
            item.setdefault("primary", None)
            item.setdefault("flags", [])
            item.setdefault("age_min_months", None)
            item.setdefault("age_max_months", None)
            items.append(item)
    return items


def gold_key(item: Mapping) -> str:
    return item_key(item["source"], item["act_id"], item["position"])


def resolve_texts(gold_items: Sequence[dict], corpus_dir: Path) -> tuple[list[dict], list[dict]]:
    """Attach the corpus text to each gold item; return (resolved, problems).

    A problem is an item whose key is not in the corpus ("missing") or whose text no longer
    matches the stored sha ("changed"); such items are left out of the scores.
    """
    resolved, problems = [], []
    for item in gold_items:
        key = gold_key(item)
        try:
            corpus_item = get_item(corpus_dir, item["source"], item["act_id"], item["position"])
        except ItemNotFound as exc:
            problems.append({"key": key, "problem": "missing", "detail": str(exc)})
            continue
        expected = item.get("text_sha256")
        actual = text_sha256(corpus_item.text, len(expected) if expected else 12)
        if expected and expected != actual:
            problems.append({"key": key, "problem": "changed",
                             "detail": f"text sha {actual} != gold {expected}"})
            continue
        resolved.append({**item, "text": corpus_item.text, "lang": corpus_item.lang})
    return resolved, problems


# --- age bands ------------------------------------------------------------------------------

# Used only while kb.taxonomy.age_groups_for is not available: the band table of TAXONOMY.md
# (months, inclusive).  AG_PRE (pregnancy and birth) is only derived for negative months.
_FALLBACK_BANDS = (("AG_PRE", None, -1), ("AG_INF", 0, 11), ("AG_TOD", 12, 35),
                   ("AG_PSC", 36, 71), ("AG_PRI", 72, 131), ("AG_MID", 132, 167),
                   ("AG_AD1", 168, 191), ("AG_AD2", 192, 215), ("AG_TRN", 216, 287))


def _fallback_age_groups(min_months, max_months) -> list[str]:
    if min_months is None and max_months is None:
        return []
    lo = float("-inf") if min_months is None else min_months
    hi = float("inf") if max_months is None else max_months
    out = []
    for code, b_lo, b_hi in _FALLBACK_BANDS:
        b_lo = float("-inf") if b_lo is None else b_lo
        if lo <= b_hi and hi >= b_lo:
            out.append(code)
    return out


def age_groups_for(min_months, max_months) -> list[str]:
    """The project's derivation (kb.taxonomy) when present, else the TAXONOMY.md table."""
    try:
        from kb.taxonomy import age_groups_for as derive
    except ImportError:
        return _fallback_age_groups(min_months, max_months)
    return list(derive(min_months, max_months) or [])


def age_band_source() -> str:
    try:
        from kb.taxonomy import age_groups_for  # noqa: F401
    except ImportError:
        return "fallback table in kb/evaluate.py (kb.taxonomy.age_groups_for not found)"
    return "kb.taxonomy.age_groups_for"


def jaccard(a: Iterable, b: Iterable) -> float:
    a, b = set(a), set(b)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# --- scoring (pure) -------------------------------------------------------------------------


def _ratio(num: int, den: int):
    return num / den if den else None


def _prf(tp: int, fp: int, fn: int) -> dict:
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn)}


def predicted_codes(pred: Mapping) -> list[str]:
    return [d["code"] for d in pred.get("dimensions") or []]


def predicted_primary(pred: Mapping):
    dims = pred.get("dimensions") or []
    for d in dims:
        if d.get("primary"):
            return d["code"]
    return None


def score(gold_items: Sequence[Mapping], predictions: Sequence[Mapping] | Mapping[str, Mapping],
          age_groups=age_groups_for, code_order: Sequence[str] | None = None) -> dict:
    """Score predictions against gold items (see the module docstring for the rules).

    `predictions` is a list aligned with `gold_items`, or a mapping from the item key
    (source/act_id/position) to a prediction in the `kb tag` output format.
    """
    if isinstance(predictions, Mapping):
        preds = [predictions.get(gold_key(g), {}) for g in gold_items]
    else:
        preds = list(predictions)
        if len(preds) != len(gold_items):
            raise ValueError(f"{len(preds)} predictions for {len(gold_items)} gold items")

    counts: dict[str, Counter] = {}
    flag_c = Counter()
    errors = []
    primary_total = primary_ok = 0
    nonchild = nonchild_wrong = nonchild_any = 0
    jac_all, jac_child, exact_all, exact_child = [], [], [], []

    for gold, pred in zip(gold_items, preds):
        req, acc = set(gold.get("required") or []), set(gold.get("acceptable") or [])
        got = set(predicted_codes(pred))
        for c in req | got | acc:
            counts.setdefault(c, Counter())
        for c in req:
            counts[c]["support"] += 1
            counts[c]["tp" if c in got else "fn"] += 1
        forbidden = got - req - acc
        for c in forbidden:
            counts[c]["fp"] += 1
        for c in (got & acc) - req:
            counts[c]["neutral"] += 1
        missing = req - got

        g_flags, p_flags = set(gold.get("flags") or []), set(pred.get("flags") or [])
        flag_c["tp"] += len(g_flags & p_flags)
        flag_c["fp"] += len(p_flags - g_flags)
        flag_c["fn"] += len(g_flags - p_flags)

        g_primary, p_primary = gold.get("primary"), predicted_primary(pred)
        if g_primary:
            primary_total += 1
            primary_ok += int(g_primary == p_primary)

        if not req:
            nonchild += 1
            nonchild_any += int(bool(got))
            nonchild_wrong += int(bool(forbidden))

        g_age = (gold.get("age_min_months"), gold.get("age_max_months"))
        p_age = (pred.get("age_min_months"), pred.get("age_max_months"))
        g_bands, p_bands = age_groups(*g_age), age_groups(*p_age)
        jac = jaccard(g_bands, p_bands)
        exact = g_age == p_age
        jac_all.append(jac)
        exact_all.append(exact)
        if g_age != (None, None):
            jac_child.append(jac)
            exact_child.append(exact)

        if missing or forbidden or (g_primary and g_primary != p_primary and req & got) \
                or not exact or g_flags != p_flags:
            errors.append({
                "key": gold_key(gold),
                "required": sorted(req), "acceptable": sorted(acc),
                "predicted": sorted(got), "missing": sorted(missing),
                "forbidden": sorted(forbidden),
                "primary": [g_primary, p_primary],
                "flags": [sorted(g_flags), sorted(p_flags)],
                "age": [list(g_age), list(p_age)],
                "age_bands": [list(g_bands), list(p_bands)],
                "evidence": {d["code"]: d.get("evidence") for d in pred.get("dimensions") or []},
                "note": gold.get("note", ""),
            })

    order = list(code_order or [])
    codes = [c for c in order if c in counts] + sorted(c for c in counts if c not in order)
    per_dim = {}
    for c in codes:
        k = counts[c]
        per_dim[c] = {**_prf(k["tp"], k["fp"], k["fn"]), "support": k["support"],
                      "neutral": k["neutral"]}
    tp = sum(d["tp"] for d in per_dim.values())
    fp = sum(d["fp"] for d in per_dim.values())
    fn = sum(d["fn"] for d in per_dim.values())
    defined = [d["f1"] for d in per_dim.values() if d["f1"] is not None]

    def mean(xs):
        return sum(xs) / len(xs) if xs else None

    return {
        "n_items": len(gold_items),
        "n_child": len(gold_items) - nonchild,
        "n_nonchild": nonchild,
        "per_dimension": per_dim,
        "micro": _prf(tp, fp, fn),
        "macro_f1": mean(defined),
        "primary_accuracy": _ratio(primary_ok, primary_total),
        "primary_total": primary_total,
        "nonchild_wrong_share": _ratio(nonchild_wrong, nonchild),
        "nonchild_wrong": nonchild_wrong,
        "nonchild_any_share": _ratio(nonchild_any, nonchild),
        "flags": _prf(flag_c["tp"], flag_c["fp"], flag_c["fn"]),
        "age": {
            "band_jaccard": mean(jac_all),
            "band_jaccard_child": mean(jac_child),
            "exact_interval": mean([float(x) for x in exact_all]),
            "exact_interval_child": mean([float(x) for x in exact_child]),
            "n_child_age": len(jac_child),
        },
        "errors": errors,
        "error_groups": error_groups(errors),
    }


def error_groups(errors: Sequence[Mapping], top: int = 15) -> list[dict]:
    """The most frequent kinds of disagreement: 'missed PRO', 'extra EDU', 'age', 'flags'."""
    c = Counter()
    for e in errors:
        for code in e["missing"]:
            c[f"missed {code}"] += 1
        for code in e["forbidden"]:
            c[f"extra {code}"] += 1
        if e["age"][0] != e["age"][1]:
            g, p = e["age"]
            if g == [None, None]:
                c["age given, gold none"] += 1
            elif p == [None, None]:
                c["age missing"] += 1
            else:
                c["age interval differs"] += 1
        if e["flags"][0] != e["flags"][1]:
            c["flags differ"] += 1
    return [{"group": g, "count": n} for g, n in c.most_common(top)]


# --- running the tagger ---------------------------------------------------------------------


def _taxonomy_order() -> list[str]:
    try:
        from kb import taxonomy
    except ImportError:
        return []
    for name in ("dimension_codes", "DIMENSION_CODES", "codes"):
        obj = getattr(taxonomy, name, None)
        try:
            return list(obj() if callable(obj) else obj)
        except TypeError:
            continue
    return []


def run_tagger(items: Sequence[Mapping]) -> list[dict]:
    """Tag the items' texts with the project tagger, one call per language, order kept."""
    from kb.tagging import get_tagger

    tagger = get_tagger()
    out: list[dict | None] = [None] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_lang.setdefault(item.get("lang") or "ru", []).append(i)
    for lang, idx in by_lang.items():
        results = list(tagger.tag_many([items[i]["text"] for i in idx], lang=lang))
        if len(results) != len(idx):
            raise RuntimeError(f"tagger returned {len(results)} results for {len(idx)} texts")
        for i, res in zip(idx, results):
            out[i] = dict(res)
    return out  # type: ignore[return-value]


def evaluate(gold_path: Path | None = None, corpus_dir: Path = paths.DEFAULT_CORPUS) -> dict:
    """Resolve the gold set in the corpus, run the tagger, score; a JSON-ready report."""
    gold_path = Path(gold_path) if gold_path else DEV_GOLD
    gold = load_gold(gold_path)
    resolved, problems = resolve_texts(gold, Path(corpus_dir))
    predictions = run_tagger(resolved) if resolved else []
    report = score(resolved, predictions, code_order=_taxonomy_order())
    report["by_language"] = by_language(resolved, predictions)
    report.update({
        "gold_path": str(gold_path),
        "corpus_dir": str(corpus_dir),
        "n_gold": len(gold),
        "unresolved": problems,
        "age_bands_from": age_band_source(),
    })
    return report


def by_language(items: Sequence[Mapping], predictions: Sequence[Mapping]) -> dict:
    """The headline figures per language (ru, kk, en): the targets differ by language."""
    out = {}
    for lang in sorted({i.get("lang") or "ru" for i in items}):
        idx = [k for k, i in enumerate(items) if (i.get("lang") or "ru") == lang]
        sub = score([items[k] for k in idx], [predictions[k] for k in idx],
                    code_order=_taxonomy_order())
        out[lang] = {"n_items": sub["n_items"], "n_child": sub["n_child"],
                     "micro": sub["micro"], "macro_f1": sub["macro_f1"],
                     "nonchild_wrong_share": sub["nonchild_wrong_share"],
                     "band_jaccard_child": sub["age"]["band_jaccard_child"]}
    return out


# --- report ---------------------------------------------------------------------------------


def _f(x, width=6) -> str:
    return f"{x:>{width}.3f}" if isinstance(x, (int, float)) and x is not None else f"{'n/a':>{width}}"


def format_report(report: Mapping, show_errors: bool = False) -> str:
    lines = [
        f"gold set: {report.get('gold_path', '?')}",
        f"items scored: {report['n_items']} of {report.get('n_gold', report['n_items'])} "
        f"(child {report['n_child']}, non-child {report['n_nonchild']})",
    ]
    unresolved = report.get("unresolved") or []
    if unresolved:
        lines.append(f"NOT SCORED: {len(unresolved)} gold item(s) could not be resolved in the corpus:")
        for p in unresolved:
            lines.append(f"  {p['problem']:<8} {p['key']}  {p['detail']}")
    lines += ["", f"{'dim':<5} {'supp':>5} {'tp':>5} {'fp':>5} {'fn':>5} {'neut':>5} "
              f"{'prec':>6} {'rec':>6} {'f1':>6}"]
    for code, d in report["per_dimension"].items():
        lines.append(f"{code:<5} {d['support']:>5} {d['tp']:>5} {d['fp']:>5} {d['fn']:>5} "
                     f"{d['neutral']:>5} {_f(d['precision'])} {_f(d['recall'])} {_f(d['f1'])}")
    m = report["micro"]
    lines.append(f"{'micro':<5} {'':>5} {m['tp']:>5} {m['fp']:>5} {m['fn']:>5} {'':>5} "
                 f"{_f(m['precision'])} {_f(m['recall'])} {_f(m['f1'])}")
    lines.append(f"{'macro':<5} {'':>5} {'':>5} {'':>5} {'':>5} {'':>5} {'':>6} {'':>6} "
                 f"{_f(report['macro_f1'])}")
    if len(report.get("by_language") or {}) > 1:
        lines += ["", f"{'lang':<5} {'items':>6} {'child':>6} {'prec':>6} {'rec':>6} {'f1':>6} "
                  f"{'macro':>6} {'neg.wr':>6} {'ageJ':>6}"]
        for lang, d in report["by_language"].items():
            lines.append(f"{lang:<5} {d['n_items']:>6} {d['n_child']:>6} {_f(d['micro']['precision'])} "
                         f"{_f(d['micro']['recall'])} {_f(d['micro']['f1'])} {_f(d['macro_f1'])} "
                         f"{_f(d['nonchild_wrong_share'])} {_f(d['band_jaccard_child'])}")
    age = report["age"]
    fl = report["flags"]
    lines += [
        "",
        f"primary dimension agreement        {_f(report['primary_accuracy'])}"
        f"   ({report['primary_total']} items with a gold primary)",
        f"non-child provisions wrongly tagged {_f(report['nonchild_wrong_share'])}"
        f"   ({report['nonchild_wrong']} of {report['n_nonchild']}; any code at all: "
        f"{_f(report['nonchild_any_share']).strip()})",
        f"flags P / R / F1                    {_f(fl['precision'])} {_f(fl['recall'])} {_f(fl['f1'])}",
        f"age-band Jaccard, all items         {_f(age['band_jaccard'])}",
        f"age-band Jaccard, items with an age {_f(age['band_jaccard_child'])}   ({age['n_child_age']} items)",
        f"exact age interval, all items       {_f(age['exact_interval'])}",
        f"exact age interval, with an age     {_f(age['exact_interval_child'])}",
    ]
    if report.get("age_bands_from"):
        lines.append(f"age bands derived by: {report['age_bands_from']}")
    groups = report.get("error_groups") or []
    if groups:
        lines += ["", "largest error groups:"]
        lines += [f"  {g['count']:>4}  {g['group']}" for g in groups]
    if show_errors:
        lines += ["", f"errors ({len(report['errors'])}):"]
        for e in report["errors"]:
            parts = [f"gold {'+'.join(e['required']) or '-'}"
                     + (f" (ok: {'+'.join(e['acceptable'])})" if e["acceptable"] else ""),
                     f"pred {'+'.join(e['predicted']) or '-'}"]
            if e["missing"]:
                parts.append(f"missed {','.join(e['missing'])}")
            if e["forbidden"]:
                parts.append(f"extra {','.join(e['forbidden'])}")
            if e["primary"][0] and e["primary"][0] != e["primary"][1]:
                parts.append(f"primary gold {e['primary'][0]} pred {e['primary'][1] or '-'}")
            if e["age"][0] != e["age"][1]:
                parts.append(f"age gold {e['age'][0]} pred {e['age'][1]}")
            if e["flags"][0] != e["flags"][1]:
                parts.append(f"flags gold {e['flags'][0]} pred {e['flags'][1]}")
            lines.append(f"  {e['key']}: " + "; ".join(parts))
            ev = {k: v for k, v in (e.get("evidence") or {}).items() if k in e["forbidden"]}
            if ev:
                lines.append(f"      evidence for extra codes: {json.dumps(ev, ensure_ascii=False)}")
    return "\n".join(lines)


def write_report_json(report: Mapping, path: Path) -> None:
    """Save a report; the tagger's evidence spans (quotes of corpus text) are left out."""
    slim = dict(report)
    slim["errors"] = [{k: v for k, v in e.items() if k != "evidence"} for e in report["errors"]]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(slim, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _headline(rep: Mapping) -> list[str]:
    rows = []
    langs = rep.get("by_language") or {}
    for lang, d in list(langs.items()) + [("all", {
            "n_items": rep["n_items"], "micro": rep["micro"], "macro_f1": rep["macro_f1"],
            "nonchild_wrong_share": rep["nonchild_wrong_share"],
            "band_jaccard_child": rep["age"]["band_jaccard_child"]})]:
        rows.append((lang, d))
    return rows


# the taggers `kb eval --cv` scores, as its tables name them: the rules; rules + the trained
# model (the `kb tag` contract); the same with the lead-in and heading layer of
# kb.tagging.context, which is what the knowledge base stores
CV_TAGGERS = {"rules": "rules", "rules_model": "rules + model", "kb": "+ lead-in/heading"}


def cv_rows(report: Mapping):
    """(part, tagger, language, items, figures) of a `kb eval --cv` report, per language then
    «all»; figures: precision, recall, micro-F1, macro-F1, non-child tagged, age-band Jaccard
    (items with an age), the columns of its table here and in the codebook."""
    for part in ("open", "blind"):
        for tagger in CV_TAGGERS:
            for lang, d in _headline(report[part][tagger]):
                m = d["micro"]
                yield part, tagger, lang, d["n_items"], (
                    m["precision"], m["recall"], m["f1"], d["macro_f1"],
                    d["nonchild_wrong_share"], d["band_jaccard_child"])


def format_cv_report(report: Mapping, show_errors: bool = False) -> str:
    """`kb eval --cv`: the headline figures of rules alone and rules + trained model, by act on
    the open part and on the blind part; then the open part's full report (rules + model).
    The blind part's errors are never printed: looking at them would unseal it."""
    lines = [f"gold set: {report['gold_path']}",
             f"open part: {report['open']['rules']['n_items']} items of {report['acts']} acts, "
             f"{report['folds']} folds of whole acts (no item is scored by a model that saw its act); "
             f"blind part: {report['blind']['rules']['n_items']} items (kb/data/gold/real/blind.yml)",
             "",
             f"{'part':<6} {'tagger':<17} {'lang':<4} {'items':>6} {'prec':>6} {'rec':>6} "
             f"{'microF1':>7} {'macroF1':>7} {'neg.wr':>6} {'ageJ':>6}"]
    widths = (6, 6, 7, 7, 6, 6)
    for part, tagger, lang, n, figures in cv_rows(report):
        lines.append(f"{part:<6} {CV_TAGGERS[tagger]:<17} {lang:<4} {n:>6} "
                     + " ".join(_f(x, w) for x, w in zip(figures, widths)))
    lines += ["", "open part, rules + model, cross-validated by act:", ""]
    lines.append(format_report({**report["open"]["rules_model"], "gold_path": report["gold_path"]},
                               show_errors=show_errors))
    return "\n".join(lines)
