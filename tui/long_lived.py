"""Keep the garbage collector's full passes off the key path.

A full (oldest-generation) collection walks every object the process holds: the
imported modules, the widgets, the index's and the models' state, about 140,000
objects once a repository is open. Python runs one whenever enough new objects have
survived, and on the event loop it is a pause: measured in bench_tui while an answer
streamed, 10 full collections of up to 194-582 ms (under load) held keys that far
behind. What exists once the app has settled (started, indexed, a model loaded) lives
as long as the app, so it is moved out of the collector's sight (``gc.freeze``);
collections then walk only what was made since. Objects frozen are still freed when
their last reference goes; only a cycle among them would stay, and they are made
once per start, index build or model load."""

from __future__ import annotations

import gc


def freeze_what_exists() -> None:
    """Call when the app reaches a settled state; cheap (no walk) and repeatable."""
    gc.freeze()
