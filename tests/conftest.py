"""Suite-wide fixtures.

The whole session runs with CODER_HOME in a temporary directory, so no test reads or
writes the real user's config, store or models. The demo model is assembled there
once per session (253 MB) and shared by every test that needs a real model.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session", autouse=True)
def coder_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("coder-home")
    previous = os.environ.get("CODER_HOME")
    os.environ["CODER_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("CODER_HOME", None)
    else:
        os.environ["CODER_HOME"] = previous


@pytest.fixture(scope="session")
def demo_model(coder_home) -> Path:
    """Path of the real demo model (Gemma-3-270M Q4_K_M), assembled once."""
    from coder.models.demo import demo_model_path

    return demo_model_path()
