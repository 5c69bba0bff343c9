"""What reply templates mark in their text: fill-in prompts and the conclusion (pure, no database).

- **Fill-in prompts.** ``{{ verified_facts|fill_in("请填写调查核实情况") }}`` gives the handler's text
  when there is one, else the prompt in black lenticular brackets: 【请填写调查核实情况】. ``【…】`` is
  reserved for prompts in every locale: a reply still holding one is not sent.
- **The conclusion.** ``{{ "综上，对您的诉求予以支持。"|conclusion }}`` (or ``{% filter conclusion %}``)
  marks the sentence that states the outcome. The text is unchanged; rendering the template once per
  outcome tells which sentence belongs to which, so a reply that concludes otherwise than the chosen
  outcome is recognised.
- **The SMS short form** (``short`` true) is at most ``SMS_MAX`` characters: one SMS in UCS-2.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from jinja2 import pass_context

SMS_MAX = 70
FILL_IN = re.compile(r"【([^【】\n]{1,200})】")
_SPACE = re.compile(r"[\s\u3000]+")
_CAPTURED: ContextVar[list[str] | None] = ContextVar("reply_conclusions", default=None)


def fill_in(value, prompt: str) -> str:
    """The value when it says something, else the prompt marked for the handler to replace."""
    text = str(value or "").strip()
    if text:
        return text
    prompt = str(prompt).strip().strip("【】")
    if not prompt or len(prompt) > 200:
        raise TypeError("fill_in takes a prompt of 1 to 200 characters")
    return f"【{prompt}】"


@pass_context  # never folded into a constant at compile time: each render must record it
def conclusion(context, value) -> str:
    """Marks the conclusion sentence (the text is unchanged); recorded while conclusions are collected."""
    text = str(value)
    captured = _CAPTURED.get()
    if captured is not None:
        captured.append(text.strip())
    return text


def collecting() -> tuple[list[str], object]:
    """Start collecting conclusion sentences: (the list they go to, a token for ``stop_collecting``)."""
    found: list[str] = []
    return found, _CAPTURED.set(found)


def stop_collecting(token) -> None:
    _CAPTURED.reset(token)


def prompts_in(text: str) -> list[str]:
    """The fill-in prompts still in ``text``, in order, each once."""
    return list(dict.fromkeys(match.group(1) for match in FILL_IN.finditer(text or "")))


def _flat(text: str) -> str:
    return _SPACE.sub("", text or "")


def concluded(text: str, conclusions: dict[str, str]) -> set[str]:
    """The outcomes whose conclusion sentence ``text`` contains (spacing and line breaks ignored)."""
    flat = _flat(text)
    found = {
        outcome: _flat(sentence)
        for outcome, sentence in conclusions.items()
        if _flat(sentence) and _flat(sentence) in flat
    }
    # a sentence found only as part of another outcome's longer sentence does not count
    return {
        outcome
        for outcome, sentence in found.items()
        if not any(sentence != other and sentence in other for other in found.values())
    }
