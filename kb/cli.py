"""The `kb` command: one click group, one subcommand per job.

Heavy imports (spaCy, Datasette) happen inside the commands so that `kb --help` stays fast.
"""
import json
import sys
from pathlib import Path

import click

from kb import paths


@click.group()
@click.version_option(package_name="kz-child-law-kb")
def cli():
    """Knowledge base of Kazakhstan's legal and policy framework for children."""


# --- acts -----------------------------------------------------------------------------------


@cli.command()
@click.argument("act_ids", nargs=-1, required=True)
@click.option("--lang", "langs", multiple=True, type=click.Choice(["rus", "kaz", "eng"]),
              default=("rus", "kaz"), show_default=True, help="Language versions to fetch.")
@click.option("--raw", "raw_dir", type=click.Path(file_okay=False, path_type=Path),
              default=paths.DEFAULT_RAW, show_default=True, help="Raw response store.")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between requests to one host.")
@click.option("--info/--no-info", default=True, show_default=True,
              help="Also fetch the /info and /history pages.")
def fetch(act_ids, langs, raw_dir, delay, info):
    """Fetch acts from Adilet into the raw store.

    ACT_IDS are Adilet registration numbers such as Z020000345_ or K1500000414.
    """
    from scrapers.adilet.fetch import AdiletFetcher
    from scrapers.adilet.ids import InvalidActId, validate_act_id
    from scrapers.rawstore import CrawlLocked

    bad = []
    for act_id in act_ids:
        try:
            validate_act_id(act_id)
        except InvalidActId as exc:
            bad.append(str(exc))
    if bad:
        raise click.UsageError("; ".join(bad))
    with AdiletFetcher(raw_dir=raw_dir, delay=delay) as fetcher:
        try:
            fetcher.claim()             # before any request: one crawl per raw store
        except CrawlLocked as exc:
            raise click.ClickException(str(exc))
        _note_took_over(fetcher.lock)
        results = fetcher.fetch_acts(act_ids, langs=langs, with_info=info, progress=True)
    failed = [r for r in results if not r.ok]
    click.echo(f"fetched {len(results) - len(failed)} of {len(results)} pages into {raw_dir}")
    for r in failed:
        click.echo(f"  FAILED {r.url}: {r.error}", err=True)
    if failed:
        sys.exit(1)


def _note_took_over(lock) -> None:
    if lock.took_over:
        click.echo(f"note: took over the crawl lock of {lock.path} left by pid "
                   f"{lock.took_over.get('pid')} ({lock.took_over.get('command') or 'unknown'}), "
                   "which is no longer running", err=True)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the whole parse as JSON.")
@click.option("--url", help="The URL the page came from (default: inferred from the page).")
def parse(file, as_json, url):
    """Parse a saved Adilet page (document, /info, /history or search results)."""
    from scrapers.adilet.errors import NotALawPage, ParseError
    from scrapers.adilet.parse import parse_any
    from scrapers.http import MAX_BODY_BYTES
    from scrapers.limits import NotARegularFile, read_regular_file

    try:
        # Regular files only, as large as the fetcher would accept: /dev/zero or a FIFO is
        # refused, never read.
        data = read_regular_file(file, MAX_BODY_BYTES)
    except NotARegularFile as exc:
        raise click.ClickException(str(exc))
    try:
        result = parse_any(data, url=url)
    except (NotALawPage, ParseError) as exc:
        raise click.ClickException(f"{file}: {exc}")
    data = result.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(result.summary())


# --- tagging --------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--batch-size", type=int, default=256, show_default=True)
def tag(file, batch_size):
    """Tag text by child well-being dimension and age.

    Reads JSON lines {"id", "text", "lang"} from FILE (or standard input) and writes one JSON
    line per input line, in the same order (see TAXONOMY.md, "The tagger contract").
    """
    from kb.tagging import tag_jsonl

    try:
        tag_jsonl(file, sys.stdout, batch_size=batch_size)
    except ValueError as exc:
        raise click.ClickException(str(exc))


@cli.command(name="eval")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Gold set (JSON lines). Default: the development set.")
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=paths.DEFAULT_CORPUS, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--errors", is_flag=True, help="List every disagreement with the gold labels.")
@click.option("--cv", is_flag=True,
              help="Real-act gold set with acts held out: rules, rules + trained model, and "
                   "those with the knowledge base's lead-in and heading layer, cross-validated "
                   "by act on the open part, and on the sealed blind part.")
@click.option("--folds", type=click.IntRange(2, 50), default=8, show_default=True,
              help="With --cv: number of folds (whole acts per fold).")
