"""Build the knowledge base database.

Stages, each a plain step over items: gather inputs (saved corpus pages, the raw store, a live
crawl) → parse → align languages → tag → store. The database is written to a temporary file
beside the target and renamed over it at the end (`os.replace` is atomic on one filesystem),
so a killed build leaves the previous database untouched.

Nothing is redone that need not be: when every input's sha256 and every pipeline version
match the previous build, the build stops before opening any page; when only some inputs
changed, the rows of unchanged documents are copied from the previous database instead of
being parsed and tagged again.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from db import schema
from scrapers.adilet.errors import NotALawPage, ParseError

@dataclass
class BuildOptions:
    db_path: Path
    corpus_dir: Path | None = None
    live: bool = False
    raw_dir: Path | None = None
    delay: float = 1.0
    discover: bool = True
    force: bool = False
    progress: bool = False
    transport: object = None          # httpx transport for offline tests of --live
    sleep: object = None              # the crawler's sleep function (tests skip real waiting)
    texts_config: Path | None = None  # which corpus texts to load (default kb/data/corpus_texts.yml)
    seed_path: Path | None = None
    act_ids: tuple[str, ...] | None = None   # limit a live build to these acts
    allow_shrink: bool = False        # publish even when the shrink guard objects (_shrink_check)


@dataclass
class BuildReport:
    db_path: Path
    unchanged: bool = False
    acts: int = 0
    provisions: int = 0
    provision_texts: int = 0
    amendments: int = 0
    tagged: int = 0
    parsed_documents: int = 0
    reused_documents: int = 0
    observations: int = 0
    indicators: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (stage, item, reason)
    seconds: float = 0.0
    fatal: str | None = None

    def fail(self, stage: str, item: str, reason: str) -> None:
        self.failures.append((stage, item, reason))

    def summary(self) -> str:
        if self.fatal:
            lines = [f"build FAILED: {self.fatal}",
                     f"the previous database (if any) is untouched: {self.db_path}"]
            lines += [f"    [{stage}] {item}: {reason}" for stage, item, reason in self.failures]
            return "\n".join(lines)
        if self.unchanged:
            return (f"nothing changed since the last build ({self.seconds:.2f}s): {self.db_path} "
                    "left as it was (use --force to rebuild)")
        lines = [
            f"built {self.db_path} in {self.seconds:.1f}s",
            f"  acts {self.acts}, provisions {self.provisions} ({self.tagged} tagged), "
            f"kaz/eng texts {self.provision_texts}, amendment records {self.amendments}",
            f"  documents parsed {self.parsed_documents}, reused from the previous build "
            f"{self.reused_documents}",
            f"  indicators {self.indicators}, observations {self.observations}",
        ]
        if self.failures:
            lines.append(f"  {len(self.failures)} item(s) failed (see the build_failures table):")
            for stage, item, reason in self.failures:
                lines.append(f"    [{stage}] {item}: {reason}")
        else:
            lines.append("  no failures")
        return "\n".join(lines)


class UnusablePage(ValueError):
    """A page that parsed but cannot stand for its act (wrong act, no provisions)."""


# What makes a raw store copy unusable; OSError: its object lost or damaged on disk.
_UNUSABLE = (NotALawPage, ParseError, UnusablePage, OSError)


@dataclass
class SourcePage:
    """One saved document page: where it came from and its bytes' hash."""

    path: Path | None
    sha256: str
    url: str
    retrieved_at: str
    source: str                      # corpus | live
    act_id: str | None = None
    lang: str | None = None
    loader: object = None            # callable returning the bytes
    extras: dict = field(default_factory=dict)   # kind (info, history) → SourcePage
    kind: str = "adilet_page"        # adilet_page | statutory_text (db/texts.py)
    note: str | None = None          # provenance of a statutory text (acts.source_note)
    label: str | None = None         # how failures name it (default: url)
    parser: object = None            # statutory text: callable returning the parsed dict
    # Older good copies of this page (raw store, newest first): tried when this one does not
    # parse, so one bad re-fetch never drops an act whose good bytes we still hold.
    fallbacks: list = field(default_factory=list)
    report: object = None            # where a fallback is reported (BuildReport)

    def digest(self) -> str:
        """Identifies the content this page contributes, with its /info and /history pages."""
        return "+".join([self.sha256] + [f"{k}:{p.sha256}" for k, p in sorted(self.extras.items())])

    def parse(self) -> dict:
        """The ParsedDocument.to_dict()-shaped dict of this input.

        When the page does not parse (or yields no provisions) and older good copies exist,
        the newest of them that parses is used instead: this page then takes that copy's
        hash, URL and retrieval time (the act's provenance names the bytes really used) and
        the fallback is reported. Without a usable copy the first error is raised.
        """
        if self.parser is not None:
            return self.parser()
        if not self.fallbacks:
            return self._parse_own(strict=False)
        try:
            return self._parse_own()
        except _UNUSABLE as exc:
            first = exc
        for older in self.fallbacks:
            try:
                doc = older._parse_own()
            except _UNUSABLE:
                continue
            if self.report is not None:
                self.report.fail("parse", self.label or self.url,
                                 f"newest copy (sha256 {self.sha256[:12]}, retrieved "
                                 f"{self.retrieved_at}) unusable: {type(first).__name__}: {first}; "
                                 f"fell back to the copy retrieved {older.retrieved_at} "
                                 f"(sha256 {older.sha256[:12]})")
            self.sha256, self.url, self.retrieved_at = older.sha256, older.url, older.retrieved_at
            self.loader, self.path = older.loader, older.path
            self.fallbacks = []
            return doc
        raise first

    def _parse_own(self, strict: bool = True) -> dict:
        from scrapers.adilet.parse import parse_document

        doc = parse_document(self.read(), url=self.url).to_dict()
        if not strict:
            return doc
        if self.act_id and doc["act"].get("id") and doc["act"]["id"] != self.act_id:
            raise UnusablePage(f"page is act {doc['act']['id']}, expected {self.act_id}")
        if not doc["provisions"]:
            raise UnusablePage("no provisions on the page")
        return doc

    def read(self) -> bytes:
        return self.loader() if self.loader else self.path.read_bytes()


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- gathering inputs -----------------------------------------------------------------------


