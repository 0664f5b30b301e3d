"""Fixtures of the language-server tests: make tests/lsp importable as a folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
