"""Command palette entries: every action in the keys table, and "Open FILE" for each
file of the repository."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.keys import APP_KEYS, COMPARE_KEYS, EDITOR_KEYS, REVIEW_KEYS, RUN_KEYS, SCREEN_KEYS

MAX_FILE_HITS = 30


def palette_actions(screen_name: str = "MainScreen") -> list[tuple[str, str, str]]:
    """(title, action to run, key) for every action the palette offers on that screen
    (its class name): the app's everywhere, each screen's own where it is shown."""
    entries = [(k.description, f"app.{k.action}", k.key) for k in APP_KEYS]
    own = {"MainScreen": SCREEN_KEYS + EDITOR_KEYS, "RunScreen": RUN_KEYS, "ReviewScreen": REVIEW_KEYS,
           "CompareScreen": COMPARE_KEYS}
    entries += [(k.description, f"screen.{k.action}", k.key) for k in own.get(screen_name, ())]
    return entries


class CoderCommands(Provider):
    async def discover(self) -> Hits:
        for title, action, key in palette_actions(self.screen.__class__.__name__):
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, key in palette_actions(self.screen.__class__.__name__):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=key)
        screen = self.app.main_screen
        if screen is None or self.screen is not screen:
            return
        shown = 0
        for path in screen.files:
            score = matcher.match(f"Open {path}")
            if score > 0:
                yield Hit(score, matcher.highlight(f"Open {path}"), partial(self._open, path), help="open this file")
                shown += 1
                if shown >= MAX_FILE_HITS:
                    break

    async def _open(self, path: str) -> None:
        screen = self.app.main_screen
        if screen is not None:
            await screen.open_file(path)
