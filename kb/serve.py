"""`kb serve`: Datasette on the built database, immutable and read-only, fit for the public.

Roughly

    datasette serve -i db/kb.db --inspect-file db/kb.inspect.json --metadata metadata.yml \
        --setting sql_time_limit_ms 1000 --setting num_sql_threads 6 -h 127.0.0.1 -p 8001

with what docs/reliability.md promises on top:

* No arbitrary SQL: metadata.yml says `allow_sql: false`, so only the canned queries run;
  `kb serve --allow-sql` lifts it for local use.
* Slow queries cannot starve page views: a short SQL time limit, and queries (canned or
  arbitrary) never hold more than `num_sql_threads - 2` SQL threads (kb/security.py).
* Cheap errors: no rich tracebacks with locals (kb/security.py: quiet_errors).
* One build per server: the file is pinned at start (a hard link in a private folder beside
  it), so a rebuild that renames a new kb.db over the old one cannot reach a running server,
  however lazily Datasette opens its per-thread connections. Restart to publish a new build.
* The inspect file (table counts) is regenerated whenever its recorded sha256 and size do not
  match the database, whatever the files' mtimes say.

Nothing here writes to the database: no write plugins are installed and immutable databases
refuse writes.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
METADATA = REPO / "metadata.yml"
DATABASE_NAME = "kb"  # the file is db/kb.db, published as /kb
SQL_TIME_LIMIT_MS = 1000

SETTINGS = {
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "facet_time_limit_ms": 500,
    "suggest_facets": False,    # suggestions cost a query per column on every table page
    "allow_download": True,     # the whole immutable file, for analysts
    "default_cache_ttl": 3600,  # immutable data: let proxies cache
    # Queries get at most 4 of these (kb/security.py), page views always have 2 more. SQLite
    # releases the GIL while it works, and most time is waiting, so 6 threads on 2 cores is fine.
    "num_sql_threads": 6,
}


def inspect_path(db_path: Path) -> Path:
    return Path(db_path).with_suffix(".inspect.json")


def _inspect_matches(data: dict, db_file: Path) -> bool:
    """The inspect data describes these exact bytes (size, then Datasette's sha256)."""
    from datasette.inspect import inspect_hash

    entry = data.get(DATABASE_NAME) if isinstance(data, dict) else None
    if not isinstance(entry, dict):
        entry = next(iter(data.values()), None) if isinstance(data, dict) and data else None
    if not isinstance(entry, dict) or entry.get("size") != db_file.stat().st_size:
        return False
    return entry.get("hash") == inspect_hash(db_file)


def ensure_inspect_file(db_path: Path, content: Path | None = None) -> Path:
    """Write `datasette inspect` output next to the DB unless it matches the DB already.

    `content` is the file whose bytes are described (the pinned link while serving; default
    db_path). The file is rewritten when the DB is newer, and whenever its recorded size or
    sha256 differ from the DB's: an older copy restored with its old mtime is caught too.
    """
    db_path = Path(db_path)
    content = Path(content or db_path)
    target = inspect_path(db_path)
    if target.exists() and target.stat().st_mtime >= db_path.stat().st_mtime:
        try:
            if _inspect_matches(json.loads(target.read_text()), content):
                return target
        except (ValueError, OSError):
            pass            # unreadable: write it again
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from datasette.cli import inspect_  # what `datasette inspect` runs

    from kb.security import quiet_errors

    quiet_errors()          # importing datasette.cli installed rich's traceback hook
    # own thread: callable from inside a running event loop too
    with ThreadPoolExecutor(1) as pool:
        data = pool.submit(asyncio.run, inspect_([str(content)], sqlite_extensions=None)).result()
    tmp = target.with_suffix(f".json.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(target)
    return target


def make_datasette(db_path: Path, sql_time_limit_ms: int = SQL_TIME_LIMIT_MS,
                   metadata_path: Path = METADATA, allow_sql: bool = False,
                   serve_path: Path | None = None):
    """The configured Datasette instance (also used by bench/load.py and tests).

    serve_path: the file actually opened (the pinned link); db_path names the database and
    where its inspect file lives.
    """
    import yaml
    from datasette.app import Datasette

    from kb.security import quiet_errors

    quiet_errors()
    db_path = Path(db_path)
    serve_path = Path(serve_path or db_path)
    inspect_file = ensure_inspect_file(db_path, content=serve_path)
    inspect_data = json.loads(inspect_file.read_text())
    metadata = yaml.safe_load(Path(metadata_path).read_text(encoding="utf-8"))
    if allow_sql:
        metadata.pop("allow_sql", None)
    ds = Datasette(
        immutables=[str(serve_path)],
        inspect_data=inspect_data,
        metadata=metadata,
        settings={**SETTINGS, "sql_time_limit_ms": sql_time_limit_ms},
    )
    return ds


# --- pinning the served file -------------------------------------------------------------------


def _pin_dir(db_path: Path, pid: int) -> Path:
    return db_path.parent / f".{db_path.stem}-serving-{pid}"


def pin(db_path: Path) -> Path | None:
    """A hard link to today's db file in a private folder; None if links are impossible.

    The link keeps the name (kb.db, so the database is still /kb and downloads are kb.db) and
    the inode: `os.replace` of a new build over db_path does not touch it. Removed at exit;
    a killed server's folder is removed by the next `kb serve`.
    """
    from db.build import _pid_alive

    for stale in db_path.parent.glob(f".{db_path.stem}-serving-*"):
        try:
            pid = int(stale.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(stale, ignore_errors=True)
    folder = _pin_dir(db_path, os.getpid())
    try:
        folder.mkdir(exist_ok=True)
        link = folder / db_path.name
        link.unlink(missing_ok=True)
        os.link(db_path, link)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"warning: cannot pin {db_path} ({exc}); a rebuild while this server runs may be "
              "served by threads that open the file later: restart after every build",
              file=sys.stderr)
        return None
    atexit.register(shutil.rmtree, folder, True)
    return link


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def freeze_startup_objects() -> None:
    """Move what the start made (the answers and rankings made for every visitor, Datasette,
    the plugin and the morphology dictionaries) out of the cyclic garbage collector's reach:
    it lives as long as the server, and every collection of the oldest generation, which the
    pages' own allocations set off, walked it again (issue 11: a search counting 36,000
    matches at a million provisions spent 45 of its 60 ms of count in the collector)."""
    import gc

    gc.collect()
    gc.freeze()


def serve(db_path, host: str = "127.0.0.1", port: int = 8001,
          sql_time_limit_ms: int = SQL_TIME_LIMIT_MS, allow_sql: bool = False):
    """Run Datasette until interrupted (blocks)."""
    import asyncio

    import uvicorn

    from kb.security import quiet_errors

    db_path = Path(db_path)
    if not db_path.exists():
        raise SystemExit(f"no database at {db_path}: run `kb build` first")
    if db_path.stem != DATABASE_NAME:
        print(f"warning: {db_path.name} will be served as /{db_path.stem}, not /{DATABASE_NAME}; "
              f"metadata and canned queries are written for /{DATABASE_NAME}", file=sys.stderr)
    pinned = pin(db_path)
    try:
        ds = make_datasette(db_path, sql_time_limit_ms=sql_time_limit_ms, allow_sql=allow_sql,
                            serve_path=pinned)
        asyncio.run(ds.invoke_startup())
        quiet_errors()      # again: plugins imported at startup may have installed rich
        # the pages of provisions filtered by each tag code: Datasette pages, so made once
        # started, through its own client (kb/immutable.py)
        from kb.immutable import warm_tag_filtered

        asyncio.run(warm_tag_filtered(ds, DATABASE_NAME))
        freeze_startup_objects()
        sql = "arbitrary SQL allowed (--allow-sql)" if allow_sql else "canned queries only"
        print(f"Serving {db_path} at http://{host}:{port}/{db_path.stem} "
              f"(immutable, read-only, {sql})", flush=True)
        # uvicorn re-raises SIGTERM after its graceful shutdown: as SystemExit, so the pinned
        # link below is removed (a SIGKILL leaves it to the next `kb serve`).
        signal.signal(signal.SIGTERM, _exit_on_signal)
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
    finally:
        if pinned is not None:
            shutil.rmtree(pinned.parent, ignore_errors=True)