def eval_(gold, corpus_dir, as_json, errors, cv, folds):
    """Score the tagger against a gold set."""
    from kb.evaluate import evaluate, format_cv_report, format_report

    if cv:
        from kb.tagging import cross_validate

        try:
            report = cross_validate(gold, corpus_dir, folds=folds)
        except ValueError as exc:
            raise click.ClickException(str(exc))
        click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json
                   else format_cv_report(report, show_errors=errors))
        return
    report = evaluate(gold_path=gold, corpus_dir=corpus_dir)
    from kb.tagging import REAL_GOLD

    if gold is not None and Path(gold).resolve() == REAL_GOLD.resolve() and not as_json:
        click.echo("note: the shipped model learnt from the open part of this set, so these "
                   "figures flatter it; kb eval --cv scores acts it has not seen.\n")
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report, show_errors=errors))


@cli.command()
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Gold set (JSON lines). Default: the real-act gold set.")
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=paths.DEFAULT_CORPUS, show_default=True)
@click.option("--check", is_flag=True,
              help="Train, compare with the shipped weights and write nothing; exit 1 if they differ.")
def train(gold, corpus_dir, check):
    """Train the tagger's dimension model from the gold set (its open part).

    Writes kb/data/tagger_model/weights.json with the settings of config.cfg beside it and the
    sha256 of the gold items it learnt from; the next `kb build` re-tags with it.
    """
    import time

    from kb.tagging import shipped_model_weights, train_model

    started = time.perf_counter()
    try:
        weights = train_model(gold, corpus_dir, write=not check)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    took = time.perf_counter() - started
    click.echo(f"trained on {weights['n_gold_items']} gold items ({weights['n_items']} the model "
               f"may speak on), {len(weights['features'])} features, {took:.1f}s; "
               f"data sha256 {weights['data_sha256'][:16]}")
    path, shipped = shipped_model_weights()
    if check:
        if shipped != json.loads(json.dumps(weights)):
            raise click.ClickException("the shipped model differs from one trained now: run kb train")
        click.echo("the shipped model is what kb train makes")
    else:
        click.echo(f"wrote {path}")


# --- database -------------------------------------------------------------------------------


@cli.command()
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Build offline from saved pages and files in this folder "
              "(e.g. ../shared/corpus).")