def corpus_pages(corpus_dir: Path, report: BuildReport | None = None) -> list[SourcePage]:
    """Saved Adilet document pages in a corpus folder: adilet/{rus,kaz,eng}/*.html, new-site/.

    A name that is not a regular file of sane size (a dangling link, a FIFO, a device, a file
    over the fetcher's body limit) is skipped and reported as a failed input: never opened, so
    it can neither hang the build nor fail it.
    """
    from scrapers.adilet.ids import OLD_HOST, is_act_id
    from scrapers.http import MAX_BODY_BYTES
    from scrapers.limits import NotARegularFile, check_regular_file

    def usable(path: Path) -> bool:
        try:
            check_regular_file(path, MAX_BODY_BYTES)
        except NotARegularFile as exc:
            if report is not None:
                report.fail("inputs", str(path), "skipped: " + str(exc).removeprefix(f"{path}: "))
            return False
        return True

    pages = []
    adilet = corpus_dir / "adilet"
    for lang in ("rus", "kaz", "eng"):
        for path in sorted((adilet / lang).glob("*.html")):
            if not usable(path):
                continue
            act_id = path.name.split(".")[0]
            url = f"{OLD_HOST}/{lang}/docs/{act_id}" if is_act_id(act_id) else path.as_uri()
            pages.append(_corpus_page(path, url, act_id, lang))
    old_host = {p.act_id for p in pages if p.lang == "rus"}
    for path in sorted((adilet / "new-site").glob("*.html")):
        act_id = path.name.split(".")[0]
        if act_id in old_host or not usable(path):
            continue        # the old host's page has the text; the new site's shell has none
        pages.append(_corpus_page(path, f"https://adilet.zan.kz/rus/docs/{act_id}", act_id, "rus"))
    return pages


def _corpus_page(path: Path, url: str, act_id: str, lang: str) -> SourcePage:
    # Until the page is parsed, the best retrieval time known is the file's; the act loader
    # replaces it with the page's own «Дата обновления» (the day Adilet served it, as the
    # corpus PROVENANCE notes confirm), which survives copying the corpus around.
    mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(microsecond=0)
    return SourcePage(path=path, sha256=_sha256_file(path), url=url, retrieved_at=mtime.isoformat(),
                      source="corpus", act_id=act_id, lang=lang)


