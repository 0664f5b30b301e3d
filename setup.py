"""Package layout that pyproject.toml alone cannot say.

prompts/ lives at the top of the repository (templates are data, kept apart from the
engine) but ships inside the package as ``coder.prompts``, so an installed coder finds
its templates without the source tree.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["coder", "coder.*", "lsp", "lsp.*", "tui", "tui.*"])
    + ["coder.prompts"],
    package_dir={"coder.prompts": "prompts"},
)
