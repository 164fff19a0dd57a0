"""Default locations, relative to the working directory (the repository checkout)."""
from pathlib import Path

DEFAULT_DB = Path("db/kb.db")
DEFAULT_RAW = Path("data/raw")
# The shared corpus sits beside the checkout: ../shared/corpus
DEFAULT_CORPUS = Path("../shared/corpus")
DATA_DIR = Path(__file__).parent / "data"