def raw_store_pages(raw_dir: Path) -> list[SourcePage]:
    """The newest good document page per (act, language) in the raw store.

    Older good copies with other bytes ride along as `fallbacks` (newest first), for when the
    newest one does not parse (SourcePage.parse).
    """
    from scrapers.rawstore import RawStore

    if not raw_dir or not (raw_dir / "responses.jsonl").exists():
        return []
    store = RawStore(raw_dir)
    newest: dict[tuple[str, str, str], dict] = {}
    older: dict[tuple[str, str, str], list[dict]] = {}
    for rec in store.records():
        if rec.get("kind") not in ("document", "info", "history") or not rec.get("ok") \
                or not rec.get("act_id"):
            continue
        key = (rec["kind"], rec["act_id"], rec.get("lang") or "rus")
        if key not in newest or rec["retrieved_at"] >= newest[key]["retrieved_at"]:
            if key in newest:
                older.setdefault(key, []).append(newest[key])
            newest[key] = rec
        else:
            older.setdefault(key, []).append(rec)

    def page(rec):
        sha = rec["sha256"]
        return SourcePage(path=None, sha256=sha, url=rec.get("final_url") or rec["url"],
                          retrieved_at=rec["retrieved_at"], source="live", act_id=rec["act_id"],
                          lang=rec.get("lang") or "rus", loader=lambda: store.get(sha))

    pages = []
    for (kind, act_id, lang), rec in sorted(newest.items()):
        if kind != "document":
            continue
        doc = page(rec)
        seen = {rec["sha256"]}
        for old in sorted(older.get((kind, act_id, lang), []), key=lambda r: r["retrieved_at"],
                          reverse=True):
            if old["sha256"] not in seen:
                seen.add(old["sha256"])
                doc.fallbacks.append(page(old))
        # /info and /history describe the act whatever their language: attach the newest.
        for extra in ("info", "history"):
            recs = [r for (k, a, _), r in newest.items() if k == extra and a == act_id]
            if recs:
                doc.extras[extra] = page(max(recs, key=lambda r: r["retrieved_at"]))
        pages.append(doc)
    return pages


def indicator_files(corpus_dir: Path | None) -> list[tuple[str, str]]:
    if not corpus_dir or not (corpus_dir / "indicators").exists():
        return []
    root = corpus_dir / "indicators"
    return [(str(p.relative_to(root)), _sha256_file(p)) for p in sorted(root.rglob("*")) if p.is_file()]


def pipeline_versions(options: BuildOptions | None = None) -> dict[str, str]:
    """Everything besides the inputs that changes the output; any change disables reuse.

    The data files (taxonomy, indicator catalogue, areas, seed list, texts config) are hashed
    by their path under kb/data; a seed list or texts config given from elsewhere is hashed too.
    """
    from kb import paths
    from kb.tagging import TAGGER_VERSION
    from scrapers.adilet.parse import PARSER_VERSION
    from scrapers.adilet.textfile import TEXTFILE_VERSION
    from scrapers.texts import TEXTS_VERSION
    from kb.policies import POLICIES_VERSION
    from kb.indicator_links import LINKS_VERSION
    from kb.contents import CONTENTS_VERSION

    data_hash = hashlib.sha256()
    for path in sorted(paths.DATA_DIR.rglob("*")):
        if path.is_file() and "gold" not in path.parts and "__pycache__" not in path.parts:
            rel = path.relative_to(paths.DATA_DIR).as_posix()
            data_hash.update(rel.encode() + b"\0" + path.read_bytes())
    versions = {"schema": str(schema.SCHEMA_VERSION), "parser": PARSER_VERSION,
                "texts": TEXTS_VERSION, "adilet_text": TEXTFILE_VERSION, "tagger": TAGGER_VERSION, "data": data_hash.hexdigest()[:16],
                "policies": POLICIES_VERSION, "links": LINKS_VERSION,
                "contents": CONTENTS_VERSION}
    for name in ("seed_path", "texts_config"):
        path = getattr(options, name, None)
        if path is not None:
            versions[name] = _sha256_file(Path(path))[:16]
    return versions


