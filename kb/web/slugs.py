"""Readable provision addresses: slugs, URL paths, and old provision ids.

A provision's slug (`provisions.slug`, from the build) is built from structure numbers with
only `[A-Za-z0-9_-]`: `art27`, `art27-p2`, `art1-sp8-1`, `ch3-par2`, `p9-sp4`, `app1-p3`,
`preamble`; a repeated slug gets `_2`. Its URL path replaces every `-` followed by a letter
with `/`: `art27-p2` → `art27/p2`, `art1-sp8-1` → `art1/sp8-1`; the reverse joins the path's
segments with `-`.

The slug rules and path functions are kb/provision_ids.py's (the build's). A database built
before the slug column existed gets its slugs derived from the provision tree by those same
rules (`derive_slugs`), so that the pages work on either.
"""
from __future__ import annotations

import re

from kb.provision_ids import assign_slugs, path_to_slug, slug_to_path  # noqa: F401

# Old text ids: art27.2, art44.sp10-1, rules.p9.sp4, rules.ch2, order.p1, para17
_OLD_SEGMENT_RE = re.compile(r"^(?:[A-Za-z]+[0-9A-Za-z-]*|[0-9]+(?:-[0-9]+)*)$")


def derive_slugs(rows: list[dict]) -> dict[str, str]:
    """Slugs for one act's provisions (dicts with id, parent_id, kind, number, heading, path),
    in document order, by the build's own rules (kb.provision_ids.assign_slugs)."""
    return assign_slugs([{"id": r["id"], "parent": r["parent_id"], "kind": r["kind"],
                          "number": r["number"], "heading": r.get("heading"),
                          "path": r.get("path")} for r in rows])


def old_id_candidates(act_id: str, rest: str) -> list[str]:
    """New slugs an old text id may have become: `art27.2` → art27-p2, `rules.p9.sp4` → p9-sp4.

    Empty for an Adilet anchor id (`z123`, `z12.3`): those are looked up by anchor instead.
    """
    if re.match(r"^z\d+(\.\d+)?$", rest):
        return []
    segments = rest.split(".")
    appendix = bool(segments) and segments[0] == "rules"  # the rules an order approves
    if segments and segments[0] in ("rules", "order"):
        segments = segments[1:]
    out = []
    for i, seg in enumerate(segments):
        if not seg or not _OLD_SEGMENT_RE.match(seg):
            return []
        out.append(f"p{seg}" if seg[0].isdigit() and i > 0 else seg)
    if not out:
        return []
    slug = "-".join(out)
    candidates = [slug]
    if appendix:
        candidates += [f"app-{slug}", f"app1-{slug}"]
    if slug.startswith("para"):  # an unnumbered paragraph: «a17» in the new scheme
        candidates += ["a" + slug[4:], "par" + slug[4:]]
    return candidates
