"""`kb serve`: Datasette on the built database, immutable and read-only.

Equivalent to

    datasette serve -i db/kb.db --inspect-file db/kb.inspect.json --metadata metadata.yml \
        --setting sql_time_limit_ms 3000 -h 127.0.0.1 -p 8001

The database is opened immutable (`-i`): SQLite skips locking and change detection, Datasette
never writes, and the counts come from the inspect file instead of `count(*)` on every start.
The inspect file sits next to the database and is regenerated when the database is newer.
Nothing here writes: no write plugins are installed and immutable databases refuse writes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
METADATA = REPO / "metadata.yml"
DATABASE_NAME = "kb"  # the file is db/kb.db, published as /kb

SETTINGS = {
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "facet_time_limit_ms": 500,
    "suggest_facets": False,    # suggestions cost a query per column on every table page
    "allow_download": True,     # the whole immutable file, for analysts
    "default_cache_ttl": 3600,  # immutable data: let proxies cache
    "num_sql_threads": 3,
}


def inspect_path(db_path: Path) -> Path:
    return Path(db_path).with_suffix(".inspect.json")


def ensure_inspect_file(db_path: Path) -> Path:
    """Write `datasette inspect` output next to the DB unless it is newer than the DB."""
    db_path = Path(db_path)
    target = inspect_path(db_path)
    if target.exists() and target.stat().st_mtime >= db_path.stat().st_mtime:
        return target
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from datasette.cli import inspect_  # what `datasette inspect` runs

    # own thread: callable from inside a running event loop too
    with ThreadPoolExecutor(1) as pool:
        data = pool.submit(asyncio.run, inspect_([str(db_path)], sqlite_extensions=None)).result()
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(target)
    return target


def make_datasette(db_path: Path, sql_time_limit_ms: int = 3000, metadata_path: Path = METADATA):
    """The configured Datasette instance (also used by bench/load.py and tests)."""
    import yaml
    from datasette.app import Datasette

    db_path = Path(db_path)
    inspect_file = ensure_inspect_file(db_path)
    inspect_data = json.loads(inspect_file.read_text())
    metadata = yaml.safe_load(Path(metadata_path).read_text(encoding="utf-8"))
    ds = Datasette(
        immutables=[str(db_path)],
        inspect_data=inspect_data,
        metadata=metadata,
        settings={**SETTINGS, "sql_time_limit_ms": sql_time_limit_ms},
    )
    return ds


def serve(db_path, host: str = "127.0.0.1", port: int = 8001, sql_time_limit_ms: int = 3000):
    """Run Datasette until interrupted (blocks)."""
    import asyncio

    import uvicorn

    db_path = Path(db_path)
    if not db_path.exists():
        raise SystemExit(f"no database at {db_path}: run `kb build` first")
    if db_path.stem != DATABASE_NAME:
        print(f"warning: {db_path.name} will be served as /{db_path.stem}, not /{DATABASE_NAME}; "
              f"metadata and canned queries are written for /{DATABASE_NAME}", file=sys.stderr)
    ds = make_datasette(db_path, sql_time_limit_ms=sql_time_limit_ms)
    asyncio.run(ds.invoke_startup())
    print(f"Serving {db_path} at http://{host}:{port}/{db_path.stem} (immutable, read-only)",
          flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
