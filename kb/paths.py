"""Default locations, relative to the working directory (the repository checkout)."""
from pathlib import Path

DEFAULT_DB = Path("db/kb.db")
DEFAULT_RAW = Path("data/raw")
# The shared corpus sits beside the checkout: ../shared/corpus
DEFAULT_CORPUS = Path("../shared/corpus")
DATA_DIR = Path(__file__).parent / "data"
# The real-act gold set (issue 9): what `kb train` learns from and `kb eval --cv` scores
REAL_GOLD = DATA_DIR / "gold" / "real" / "gold.jsonl"
