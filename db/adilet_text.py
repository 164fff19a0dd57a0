"""The saved text of Adilet act pages (corpus_dir/adilet-text) as build inputs.

Each `adilet-text/{rus,kaz}/{ID}.txt` becomes a SourcePage of kind `adilet_text` whose
`parse()` reads it with `scrapers.adilet.textfile` and fills the act's requisites from
kb/data/acts.yml (the files carry no title, badge or requisites line). Provenance comes from
adilet-text/MANIFEST.tsv: the origin repository, path and commit, and the date since which the
content is known (`content_since`), which is the best retrieval date the corpus states.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import yaml

from kb import paths

ACTS_YML = paths.DATA_DIR / "acts.yml"


def load_act_metadata(path: Path | None = None) -> dict[str, dict]:
    path = Path(path or ACTS_YML)
    stat = path.stat()
    return _act_metadata(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _act_metadata(path: str, mtime_ns: int, size: int) -> dict[str, dict]:
    # read once per content (mtime and size in the key): the loader asks for every act
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {str(k): v for k, v in (data.get("acts") or {}).items()}


def read_manifest(folder: Path) -> dict[tuple[str, str], dict]:
    """(act id, lang) → the MANIFEST.tsv row (sha256, source_repo, source_commit, …)."""
    manifest = folder / "MANIFEST.tsv"
    if not manifest.exists():
        return {}
    with open(manifest, encoding="utf-8", newline="") as fh:
        return {(row["id"], row["lang"]): row for row in csv.DictReader(fh, delimiter="\t")}


def apply_metadata(doc: dict, meta: dict | None) -> dict:
    """Fill the act's requisites from acts.yml; the page (when it has them) keeps its own."""
    act = doc["act"]
    if not meta:
        return doc
    lang = act.get("lang")
    for field in ("title", "form", "number", "date_adopted", "issuing_body"):
        if meta.get(field) is not None and not act.get(field):
            act[field] = str(meta[field])
    if lang == "kaz" and meta.get("title_kk"):
        act["title"] = meta["title_kk"]
    act["title_kk"] = meta.get("title_kk")
    act["metadata_sources"] = {k: f"kb/data/acts.yml ({v})"
                               for k, v in (meta.get("sources") or {}).items()}
    return doc


def adilet_text_sources(corpus_dir: Path, report) -> list:
    """SourcePages for every act text under corpus_dir/adilet-text/{rus,kaz}."""
    from db.build import SourcePage, _sha256_file
    from scrapers.adilet.ids import is_act_id
    from scrapers.adilet.textfile import read_adilet_text

    folder = Path(corpus_dir) / "adilet-text"
    if not folder.is_dir():
        return []
    manifest = read_manifest(folder)
    metadata = load_act_metadata()
    from db.verify import pdf_files
    from scrapers.adilet.pdf import parse_pdf_name

    pdfs = {}
    for pdf in pdf_files(corpus_dir):
        named = parse_pdf_name(pdf.name)
        if named:
            pdfs[(named[0], named[2])] = pdf
    pages = []
    for lang in ("rus", "kaz"):
        sub = folder / lang
        if not sub.is_dir():
            continue
        for path in sorted(sub.glob("*.txt")):
            act_id = path.stem
            label = f"adilet-text/{lang}/{path.name}"
            if not is_act_id(act_id):
                report.fail("parse", label, "file name is not an Adilet document ID")
                continue
            if not path.is_file():
                report.fail("parse", label, "not a regular file")
                continue
            row = manifest.get((act_id, lang), {})
            since = row.get("content_since")
            retrieved = f"{since}T00:00:00+00:00" if since else None
            origin = (f"https://github.com/{row['source_repo']}/blob/{row['source_commit']}/"
                      f"{row['source_path']}" if row.get("source_repo") else label)
            note = (f"text of the Adilet page https://adilet.zan.kz/{lang}/docs/{act_id} "
                    f"(article element, saved as text), file {label}"
                    + (f", copied from github.com/{row['source_repo']} {row['source_path']} "
                       f"@ {row['source_commit'][:12]}; content since {since}" if row else ""))

            def parse(p=path, a=act_id, lg=lang):
                try:
                    text = p.read_text(encoding="utf-8")
                except UnicodeDecodeError as exc:
                    raise ValueError(f"{label}: not UTF-8 text ({exc})") from exc
                return apply_metadata(read_adilet_text(text, act_id=a, lang=lg), metadata.get(a))

            sha = _sha256_file(path)
            if row.get("sha256") and row["sha256"] != sha:
                report.fail("parse", label, f"sha256 {sha[:12]} differs from MANIFEST.tsv "
                            f"({row['sha256'][:12]}): loaded, but the copy is not the one listed")
            page = SourcePage(path=path, sha256=sha, url=origin,
                              retrieved_at=retrieved or _mtime(path), source="corpus",
                              act_id=act_id, lang=lang, kind="adilet_text", note=note,
                              label=label, parser=parse)
            pdf = pdfs.get((act_id, lang))
            if pdf is not None:
                # the official PDF this text is checked against: a new PDF re-checks the act
                page.extras["pdf"] = SourcePage(path=pdf, sha256=_sha256_file(pdf),
                                                url=f"adilet-pdf/{pdf.name}",
                                                retrieved_at=_mtime(pdf), source="corpus")
            pages.append(page)
    return pages


