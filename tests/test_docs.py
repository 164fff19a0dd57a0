"""Documentation that tests keep honest."""
import re
from pathlib import Path

import yaml

from kb import clidocs
from kb.cli import cli

REPO = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date():
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == clidocs.render(), \
        "docs/cli.md is out of date: run python -m kb.clidocs"


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in cli.commands if f"`kb {name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_gives_the_two_commands_that_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert "kb build --corpus ../shared/corpus" in blocks[0] and "kb serve" in blocks[0]
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci, ".ci/run must run exactly the README's test command"


def test_every_table_and_column_is_described_in_metadata():
    import sqlite3

    from db import schema

    conn = sqlite3.connect(":memory:")
    conn.executescript(schema.TABLES)
    meta = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
    tables = meta["databases"]["kb"]["tables"]
    missing = []
    for (table,) in conn.execute("select name from sqlite_master where type = 'table'"):
        described = tables.get(table, {})
        if not described.get("description"):
            missing.append(table)
        for col in conn.execute(f"pragma table_info({table})"):
            if col[1] not in described.get("columns", {}):
                missing.append(f"{table}.{col[1]}")
    assert not missing, f"undescribed in metadata.yml: {missing}"


def test_holdings_tables_in_the_docs_match_the_corpus_build(corpus_build):
    # README, the codebook and docs/holdings.md say what the knowledge base holds: the tables
    # must be the ones a fresh build gives (`kb holdings --write` regenerates them).
    from kb.holdings import render, stale_documents

    import sqlite3

    tables = render(corpus_build[0])
    acts = sqlite3.connect(corpus_build[0]).execute("select count(*) from acts").fetchone()[0]
    assert acts >= 34 and f"| acts | {acts} |" in tables["summary"]
    assert tables["acts"].count("\n| ") == acts          # one row per act
    assert stale_documents(tables) == [], "run: kb build && kb holdings --write"
