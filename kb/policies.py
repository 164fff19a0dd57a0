"""The catalogue of child policy measures, read from the provision tree and text.

``extract_measures(provisions, rules=None)`` takes the provisions of the acts in force (dicts
with id, act_id, slug, kind, number, heading, text, parent_id, position, excluded, url,
text_sha256) and returns one dict per measure (the columns of ``policy_measures``). Two readers,
both driven by ``kb/data/policy_measures.yml``:

* **size articles**: an article headed «Размер(ы) X» holds the amounts of benefit X, one row per
  amount line («на первого ребенка – 5,76 месячного расчетного показателя»); the article
  «Право на X» (same paragraph, else the same words) says who is eligible; the name is the
  paragraph's heading when it names X. A measure whose words do not concern children keeps only
  its child tiers (the disability benefit: «детям с инвалидностью до семи лет»).
* **text rules**: a provision whose text (and enclosing article heading) matches a rule is a
  measure of the rule's name and kind (leaves, free education and medical care, housing).

Every row keeps the text it was read from: ``amount_text`` is a substring of the text of
``provision_id``, ``age_text`` of ``age_provision_id``, ``eligibility`` of
``eligibility_provision_id`` (tests/test_policies.py checks each row against the database).

``mrp_values()`` reads ``kb/data/mrp.yml`` (the monthly calculation index by year, each with its
source); ``amount_tenge`` = ``amount_mrp`` × the MRP of the year.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from kb import paths

POLICIES_VERSION = "1"
RULES_PATH = paths.DATA_DIR / "policy_measures.yml"
MRP_PATH = paths.DATA_DIR / "mrp.yml"

COLUMNS = ("id", "name", "tier", "kind", "eligible", "age_min_months", "age_max_months",
           "age_text", "amount_text", "amount_value", "amount_unit", "amount_mrp", "frequency",
           "act_id", "provision_id", "article_id", "eligibility_provision_id", "age_provision_id",
           "rule", "source_url", "text_sha256")


def _fold(s: str) -> str:
    return s.replace("ё", "е").replace("Ё", "Е")


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def load_rules(path: Path | None = None) -> dict:
    return _load(str(path or RULES_PATH))


def mrp_values(path: Path | None = None) -> dict[int, dict]:
    """{year: {"tenge": int, "source": str, "confirmed": bool}} from kb/data/mrp.yml."""
    data = _load(str(path or MRP_PATH))
    return {int(y): v for y, v in data["values"].items()}


def _number(s: str) -> float:
    return float(s.replace(",", "."))


def _stems(s: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[а-яa-z]+", _fold(s).lower()) if len(w) >= 4}


def _similar(a: str, b: str) -> float:
    sa, sb = _stems(a), _stems(b)
    return len(sa & sb) / max(1, len(sa | sb))


class _Ages:
    def __init__(self, rules: dict):
        words = sorted(rules["ages"], key=len, reverse=True)
        self.months = {_fold(k).lower(): v for k, v in rules["ages"].items()}
        alt = "|".join(re.escape(w) for w in words)
        self.patterns = [(re.compile(p["pattern"].replace("{age_words}", alt), re.I), p["bound"])
                         for p in rules["age_patterns"]]

    def _m(self, w: str | None) -> int | None:
        if not w:
            return None
        w = w.lower()
        return self.months.get(w, self.months.get(w + " лет"))

    def find(self, text: str):
        """(age_text, min months, max months) of the first age phrase, else None."""
        best = None
        for rx, bound in self.patterns:
            for m in rx.finditer(_fold(text)):
                lo = self._m(m.groupdict().get("lo"))
                hi = self._m(m.groupdict().get("hi"))
                if bound == "range" and (lo is None or hi is None):
                    continue
                if bound in ("range", "below"):
                    res = (lo, hi - 1)
                elif bound == "inclusive":
                    res = (None, hi)
                else:
                    res = (lo, None)
                if lo is None and hi is None:
                    continue
                cand = (m.start(), text[m.start():m.end()], res)
                if best is None or cand[0] < best[0]:
                    best = cand
                break
        if best is None:
            return None
        return best[1], best[2][0], best[2][1]


def _sentence(text: str, pattern: str, limit: int = 400) -> str | None:
    """The sentence (or list line) of ``text`` where ``pattern`` matches, as in the text."""
    m = re.search(pattern, _fold(text), re.I)
    if not m:
        return None
    start = max(text.rfind(". ", 0, m.start()) + 2 if text.rfind(". ", 0, m.start()) >= 0 else 0,
                text.rfind("\n", 0, m.start()) + 1)
    end_candidates = [i for i in (text.find(". ", m.end()), text.find("\n", m.end())) if i >= 0]
    end = min(end_candidates) + 1 if end_candidates else len(text)
    s = text[start:end].strip()
    if len(s) > limit:
        cut = s.rfind(" ", 0, limit)
        s = s[:cut if cut > 0 else limit]
    return s


class _Tree:
    def __init__(self, provisions):
        self.rows = sorted(provisions, key=lambda r: (r["act_id"], r["position"]))
        self.by_id = {r["id"]: r for r in self.rows}
        self.children: dict[str, list[dict]] = {}
        for r in self.rows:
            if r.get("parent_id"):
                self.children.setdefault(r["parent_id"], []).append(r)

    def descendants(self, pid: str):
        for c in self.children.get(pid, []):
            yield c
            yield from self.descendants(c["id"])

    def article_of(self, row: dict) -> dict | None:
        while row is not None and row["kind"] != "article":
            row = self.by_id.get(row.get("parent_id"))
        return row


def _row(rule: str, name: str, kind: str, prov: dict, **kw) -> dict:
    out = {c: None for c in COLUMNS}
    out.update(name=name, kind=kind, rule=rule, act_id=prov["act_id"], provision_id=prov["id"],
               source_url=prov["url"], text_sha256=prov.get("text_sha256"))
    out.update(kw)
    return out


def _frequency(text: str, rules: dict) -> str | None:
    for code, f in rules["frequencies"].items():
        if f.get("pattern") and re.search(f["pattern"], _fold(text), re.I):
            return code
    return None


def _defined_term(tree: _Tree, act_id: str, names: list[str]) -> dict:
    """The provision that defines a short name «(далее – пособие на рождение)», by word stems."""
    for r in tree.rows:
        if r["act_id"] != act_id or not r.get("text") or "далее" not in r["text"]:
            continue
        for m in re.finditer(r"\(далее\s*[–-]\s*([^)]+)\)", _fold(r["text"])):
            if any(n and _similar(m.group(1), n) >= 0.99 for n in names):
                return r
    return {}


def _size_measures(tree: _Tree, rules: dict, ages: _Ages) -> list[dict]:
    conf = rules["size_articles"]
    units = {code: u["pattern"] for code, u in rules["units"].items() if u.get("pattern")}
    unit_alt = "|".join(f"(?:{p})" for p in units.values())
    tier_rx = re.compile(conf["tier"].replace("{units}", unit_alt), re.I | re.M)
    single_rx = re.compile(conf["single"].replace("{units}", unit_alt), re.I)
    child_rx = re.compile(rules["child_cue"], re.I)
    head_rx, right_rx = re.compile(conf["heading"], re.I), re.compile(conf["right_heading"], re.I)
    articles = [r for r in tree.rows if r["kind"] == "article" and r.get("heading") and not r["excluded"]]
    rights = [(r, right_rx.match(_fold(r["heading"]))) for r in articles]
    rights = [(r, m.group("subject")) for r, m in rights if m]
    out = []
    for art in articles:
        m = head_rx.match(_fold(art["heading"]))
        if not m:
            continue
        subject = m.group("subject")
        same_act = [(r, s) for r, s in rights if r["act_id"] == art["act_id"]]
        scored = sorted(((_similar(subject, s) + (0.5 if art.get("parent_id") and r.get("parent_id") == art.get("parent_id") else 0), r)
                         for r, s in same_act), key=lambda x: -x[0])
        right = scored[0][1] if scored and scored[0][0] >= 0.5 else None
        parent = tree.by_id.get(art.get("parent_id"))
        rsubject = right_rx.match(_fold(right["heading"])).group("subject") if right else None
        name = (rsubject or subject)[0].upper() + (rsubject or subject)[1:]
        defined = _defined_term(tree, art["act_id"], [subject, rsubject or ""])
        if parent is not None and parent.get("heading") and _similar(parent["heading"], subject) >= 0.5:
            name = parent["heading"]
        right_texts = [p for p in tree.descendants(right["id"])] if right else []
        right_all = " ".join(p.get("text") or "" for p in right_texts)
        measure_is_child = bool(child_rx.search(_fold(subject + " " + (right["heading"] if right else ""))))
        parts = [p for p in tree.descendants(art["id"]) if p.get("text") and not p["excluded"]]
        found = []
        for p in parts:
            for tm in tier_rx.finditer(p["text"]):
                label = tm.group("label").strip().rstrip(":")
                lead = p["text"].split("\n", 1)[0]
                if p["kind"] == "subpart" and tm.start() > len(lead) and lead.endswith(":"):
                    label = lead.rstrip(":").strip() + ": " + label   # «детям …:\nпервой группы – …»
                found.append((p, tm, label))
            if not any(f[0] is p for f in found):
                for sm in single_rx.finditer(p["text"]):
                    found.append((p, sm, None))
        if not found:
            for p in parts:
                cm = re.search(conf["coefficient"], _fold(p["text"]), re.I)
                if cm:
                    found.append((p, cm, None))
                    break
        if not found:
            for p in parts:
                if re.search(conf["formula"], _fold(p["text"]), re.I):
                    found.append((p, None, None))
                    break
        if not found:
            continue
        any_child_tier = any(lbl and child_rx.search(_fold(lbl)) for _, _, lbl in found)
        if not measure_is_child and not any_child_tier and not child_rx.search(_fold(right_all)):
            continue
        # eligibility: the first sentence of «Право на X» that says who gets it and names children
        elig, elig_id = None, None
        for p in right_texts:
            if p.get("text") and not p["excluded"]:
                s = _sentence(p["text"], conf["eligibility"])
                if s:
                    elig, elig_id = s, p["id"]
                    break
        art_text = " ".join(p["text"] for p in parts)
        for p, tm, label in found:
            if not measure_is_child and any_child_tier and not (label and child_rx.search(_fold(label))):
                continue   # an adult tier of a benefit that is not a child benefit as a whole
            if tm is None:              # a formula: no number
                unit, value, amount_text = None, None, _sentence(p["text"], conf["formula"])
            elif "unit" not in tm.groupdict():
                unit, value, amount_text = "income_share", _number(tm.group("value")), p["text"][tm.start():tm.end()]
            else:
                unit = next(code for code, pat in units.items() if re.fullmatch(pat, _fold(tm.group("unit")), re.I))
                value = _number(tm.group("value"))
                amount_text = p["text"][tm.start():tm.end()].strip()
            if label:
                amount_text = amount_text[len(tm.group("label")) - len(tm.group("label").lstrip()):].strip()
            age = None
            for where in ([(p["id"], label)] if label else []) + [(p["id"], p["text"])] + \
                    [(r["id"], r["text"]) for r in right_texts if r.get("text")]:
                age = ages.find(where[1] or "")
                if age:
                    age_id = where[0]
                    break
            kw = dict(tier=label, amount_text=amount_text, amount_value=value, amount_unit=unit,
                      amount_mrp=value if unit == "mrp" else None,
                      frequency=(_frequency(p["text"], rules) or _frequency(name + " " + art["heading"], rules)
                                 or _frequency(art_text, rules) or _frequency(defined.get("text") or "", rules)
                                 or _frequency(right_all, rules)),
                      article_id=art["id"], eligible=elig, eligibility_provision_id=elig_id)
            if age:
                kw.update(age_text=age[0], age_min_months=age[1], age_max_months=age[2], age_provision_id=age_id)
            out.append(_row("size_article", name, conf["kind"], p, **kw))
    return out


def _text_measures(tree: _Tree, rules: dict, ages: _Ages) -> list[dict]:
    out = []
    for i, rule in enumerate(rules.get("text_rules") or []):
        text_rx = re.compile(rule["text"], re.I)
        head_rx = re.compile(rule["heading"], re.I) if rule.get("heading") else None
        for p in tree.rows:
            if p["kind"] not in ("part", "subpart", "paragraph", "article") or not p.get("text") or p["excluded"]:
                continue
            m = text_rx.search(_fold(p["text"]))
            if not m:
                continue
            art = tree.article_of(p)
            if head_rx and not (art and art.get("heading") and head_rx.search(_fold(art["heading"]))):
                continue
            amount_text = _sentence(p["text"], rule["text"])
            elig = None
            if rule.get("eligible"):
                em = re.search(rule["eligible"], _fold(p["text"]), re.I)
                elig = p["text"][em.start():em.end()] if em else None
            kw = dict(amount_text=amount_text, frequency=rule.get("frequency"),
                      article_id=art["id"] if art else None, eligible=elig,
                      eligibility_provision_id=p["id"] if elig else None)
            age = ages.find(p["text"])
            if age:
                kw.update(age_text=age[0], age_min_months=age[1], age_max_months=age[2], age_provision_id=p["id"])
            out.append(_row(f"text_rules[{i}]", rule["name"], rule["kind"], p, **kw))
    return out


def extract_measures(provisions, rules: dict | None = None) -> list[dict]:
    """The measures of the given provisions (see the module docstring), with stable ids."""
    rules = rules or load_rules()
    tree = _Tree([p for p in provisions])
    ages = _Ages(rules)
    rows = _size_measures(tree, rules, ages) + _text_measures(tree, rules, ages)
    seen: dict[str, int] = {}
    for r in rows:
        base = r["provision_id"]
        seen[base] = seen.get(base, 0) + 1
        r["id"] = base if seen[base] == 1 else f"{base}#{seen[base]}"
    return rows
