"""Standard replies (统一答复口径): the variable contract and the sandboxed renderer.

Templates live in ``reply_templates/<locale>/<category>.j2`` and extend ``_base.j2`` of their folder.
The names below are everything a template may read; ``render()`` refuses any other key, fills
``REPLY_DEFAULTS`` for the optional ones and raises ``MissingVariable`` naming a required one that
a template used but the caller did not give. ``None`` counts as "not given".
"""

from __future__ import annotations

from .contract import (
    OUTCOMES,
    REPLY_DEFAULTS,
    REPLY_VARIABLES,
    SAMPLE_VARIABLES,
    VARIABLE_TYPES,
    trial_variables,
)
from .marks import SMS_MAX, concluded, prompts_in
from .render import (
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    TEMPLATE_ROOT,
    MissingVariable,
    TemplateMissing,
    TemplateProblem,
    UnsafeTemplate,
    available_locales,
)
from .render import check_all as _check_all_in_process
from .worker import check_source, conclusions, render  # bounded in time and memory, in workers


def check_all(root=None) -> dict[str, list[str]]:
    """Every template file with its problems, each checked in a bounded worker like a proposal."""
    return _check_all_in_process(root, check=check_source)


__all__ = [
    "MAX_OUTPUT_CHARS",
    "MAX_SOURCE_CHARS",
    "OUTCOMES",
    "SMS_MAX",
    "REPLY_DEFAULTS",
    "REPLY_VARIABLES",
    "SAMPLE_VARIABLES",
    "TEMPLATE_ROOT",
    "VARIABLE_TYPES",
    "MissingVariable",
    "TemplateMissing",
    "TemplateProblem",
    "UnsafeTemplate",
    "available_locales",
    "check_all",
    "check_source",
    "concluded",
    "conclusions",
    "prompts_in",
    "render",
    "trial_variables",
]
