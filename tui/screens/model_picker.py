"""Pick the model for completions or for chat among the ones on this machine; the
ones not downloaded yet are listed with the command that gets them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from coder.errors import CoderError
from coder.models import registry


def model_available(model: registry.KnownModel) -> bool:
    """Whether a known model can be opened without a download."""
    if model is registry.DEMO:
        from coder.models.demo import demo_package_installed

        return demo_package_installed()
    from coder.models.resolve import resolve_model

    try:
        resolve_model(model.name, None, env={})
        return True
    except CoderError:
        return False


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
        for role, roles in (("completion", ("completion", "demo")), ("chat", ("chat", "demo"))):
            options.add_option(Option(f"── {role} ──", disabled=True))
            self._choices.append(None)
            for model in registry.KNOWN_MODELS:
                if model.role not in roles:
                    continue
                available = model_available(model)
                mark = "*" if self.current.get(role) == model.name else " "
                status = "" if available else f"  (not here: coder model pull {model.name})"
                options.add_option(Option(f"{mark} {model.name:34} {model.parameters:>5}{status}", disabled=not available))
                self._choices.append((role, model.name))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = self._choices[event.option_index]
        if choice is not None:
            self.dismiss(choice)

    def action_close(self) -> None:
        self.dismiss(None)
