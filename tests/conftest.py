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
