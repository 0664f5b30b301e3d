"""Pick the model for completions or for chat among the ones on this machine; the
ones not downloaded yet are listed with the command that gets them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from coder.models import registry
from coder.models.resolve import install_hint, is_installed


class ModelPicker(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (role, model name), or None when closed."""

    CSS_PATH = "model_picker.tcss"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, current: dict[str, str]):
        super().__init__()
        self.current = current  # role -> name of the model in use
        self._choices: list[tuple[str, str] | None] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Pick a model (Enter uses it, Escape closes)", id="picker-title")
            yield OptionList(id="picker-models")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for role in ("completion", "chat"):
            options.add_option(Option(f"── {role} ──", disabled=True))
            self._choices.append(None)
            for model in registry.KNOWN_MODELS:
                if not (model.can(role) or (role == "completion" and model is registry.DEMO)):
                    continue
                available = is_installed(model)
                mark = "*" if self.current.get(role) in (model.name, model.filename) else " "
                status = "" if available else f"  (not here: {install_hint(model)})"
                options.add_option(Option(f"{mark} {model.name:34} {model.parameters:>5}{status}", disabled=not available))
                self._choices.append((role, model.name))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = self._choices[event.option_index]
        if choice is not None:
            self.dismiss(choice)

    def action_close(self) -> None:
        self.dismiss(None)
