from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The shared corpus lies beside the checkout, for developers and in CI alike.
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.exists():
        pytest.fail(f"the shared corpus is missing: {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


class FakeClock:
    """Monotonic time that only moves when the client sleeps (crawler tests wait for nothing)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory, corpus_dir):
    """(db path, report) of ONE offline build of the whole shared corpus for the session.

    Read it, or copy the file to change it: a build of all 34 acts takes about half a minute,
    so tests that only need "the corpus build" share this one instead of building their own.
    """
    from db.build import BuildOptions, run_build

    db_path = tmp_path_factory.mktemp("corpus-build") / "kb.db"
    report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir))
    assert report.fatal is None, report.summary()
    return db_path, report


@pytest.fixture
def corpus_build_copy(corpus_build, tmp_path):
    """A private copy of the session's corpus build (same manifest: rebuilding it is a no-op)."""
    import shutil

    target = tmp_path / "kb.db"
    shutil.copyfile(corpus_build[0], target)
    return target


@pytest.fixture
def sql_read(monkeypatch) -> list:
    """The SQL every kb.web.data.rows call runs from now on, in order (the list is appended to
    as pages read; tests clear it between requests when they need to)."""
    from kb.web import data

    seen: list = []
    rows = data.rows

    async def recording(db, sql, params=None):
        seen.append(sql)
        return await rows(db, sql, params)

    monkeypatch.setattr(data, "rows", recording)
    return seen
