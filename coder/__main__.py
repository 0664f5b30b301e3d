"""``python -m coder``: the same as the ``coder`` script, and as safe.

``-m`` puts the working directory (usually the user's repository) first on
``sys.path``; it is removed before anything else is imported, so the repository's
``jinja2/`` or ``typing_extensions.py`` is never taken for coder's dependencies.
"""

import sys

from coder.isolation import drop_working_directory_from_path

drop_working_directory_from_path()

from coder.cli.main import main  # noqa: E402  (after the path is clean)

sys.exit(main())