def _mtime(path: Path) -> str:
    from datetime import datetime, timezone

    mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(microsecond=0)
    return mtime.isoformat()


def _substance(doc: dict) -> tuple[int, int]:
    """How much of an act a parsed copy holds: (articles, provisions with text)."""
    provs = doc.get("provisions", [])
    return (sum(1 for p in provs if p["kind"] == "article"),
            sum(1 for p in provs if p.get("text")))


def merge_inputs(pages: list, statutory: list, texts: list, report) -> tuple[list, list[str]]:
    """The inputs to load, one per act and language, and what was left out and why.

    An old-host Adilet page wins over the saved text of the same page (it has `zN` anchors,
    /info and /history). The new site's JavaScript shell holds no text: where the act's text is
    saved it is left out, and said so. Where a statutory text (corpus/texts) and the saved page
    text are two copies of one act, the fuller copy wins (more articles, then more provisions
    with text), and the reason is recorded.
    """
    superseded: list[str] = []
    have_page = {(p.act_id, p.lang) for p in pages if "old.adilet" in (p.url or "")
                 or p.source == "live"}
    have_text = {(t.act_id, t.lang) for t in texts}
    kept = []
    for p in pages:
        if (p.act_id, p.lang) in have_text and (p.act_id, p.lang) not in have_page:
            reason = (f"{p.label or p.url}: the new Adilet site's page of {p.act_id} is a "
                      f"JavaScript shell with no text; the act is loaded from "
                      f"adilet-text/{p.lang}/{p.act_id}.txt instead")
            report.fail("inputs", p.label or p.url, reason.split(": ", 1)[1])
            superseded.append(reason)
            continue
        kept.append(p)
    for t in texts:
        if (t.act_id, t.lang) in have_page:
            superseded.append(f"{t.label}: an Adilet page of the act is among the inputs")
        else:
            kept.append(t)
    text_acts = {(t.act_id, t.lang): t for t in texts if (t.act_id, t.lang) not in have_page}
    for s in statutory:
        twin = text_acts.get((s.act_id, s.lang))
        if twin is None:
            if (s.act_id, s.lang) in have_page:
                superseded.append(f"{s.label}: an Adilet page of the act is among the inputs")
            else:
                kept.append(s)
            continue
        try:
            mine_doc, their_doc = s.parse(), twin.parse()
            mine, theirs = _substance(mine_doc), _substance(their_doc)
            # the loader takes the winner's parse from here instead of reading it again
            s.parser, twin.parser = (lambda d=mine_doc: d), (lambda d=their_doc: d)
        except (ValueError, OSError):
            mine, theirs = (-1, -1), (0, 0)     # an unreadable copy loses; its error shows on load
        if mine > theirs:
            kept.remove(twin)
            kept.append(s)
            superseded.append(f"{twin.label}: {s.label} is fuller ({mine[0]} articles, {mine[1]} "
                              f"provisions with text against {theirs[0]}, {theirs[1]})")
        else:
            superseded.append(f"{s.label}: {twin.label} is fuller ({theirs[0]} articles, "
                              f"{theirs[1]} provisions with text against {mine[0]}, {mine[1]})")
            twin.note = (twin.note or "") + (f"; chosen over {s.label} (fuller: {theirs[0]} "
                                             f"articles against {mine[0]})")
    return kept, superseded