def manifest_hash(pages: list[SourcePage], ind_files, versions: dict) -> str:
    h = hashlib.sha256(json.dumps(versions, sort_keys=True).encode())
    for p in sorted(pages, key=lambda p: (p.act_id or "", p.lang or "", p.sha256)):
        # Content decides, not timestamps: a page fetched again unchanged, or a corpus copied
        # elsewhere, is no reason to rebuild.
        h.update(f"{p.kind} {p.act_id} {p.lang} {p.digest()} {p.url}\n".encode())
    for name, sha in ind_files:
        h.update(f"indicator {name} {sha}\n".encode())
    return h.hexdigest()


def previous_build_info(db_path: Path) -> dict:
    if not db_path.exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            return dict(conn.execute("select key, value from build_info").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return {}


# --- the build ------------------------------------------------------------------------------


class StageError(Exception):
    """A build stage failed; the message names the stage and the cause."""

    def __init__(self, stage: str, exc: BaseException):
        super().__init__(f"{stage} stage: {type(exc).__name__}: {exc}")
        self.stage = stage


@contextmanager
def _stage(name: str):
    try:
        yield
    except StageError:
        raise
    except Exception as exc:
        raise StageError(name, exc) from exc


def run_build(options: BuildOptions) -> BuildReport:
    """Build, or report why not; any failure leaves the previous database as it was.

    Failures of one item (a page, a file) are in `report.failures` and the build goes on; a
    failure of a whole stage (bad configuration, a database error) stops the build and is
    `report.fatal`, naming the stage. Only KeyboardInterrupt and SystemExit propagate.
    """
    started = time.perf_counter()
    db_path = Path(options.db_path)
    report = BuildReport(db_path=db_path)
    tmp_path = db_path.with_name(f".{db_path.name}.building-{os.getpid()}")
    try:
        _run_build(options, db_path, tmp_path, report)
    except BaseException as exc:
        tmp_path.unlink(missing_ok=True)
        if not isinstance(exc, Exception):
            raise
        report.fatal = str(exc) if isinstance(exc, StageError) else f"{type(exc).__name__}: {exc}"
    report.seconds = time.perf_counter() - started
    return report


def _run_build(options: BuildOptions, db_path: Path, tmp_path: Path, report: BuildReport) -> None:
    with _stage("setup"):
        db_path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temp_files(db_path)

    if options.live:
        with _stage("crawl"):
            _crawl(options, report)

    with _stage("inputs"):
        pages: list[SourcePage] = []
        if options.corpus_dir:
            if not Path(options.corpus_dir).exists():
                report.fatal = f"corpus folder not found: {options.corpus_dir}"
                return
            pages += corpus_pages(Path(options.corpus_dir), report)
        if options.raw_dir:
            pages += raw_store_pages(Path(options.raw_dir))
            for page in pages:
                page.report = report    # a fallback to an older copy is reported
        superseded: list[str] = []
        if options.corpus_dir:
            from db.adilet_text import adilet_text_sources, merge_inputs
            from db.texts import text_sources

            # One input per act and language: an Adilet page wins over the page's saved text,
            # which wins over the new site's empty shell; of a statutory text and the page
            # text of one act the fuller copy wins (db/adilet_text.py).
            statutory = text_sources(Path(options.corpus_dir), report, options.texts_config)
            page_texts = adilet_text_sources(Path(options.corpus_dir), report)
            pages, superseded = merge_inputs(pages, statutory, page_texts, report)
        if not pages and db_path.exists():
            # Nothing to build acts from (e.g. a first crawl with no network): an empty
            # knowledge base must not replace a good one.
            report.fatal = ("no act pages or texts among the inputs"
                            + (f" ({len(report.failures)} fetch failure(s) above)" if report.failures else "")
                            + "; nothing was built")
            return
        ind_files = indicator_files(options.corpus_dir)
        versions = pipeline_versions(options)
        manifest = manifest_hash(pages, ind_files, versions)
        previous = previous_build_info(db_path)

    # A live build fetches the indicator series during the build: their content is unknown
    # here, so it never counts as "nothing changed".
    if not options.force and not options.live and previous.get("manifest") == manifest:
        report.unchanged = True
        return

    # --force is for when the previous build is in doubt: nothing is copied from it then.
    reusable = not options.force and previous.get("versions") == json.dumps(versions, sort_keys=True)
    _build_into(tmp_path, db_path if reusable else None, pages, options, report, versions,
                manifest, superseded, _indicators_digest(options, ind_files))
    with _stage("shrink guard"):
        reasons = _shrink_check(tmp_path, db_path, options)
    if reasons:
        tmp_path.unlink(missing_ok=True)
        report.fatal = ("the new build is smaller than the database it would replace "
                        "(shrink guard; `kb build --allow-shrink` publishes it anyway):\n"
                        + "\n".join(f"    {r}" for r in reasons))
        return
    with _stage("replace"):
        _fsync(tmp_path)
        os.replace(tmp_path, db_path)
        _fsync_dir(db_path.parent)


# The shrink guard (docs/reliability.md): a build may not lose any act of the database it
# replaces, nor more than this share of its provisions or observations, unless --allow-shrink.
# Acts are few and each one matters; provisions and observations move a little when a page is
# amended or a series revised, so a small drop is normal and a large one is a broken input.
SHRINK_LIMIT = 0.05


def _acts_and_counts(path: Path) -> tuple[set[str], dict[str, int]]:
    """The act ids and the provision and observation counts of a database, read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        acts = {r[0] for r in conn.execute("select id from acts")}
        counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("provisions", "observations")}
    finally:
        conn.close()
    return acts, counts


def _shrink_check(tmp_path: Path, db_path: Path, options: BuildOptions) -> list[str]:
    """Why the new database (tmp_path) must not replace the previous one; [] when it may."""
    if options.allow_shrink or not db_path.exists():
        return []
    try:
        old_acts, old_counts = _acts_and_counts(db_path)
    except sqlite3.DatabaseError:
        return []       # no readable previous database: nothing to compare with
    new_acts, new_counts = _acts_and_counts(tmp_path)
    reasons = []
    lost = sorted(old_acts - new_acts)
    if lost:
        shown = ", ".join(lost[:20]) + (f" and {len(lost) - 20} more" if len(lost) > 20 else "")
        reasons.append(f"acts {len(old_acts)} -> {len(new_acts)}: {len(lost)} act(s) of the "
                       f"previous build missing: {shown}")
    for table, before in old_counts.items():
        after = new_counts[table]
        if before and (before - after) / before > SHRINK_LIMIT:
            reasons.append(f"{table} {before} -> {after} (-{(before - after) / before:.1%}, "
                           f"more than {SHRINK_LIMIT:.0%} lost)")
    return reasons


def _build_into(tmp_path: Path, previous_db: Path | None, pages: list[SourcePage],
                options: BuildOptions, report: BuildReport,
                versions: dict, manifest: str, superseded: list[str] = (),
                ind_digest: str | None = None) -> None:
    from db.acts import ActLoader

    tmp_path.unlink(missing_ok=True)
    db = sqlite_utils.Database(tmp_path)
    try:
        with _stage("schema"):
            db.conn.execute("PRAGMA journal_mode = OFF")      # the temp file is thrown away on failure
            db.conn.execute("PRAGMA synchronous = OFF")
            db.conn.execute("PRAGMA foreign_keys = ON")
            db.conn.executescript(schema.TABLES)
            heldout = _load_taxonomy(db)
        with _stage("acts"):
            loader = ActLoader(db, previous_db=previous_db, report=report,
                               progress=options.progress, seed_path=options.seed_path)
            loader.load(pages)
            loader.detach()
        if options.corpus_dir:
            with _stage("verify"):
                # acts copied from the previous build keep their checks (same text, same PDF)
                from db.verify import verify_against_pdfs

                verify_against_pdfs(db, Path(options.corpus_dir), report,
                                    only=set(loader.loaded_ids),
                                    previous_db=previous_db if loader.reused_ids else None)
        with _stage("acts"):
            # The act's columns on every provision (copied ones too), for facets; set once
            # all act metadata (page, /info) is final.
            db.conn.execute("""
                update provisions set (act_form, act_status, act_year, act_issuing_body) =
                    (select form, status, year, issuing_body from acts where acts.id = provisions.act_id)""")
            db.conn.commit()
        with _stage("fetch log"):
            _import_fetch_log(db, options.raw_dir)
        with _stage("policies"):
            from db.policies import load_policy_measures

            load_policy_measures(db, previous_db if loader.reused_ids else None, loader.reused_ids)
        if options.corpus_dir or options.live:
            with _stage("indicators"):
                if not _reuse_indicators(db, previous_db, ind_digest, options, report):
                    _load_indicators(db, options, report)
        with _stage("links"):
            # provisions ↔ indicators with reasons; the acts copied keep their links
            from db.links import load_links

            load_links(db, previous_db if loader.reused_ids else None, loader.reused_ids)
        with _stage("contents"):
            # each act's table of contents, counted (issue 11); the acts copied keep theirs
            from db.contents import load_contents

            load_contents(db, previous_db if loader.reused_ids else None, loader.reused_ids)
        with _stage("indexes"):
            db.conn.executescript(schema.INDEXES)
        with _stage("views"):
            _create_views(db)
        with _stage("law events"):
            # each indicator's law events from the links and amendments just written (issue 11:
            # per request, the walk up to the articles reached the SQL time limit at 1M)
            from db.law_events import load_law_events

            load_law_events(db)
        with _stage("search index"):
            from db.fts import update_search_index

            update_search_index(db, previous_db if loader.reused_ids else None, loader.reused_ids)
        with _stage("finish"):
            for stage, item, reason in report.failures:
                db["build_failures"].insert({"stage": stage, "item": item, "reason": reason})
            info = {"manifest": manifest, "versions": json.dumps(versions, sort_keys=True),
                    "built_at": _now(), "corpus_dir": str(options.corpus_dir or ""),
                    "live": str(bool(options.live)),
                    "texts_superseded_by_pages": json.dumps(sorted(superseded)),
                    "indicators_digest": ind_digest or "",
                    # where dimensions.heldout_* come from (empty: no figure for this tagger)
                    "tagger_heldout": json.dumps({k: heldout[k] for k in (
                        "tagger", "generated_at", "part", "tags", "gold", "items")}) if heldout else ""}
            db["build_info"].insert_all([{"key": k, "value": v} for k, v in info.items()])
            report.acts = db["acts"].count
            report.provisions = db["provisions"].count
            report.provision_texts = db["provision_texts"].count
            report.amendments = db["amendments"].count
            report.tagged = db.execute(
                "select count(*) from provisions where primary_dimension is not null").fetchone()[0]
            report.indicators = db["indicators"].count
            report.observations = db["observations"].count
            db.conn.commit()
            # A fresh file has few free pages; a full build's index 'optimize' and DROPs leave
            # some. Compact only when worth it (a rebuild of one act copies, it does not delete).
            free, pages = (db.conn.execute(f"pragma {p}").fetchone()[0]
                           for p in ("freelist_count", "page_count"))
            if free > 0.02 * pages:
                db.conn.execute("VACUUM")
    finally:
        db.close()


def _import_fetch_log(db, raw_dir) -> None:
    """Every live response and failure in the raw store, for provenance."""
    if not raw_dir or not (Path(raw_dir) / "responses.jsonl").exists():
        return
    from scrapers.rawstore import RawStore

    db["fetch_log"].insert_all(({
        "url": rec.get("url"), "final_url": rec.get("final_url"), "act_id": rec.get("act_id"),
        "lang": rec.get("lang"), "kind": rec.get("kind"), "status": rec.get("status"),
        "ok": int(bool(rec.get("ok"))), "error": rec.get("error"), "sha256": rec.get("sha256"),
        "retrieved_at": rec.get("retrieved_at"), "source": rec.get("source") or "live",
    } for rec in RawStore(Path(raw_dir)).records()), batch_size=500)


# dimensions.heldout_* ← the counts of kb/data/tagger_model/heldout.json
_HELDOUT_COLUMNS = {"heldout_support": "support", "heldout_right": "tp", "heldout_wrong": "fp",
                    "heldout_missed": "fn"}


def _load_taxonomy(db) -> dict | None:
    """The taxonomy's tables, with the tagger's held-out counts per dimension when they were
    measured on this tagger (returned for build_info; None otherwise)."""
    from kb.tagging import load_heldout
    from kb.taxonomy import load_taxonomy

    tax = load_taxonomy()
    heldout = load_heldout()
    counts = (heldout or {}).get("dimensions", {})
    db["dimensions"].insert_all({**row, **{column: counts.get(row["code"], {}).get(key)
                                           for column, key in _HELDOUT_COLUMNS.items()}}
                                for row in tax.dimension_rows())
    db["age_groups"].insert_all(tax.age_group_rows())
    db["flags"].insert_all(tax.flag_rows())
    return heldout


def _indicators_digest(options: BuildOptions, ind_files) -> str | None:
    """What the indicator tables are made from (the inputs stage's file hashes), in an offline
    build; None for a live one, whose series are only known once fetched."""
    if options.live or not options.corpus_dir:
        return None
    return hashlib.sha256(json.dumps(ind_files).encode()).hexdigest()


_INDICATOR_TABLES = ("areas", "indicators", "observations")


def _reuse_indicators(db, previous_db, digest, options, report) -> bool:
    """Copy the indicator tables (and their import failures) from the previous build when
    their files and the pipeline versions are the same; False when they must be imported."""
    if previous_db is None or digest is None:
        return False
    if previous_build_info(previous_db).get("indicators_digest") != digest:
        return False
    conn = db.conn
    conn.execute("ATTACH DATABASE ? AS previnds", (str(previous_db),))
    try:
        for table in _INDICATOR_TABLES:
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM previnds.{table}")
        for stage, item, reason in conn.execute(
                "SELECT stage, item, reason FROM previnds.build_failures WHERE stage = 'import' "
                "ORDER BY id").fetchall():
            report.fail(stage, item, reason)
        conn.commit()
    finally:
        conn.execute("DETACH DATABASE previnds")
    return True


def _load_indicators(db, options: BuildOptions, report: BuildReport) -> None:
    from db.indicators import load_indicators

    client = store = lock = None
    if options.live:
        from scrapers.http import PoliteClient
        from scrapers.rawstore import CrawlLock, RawStore

        # Live responses are kept in the raw store like pages, under the crawl's lock; a
        # source that fails is read from its last good stored responses (db/indicators.py).
        raw_dir = Path(options.raw_dir or "data/raw")
        lock = CrawlLock(raw_dir).acquire()
        store = RawStore(raw_dir)
        client = PoliteClient(delay=options.delay, transport=options.transport, sleep=options.sleep)
    try:
        result = load_indicators(db, options.corpus_dir, live=options.live, client=client,
                                 raw_store=store)
    finally:
        if client is not None:
            client.close()
        if lock is not None:
            lock.release()
    for failure in getattr(result, "failures", []):
        report.fail("import", *failure)


def _create_views(db) -> None:
    from db.views import create_views

    create_views(db)


def _crawl(options: BuildOptions, report: BuildReport) -> None:
    """Fetch the seed acts (and, with discovery, acts found by search) into the raw store."""
    from scrapers.adilet.fetch import AdiletFetcher
    from scrapers.adilet.seeds import load_seed_acts

    raw_dir = Path(options.raw_dir or "data/raw")
    options.raw_dir = raw_dir
    act_ids = list(options.act_ids or [s.id for s in load_seed_acts(options.seed_path)])
    with AdiletFetcher(raw_dir=raw_dir, delay=options.delay, transport=options.transport,
                       sleep=options.sleep) as fetcher:
        if options.discover and not options.act_ids:
            from scrapers.adilet.discover import discover
            from scrapers.adilet.seeds import load_discovery_config

            config = load_discovery_config(options.seed_path)
            found = discover(fetcher, **config)
            act_ids += [a for a in found.act_ids if a not in act_ids]
            skip = {(r.act_id, r.lang, r.kind) for r in found.fetched if r.ok}
        else:
            skip = set()
        results = fetcher.fetch_acts(act_ids, progress=options.progress, skip=skip)
    for r in results:
        if not r.ok:
            report.fail("fetch", r.url, r.error or f"HTTP {r.status}")


def _remove_stale_temp_files(db_path: Path) -> None:
    """Temp files of builds that were killed; never the database itself."""
    for stale in db_path.parent.glob(f".{db_path.name}.building-*"):
        try:
            pid = int(stale.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            stale.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:
        pass
