"""Tags a provision takes from the words that introduce it: its lead-in or its article's heading.

A list item «1) осуществлять вывоз за пределы Республики Казахстан;» or a part «Размер
пособия составляет …» may name no child, yet it is about children because its lead-in («Лицо,
принявшее ребенка в гостевую семью, не вправе:») or its article's heading («Государственное
пособие на рождение ребенка») does. The gold set's coders read every provision with its
article heading (kb/data/gold/real/README.md); the tagger reads only the text it is given
(the `kb tag` contract, unchanged). The knowledge base adds this second layer:

    a provision whose own text gives no dimension takes the dimensions (and flags) of its
    nearest ancestor inside the article (a part, a point, the article itself) whose own text
    gives some; its age stays its own (TAXONOMY.md: own words decide the age; CONVENTIONS.md
    C2: a subpoint keeps the lead-in's flag, not its age),

stored apart from the tagger's own tags (provision_dimensions.method `inherited@…`,
provisions.tags_from naming the ancestor), so a page says where they come from. Chapters,
sections and an appendix's title are not ancestors for this: too broad to decide a provision.
This module loads no pipeline (the package's __init__ re-exports it).
"""
from __future__ import annotations

import re
from typing import Collection, Mapping, Sequence

INHERITED = "inherited"

# the last structural step of a slug below an article or a point (kb/provision_ids.py)
_LAST_STEP = re.compile(r"-(?:p|sp|a)\d+(?:-\d+)*(?:_\d+)?$")
# a chapter, a section, an appendix's title, a code's part: never a source of inherited tags
# (the points inside an appendix, «app-p4», are ancestors like any point)
_TOO_BROAD = re.compile(r"^(?:(?:sec|ch|app)[\d-]*|genpart|specpart)$")


def parent_slug(slug: str) -> str | None:
    """The slug one structural step up («art137-3-p2-sp1» → «art137-3-p2» → «art137-3»), or
    None at an article, a point of an act without articles, or a heading."""
    m = _LAST_STEP.search(slug)
    if not m or m.start() == 0:
        return None
    parent = slug[:m.start()]
    return None if _TOO_BROAD.match(parent) else parent


def has_dimensions(tags: Mapping | None) -> bool:
    return bool(tags and tags.get("dimensions"))


def inherit(tags: Mapping | None, ancestors: Sequence[tuple[str, Mapping | None]]) -> tuple[dict | None, str | None]:
    """(tags, from) for one provision: its own tags, or — when they give no dimension — a copy
    of them with the dimensions (and, where it has none, the flags) of the nearest ancestor
    that has some; `from` is that ancestor's key, else None. `ancestors` are (key, own tags),
    nearest first. The age stays the provision's own: TAXONOMY.md, «the provision's own words
    decide its age, not its article's heading»."""
    if not has_dimensions(tags):
        for key, anc in ancestors:
            if has_dimensions(anc):
                out = {"flags": [], "age_min_months": None, "age_max_months": None,
                       "age_groups": [], "age_evidence": [], **(tags or {})}
                out["dimensions"] = [dict(d) for d in anc["dimensions"]]
                out["flags"] = list(out["flags"] or anc.get("flags") or [])
                return out, key
    return (dict(tags) if tags is not None else None), None


def inherit_all(slugs: Sequence[str], tags: Sequence[Mapping | None],
                keep: Collection[str] = ()) -> list[tuple[dict | None, str | None]]:
    """`inherit` over one act's provisions, by their slugs and own tags (same order); `keep`:
    slugs that keep their own tags whatever they are (an excluded item). Ancestors are the
    slugs `parent_slug` climbs to; one missing from `slugs` ends the walk."""
    own = dict(zip(slugs, tags))
    out = []
    for slug, tag in zip(slugs, tags):
        chain = []
        parent = None if slug in keep else parent_slug(slug)
        while parent is not None and parent in own:
            chain.append((parent, own[parent]))
            parent = parent_slug(parent)
        out.append(inherit(tag, chain))
    return out
