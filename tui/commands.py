"""Command palette entries: every action in the keys table, and "Open FILE" for each
file of the repository."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.keys import APP_KEYS, EDITOR_KEYS, SCREEN_KEYS

MAX_FILE_HITS = 30


def palette_actions() -> list[tuple[str, str, str]]:
    """(title, action to run, key) for every action the palette offers."""
    entries = [(k.description, f"app.{k.action}", k.key) for k in APP_KEYS]
    entries += [(k.description, f"screen.{k.action}", k.key) for k in SCREEN_KEYS + EDITOR_KEYS]
    return entries


class CoderCommands(Provider):
    async def discover(self) -> Hits:
        for title, action, key in palette_actions():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, key in palette_actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=key)
        screen = self.app.main_screen
        if screen is None:
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
