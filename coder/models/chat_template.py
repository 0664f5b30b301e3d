"""Chat prompts in the model's own format: the GGUF's chat template, as token ids.

The template (Jinja, ChatML for Qwen) comes from the model file, so it is rendered in
a sandboxed Jinja environment: a template is data and gets no access to Python.

Message contents are file text and user text, which may spell a control token
(``<|im_end|>`` in a file about ChatML). So each content is replaced by a marker while
rendering; the template's own text is tokenized with control tokens parsed, and each
content with them kept as plain text (``special=False``), then the ids are spliced.
"""

from __future__ import annotations

import re
from typing import Sequence

from coder.errors import ModelError

MARKER = "\x1eCODER-CONTENT-{}\x1e"
MARKER_PATTERN = re.compile("\x1eCODER-CONTENT-(\\d+)\x1e")
ROLES = ("system", "user", "assistant")


def render_template(template: str, messages: list[dict], *, bos_token: str = "", eos_token: str = "") -> str:
    """The template rendered for these messages, with the assistant's turn opened."""
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise TemplateError(message)

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.globals["raise_exception"] = raise_exception
    try:
        return environment.from_string(template).render(
            messages=messages, add_generation_prompt=True, bos_token=bos_token, eos_token=eos_token,
        )
    except TemplateError as error:
        raise ModelError(f"the model's chat template failed on these messages ({error})") from None


def chat_prompt_ids(backend, messages: Sequence) -> list[int]:
    """Token ids of the chat prompt for messages (ChatMessage items) on backend."""
    info = backend.info()
    if not info.chat_template:
        raise ModelError(
            f"the model {info.name} has no chat template, so it cannot chat; "
            "use an instruct model such as qwen2.5-coder-0.5b-instruct (`coder model list`)"
        )
    for message in messages:
        if message.role not in ROLES:
            raise ModelError(f"chat role {message.role!r} is not one of {', '.join(ROLES)}")
    specials = info.specials
    by_id = {token_id: text for text, token_id in specials.by_text.items()}
    bos_text = by_id.get(specials.bos, "") if specials.bos is not None else ""
    eos_text = by_id.get(specials.eos, "") if specials.eos is not None else ""
    stand_ins = [{"role": m.role, "content": MARKER.format(i)} for i, m in enumerate(messages)]
    rendered = render_template(info.chat_template, stand_ins, bos_token=bos_text, eos_token=eos_text)
    ids: list[int] = []
    position = 0
    seen = []
    for match in MARKER_PATTERN.finditer(rendered):
        if match.start() > position:
            ids += backend.tokenize(rendered[position:match.start()], special=True)
        index = int(match.group(1))
        seen.append(index)
        if messages[index].content:
            ids += backend.tokenize(messages[index].content, special=False)
        position = match.end()
    if position < len(rendered):
        ids += backend.tokenize(rendered[position:], special=True)
    if sorted(set(seen)) != list(range(len(messages))):
        raise ModelError(f"the chat template of {info.name} dropped or rewrote a message; it cannot be used")
    if info.add_bos and specials.bos is not None and (not ids or ids[0] != specials.bos):
        ids.insert(0, specials.bos)
    return ids
