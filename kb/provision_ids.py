"""Stable provision ids, the same whatever the source of the text.

A provision's id is `{act_id}-{slug}`, and the slug is made from the structure numbers only,
never from a page's `zN` anchor or a file's line position, so article 31 part 1 of the Labour
Code is `K1500000414-art31-p1` whether it came from a saved page, the text file or a live
crawl. Slugs use only `[A-Za-z0-9_-]`: safe in a URL path, with no dot for Datasette to read
as a format, and no character that Datasette's tilde-encoding changes.

    art27             article 27                 art16-1         article 16-1
    art27-p2          its part 2                 art31-p1-sp2    subpart 2 of part 1
    art1-sp8-1        subpart 8-1 directly under article 1
    genpart, specpart the General / Special Part of a code
    sec2, ch3         section 2, chapter 3       ch3-par2        § 2 of chapter 3
    p9, p9-sp4        points of an act without articles (orders, rules)
    app, app1-p3      an appendix (the rules an order approves) and its points
    preamble          the text before the first heading
    art5-a1, ch3-a2   an unnumbered paragraph standing alone under an article or heading
    …_2               the same slug again in one act (a number the act repeats)

The readable URL path of a slug replaces each `-` that is followed by a letter with `/`:
`art1-sp8-1` ↔ `art1/sp8-1`.
"""
from __future__ import annotations

import re

_PATH_SPLIT = re.compile(r"-(?=[A-Za-z])")
SLUG_RE = re.compile(r"^[A-Za-z0-9_-]+$")

# citation-path tokens of headings → level (pages and statutory texts say the level only there)
_LEVEL_TOKENS = [
    (re.compile(r"^(прил|app|қосымша|\d+-қосымша)", re.I), "appendix"),
    (re.compile(r"^(§|\d+(?:-\d+)*-параграф)"), "par"),
    (re.compile(r"^(гл\.|ch\.|\d+(?:-\d+)*-тарау)"), "chapter"),
    (re.compile(r"^(разд\.|s\.|[\dIVXLCІ-]+-бөлім)"), "section"),
    (re.compile(r"^(ОБЩАЯ|ОСОБЕННАЯ|ЖАЛПЫ|ЕРЕКШЕ|GENERAL|SPECIAL)", re.I), "codepart"),
]


def _level(prov: dict) -> str:
    if prov.get("level"):
        return prov["level"]
    kind = prov["kind"]
    if kind in ("section", "chapter"):
        token = (prov.get("path") or "").split(" ")[-1] if kind == "chapter" and \
            (prov.get("path") or "").startswith(("разд.", "прил.")) else (prov.get("path") or "")
        for rx, level in _LEVEL_TOKENS:
            if rx.match(token.strip()):
                return level
        heading = (prov.get("heading") or "").strip()
        if kind == "section" and not prov.get("number") and re.match(
                r"^(ОБЩАЯ|ОСОБЕННАЯ|ЖАЛПЫ|ЕРЕКШЕ)", heading, re.I):
            return "codepart"
        return kind
    return kind


def _number(value) -> str:
    """«16-1» → 16-1, «3)» → 3, «I» → I; anything else outside [A-Za-z0-9-] is dropped."""
    return re.sub(r"[^A-Za-z0-9-]+", "", str(value or "").replace("І", "I")).strip("-")


def assign_slugs(provisions: list[dict]) -> dict[str, str]:
    """{provision id in the parsed document: slug}, for one act's provisions in document order.

    Each provision is a dict with id, kind, number, parent (the parent's id) and, where the
    source knows it, level (codepart, section, chapter, par, appendix) and path.
    """
    by_id = {p["id"]: p for p in provisions}
    slugs: dict[str, str] = {}
    used: set[str] = set()
    paragraphs_seen: dict[str | None, int] = {}
    for prov in provisions:
        kind, level = prov["kind"], _level(prov)
        number = _number(prov.get("number"))
        parent = by_id.get(prov.get("parent"))
        if level == "codepart":
            own = "genpart" if re.match(r"^(ОБЩАЯ|ЖАЛПЫ|GENERAL)",
                                        prov.get("heading") or prov.get("path") or "", re.I) \
                else "specpart"
        elif level == "appendix":
            own = f"app{number}"
        elif level == "par":
            own = f"par{number}"
        elif kind == "paragraph" and not number:
            key = prov.get("parent")
            paragraphs_seen[key] = paragraphs_seen.get(key, 0) + 1
            own = "preamble" if parent is None and paragraphs_seen[key] == 1 else \
                f"a{paragraphs_seen[key]}"
        else:
            own = {"section": "sec", "chapter": "ch", "article": "art", "part": "p",
                   "subpart": "sp", "paragraph": "a"}[level if level in (
                       "section", "chapter") else kind] + number
        # What a slug is prefixed with: points cite through their article or point (never
        # through chapters); a § through its chapter; a paragraph through whatever holds it.
        base_parent = parent
        if kind in ("part", "subpart") or (kind == "paragraph" and level != "par"):
            while base_parent is not None and base_parent["kind"] in ("section", "chapter") \
                    and _level(base_parent) != "appendix" and kind != "paragraph":
                base_parent = by_id.get(base_parent.get("parent"))
        elif level == "par":
            while base_parent is not None and _level(base_parent) not in ("chapter", "appendix"):
                base_parent = by_id.get(base_parent.get("parent"))
        elif kind in ("section", "chapter", "article"):
            # headings and articles are numbered through the whole act; inside an appendix
            # they are the appendix's own
            while base_parent is not None and _level(base_parent) != "appendix":
                base_parent = by_id.get(base_parent.get("parent"))
        slug = f"{slugs[base_parent['id']]}-{own}" if base_parent is not None and \
            base_parent["id"] in slugs and own != "preamble" else own
        unique, k = slug, 2
        while unique in used:
            unique, k = f"{slug}_{k}", k + 1
        used.add(unique)
        slugs[prov["id"]] = unique
    return slugs


def slug_to_path(slug: str) -> str:
    """`art1-sp8-1` → `art1/sp8-1` (the readable URL path under /acts/{act_id}/)."""
    return _PATH_SPLIT.sub("/", slug)


def path_to_slug(path: str) -> str | None:
    """`art1/sp8-1` → `art1-sp8-1`; None when the path cannot be a slug."""
    parts = [p for p in path.strip("/").split("/") if p]
    slug = "-".join(parts)
    return slug if parts and SLUG_RE.match(slug) else None


def provision_id(act_id: str, slug: str) -> str:
    return f"{act_id}-{slug}"