@click.option("--live", is_flag=True, help="Crawl Adilet and the indicator APIs first.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              default=paths.DEFAULT_DB, show_default=True)
@click.option("--raw", "raw_dir", type=click.Path(file_okay=False, path_type=Path),
              default=paths.DEFAULT_RAW, show_default=True, help="Raw response store.")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between live requests to one host.")
@click.option("--discover/--no-discover", default=True, show_default=True,
              help="With --live: also search Adilet for child-related acts not on the seed list.")
@click.option("--force", is_flag=True, help="Rebuild everything: parse and tag every input again, even when nothing changed.")
@click.option("--allow-shrink", is_flag=True,
              help="Replace the database even if the new build lost acts or more than 5% of "
              "its provisions or observations (refused otherwise).")
def build(corpus_dir, live, db_path, raw_dir, delay, discover, force, allow_shrink):
    """Build the knowledge base database (atomically replaces --db)."""
    from db.build import BuildOptions, run_build

    if not corpus_dir and not live:
        default = paths.DEFAULT_CORPUS
        if default.exists():
            corpus_dir = default
        else:
            raise click.UsageError("give --corpus DIR (offline) or --live (crawl)")
    options = BuildOptions(db_path=db_path, corpus_dir=corpus_dir, live=live, raw_dir=raw_dir,
                           delay=delay, discover=discover, force=force,
                           allow_shrink=allow_shrink, progress=True)
    if live:
        from scrapers.rawstore import CrawlLock, CrawlLocked

        # One live build per raw store, for the whole build (crawl and indicator APIs).
        try:
            lock = CrawlLock(raw_dir).acquire()
        except CrawlLocked as exc:
            raise click.ClickException(f"{exc}; nothing was built, {db_path} is untouched")
        _note_took_over(lock)
        try:
            report = run_build(options)
        finally:
            lock.release()
    else:
        report = run_build(options)
    click.echo(report.summary())
    if report.fatal:
        sys.exit(1)


@cli.command()
@click.argument("provision_ids", nargs=-1, required=True)
@click.option("--db", "db_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=paths.DEFAULT_DB, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "bib", "ris", "csljson"]),
              default="text", show_default=True)
def cite(provision_ids, db_path, fmt):
    """Print citations of provisions from the built database.

    PROVISION_IDS are provision ids as shown on the provision page, e.g. Z020000345_-z123 or
    V2200031180-rules.p9.sp4. text is the citation lawyers paste into a chapter; bib, ris and
    csljson are for Zotero and other reference managers.
    """
    import sqlite3

    from kb import citations
    from scrapers.limits import NotARegularFile, check_regular_file

    try:
        check_regular_file(db_path)          # a FIFO would block sqlite's open
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    except (NotARegularFile, sqlite3.DatabaseError) as exc:
        raise click.ClickException(f"{db_path} is not a knowledge-base database ({exc}); "
                                   "build one with kb build, or give --db")
    if not {"acts", "provisions"} <= tables:
        conn.close()
        raise click.ClickException(f"{db_path} is an SQLite database but not a knowledge-base "
                                   "one (no acts or provisions table); give --db db/kb.db or "
                                   "another kb build output")
    conn.row_factory = sqlite3.Row
    pairs, missing = [], []
    for pid in provision_ids:
        prov = conn.execute("select * from provisions where id = ?", (pid,)).fetchone()
        if prov is None:
            missing.append(pid)
            continue
        act = conn.execute("select * from acts where id = ?", (prov["act_id"],)).fetchone()
        pairs.append((dict(prov), dict(act)))
    conn.close()
    if fmt == "text":
        for prov, act in pairs:
            click.echo(citations.citation_string(prov, act))
    elif pairs:
        render = {"bib": citations.to_bibtex, "ris": citations.to_ris,
                  "csljson": citations.to_csljson}[fmt]
        click.echo(render(pairs).rstrip("\n"))
    if missing:
        raise click.ClickException(f"no such provision in {db_path}: {', '.join(missing)}")


@cli.command()
@click.option("--db", "db_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=paths.DEFAULT_DB, show_default=True)
@click.option("-h", "--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", type=int, default=8001, show_default=True)
@click.option("--sql-time-limit-ms", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Any SQL query is cut off after this long.")
@click.option("--allow-sql", is_flag=True,
              help="Let visitors run arbitrary SQL (local use only; the public server runs "
              "canned queries only).")
def serve(db_path, host, port, sql_time_limit_ms, allow_sql):
    """Serve the knowledge base with Datasette (immutable, read-only)."""
    from kb.serve import serve as run

    run(db_path=db_path, host=host, port=port, sql_time_limit_ms=sql_time_limit_ms,
        allow_sql=allow_sql)


@cli.command()
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/corpus"), show_default=True)
@click.option("--differences", is_flag=True, help="List every article that is not identical.")
def verify(corpus_dir, differences):
    """Compare the saved page texts with Adilet's official PDFs, article by article.

    Reads corpus/adilet-pdf and corpus/adilet-text and prints, per act, how many articles are
    identical, differ, or are missing from one copy; the build stores the same checks in the
    pdf_checks table and shows them on provision pages.
    """
    from db.verify import compare, pdf_files
    from scrapers.adilet.pdf import PdfError, read_act_pdf
    from scrapers.adilet.textfile import article_spans

    found = pdf_files(corpus_dir)
    if not found:
        raise click.ClickException(f"no PDFs in {corpus_dir / 'adilet-pdf'}")
    for path in found:
        try:
            pdf = read_act_pdf(path)
        except (PdfError, OSError) as exc:
            click.echo(f"{path.name}: {exc}", err=True)
            continue
        text_path = corpus_dir / "adilet-text" / pdf.lang / f"{pdf.act_id}.txt"
        if not text_path.is_file():
            click.echo(f"{pdf.act_id}: no page text at {text_path}", err=True)
            continue
        results = compare(article_spans(text_path.read_text(encoding="utf-8")),
                          article_spans(pdf.text))
        counts = {s: sum(1 for r in results if r["status"] == s)
                  for s in ("match", "differs", "missing_in_pdf", "missing_in_text")}
        click.echo(f"{pdf.act_id}  PDF of {pdf.edition}: {len(results)} articles, "
                   + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if differences:
            for r in results:
                if r["status"] != "match":
                    sim = f" ({r['similarity']:.3f})" if r["similarity"] is not None else ""
                    click.echo(f"    ст. {r['article']}: {r['status']}{sim} {r['detail'] or ''}")


@cli.command()
@click.option("--db", "db_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=paths.DEFAULT_DB, show_default=True)
@click.option("--write", is_flag=True,
              help="Rewrite the marked tables in README.md, docs/codebook.md, docs/holdings.md.")
def holdings(db_path, write):
    """Print what the knowledge base holds (acts, provisions, languages, editions)."""
    from kb.holdings import render, write_documents

    tables = render(db_path)
    if write:
        for doc in write_documents(tables):
            click.echo(f"wrote {doc}")
    else:
        click.echo(tables["summary"] + "\n\n" + tables["acts"])


if __name__ == "__main__":
    cli()
