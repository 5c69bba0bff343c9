"""Standard replies (统一答复口径): sandboxed Jinja2 over ``reply_templates/<locale>/<category>.j2``.

Pure: no database. A template (a shipped file or a supervisor's stored version) sees only the
declared variables (plain str / int / bool / date), the ``date`` and ``number`` filters (Babel, bound
to the reply's locale), a short filter allowlist and a bounded ``range``. Everything it may call, loop
over, multiply or concatenate is metered: oversized values, too much work, too much time or too much
output stop the render with :class:`UnsafeTemplate`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
import types
from contextvars import ContextVar
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from jinja2 import FileSystemLoader, StrictUndefined, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from complaints.i18n import CUSTOM_LOCALES, format_date, format_number
from complaints.suffixes import SUFFIXES, attach

# Declared in the package's __init__ (before it imports this module): the variable contract.
from . import marks
from .contract import OUTCOMES, REPLY_DEFAULTS, REPLY_VARIABLES, SAMPLE_VARIABLES, VARIABLE_TYPES, trial_variables

TEMPLATE_ROOT = Path(__file__).resolve().parents[2] / "reply_templates"
MAX_SOURCE_CHARS = 20_000
MAX_OUTPUT_CHARS = 100_000
MAX_RANGE = 10_000
MAX_WORK = 1_000_000  # loop iterations + characters/items produced by operations
MAX_SECONDS = 2.0
TOO_MUCH_MEMORY = "the template needs more memory than a reply may use"
_NAME = re.compile(r"_?[a-z][a-z0-9_]*\.j2")
_IMPLICIT = {"loop", "caller", "super", "self", "varargs", "kwargs"}
_FILTERS = {
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
}  # no center/indent/wordwrap/format/attr/tojson/...: nothing that outgrows its input


class TemplateProblem(ValueError):
    """A template that cannot be used; ``problems`` lists why, one message each."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class MissingVariable(TemplateProblem):
    def __init__(self, name: str):
        self.name = name
        hint = REPLY_VARIABLES.get(name, "not a declared reply variable")
        super().__init__(f"missing variable {name!r} ({hint})")


class UnsafeTemplate(TemplateProblem):
    """The sandbox refused something, or the render ran past its limits."""


class TemplateMissing(LookupError):
    """No template file for this (locale, category); the caller decides the fallback."""


# ---------------------------------------------------------------- metering
class _Budget:
    def __init__(self, seconds: float):
        self.work, self.deadline = 0, time.monotonic() + seconds

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > MAX_WORK:
            raise SecurityError(f"the template does too much work (over {MAX_WORK:,} steps)")
        if time.monotonic() > self.deadline:
            raise SecurityError("the template took too long to render")


_BUDGET: ContextVar[_Budget | None] = ContextVar("reply_render_budget", default=None)


def _size(value) -> int:
    return len(value) if isinstance(value, str | list | tuple | range | dict) else 0


def _meter(value, extra: int = 1):
    if _size(value) > MAX_OUTPUT_CHARS:
        raise SecurityError(f"value too large ({_size(value):,} > {MAX_OUTPUT_CHARS:,})")
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(_size(value) + extra)
    return value


def _guard_iter(iterable):
    _meter(iterable)
    for item in iterable:
        _meter(None)
        yield item


def _bounded_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE:,} items")
    return rng


def _precheck(name: str, args: tuple, kwargs: dict) -> None:
    """Refuse before allocating: the two allowed filters whose output can outgrow their input."""
    if name == "replace":  # do_replace(eval_ctx, s, old, new, count=None)
        text, old, new = (
            str(args[i] if len(args) > i else kwargs.get(k, "")) for i, k in ((1, "s"), (2, "old"), (3, "new"))
        )
        if len(text) + (text.count(old) if old else len(text) + 1) * len(new) > MAX_OUTPUT_CHARS:
            raise SecurityError("replace(): result too large")
    elif name == "join" and len(args) > 1 and isinstance(args[1], list | tuple | str | range):
        sep, total = str(args[2] if len(args) > 2 else kwargs.get("d", "")), 0
        for item in args[1]:  # do_join(eval_ctx, value, d="", attribute=None)
            total += len(str(item)) + len(sep)
            if total > MAX_OUTPUT_CHARS:
                raise SecurityError("join(): result too large")


def _guarded(name: str, func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _precheck(name, args, kwargs)
        return _meter(func(*args, **kwargs))

    return wrapper


class _Guard(NodeTransformer):
    """Meters every for-loop iteration and every ``~`` concatenation."""

    def visit_For(self, node):
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_guard_iter", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node):
        node = self.generic_visit(node)
        return nodes.Filter(node, "_meter", [], [], None, None, lineno=node.lineno)


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def _parse(self, source, name, filename):
        return _Guard().visit(super()._parse(source, name, filename))

    def call_binop(self, context, operator, left, right):
        if operator == "%" and isinstance(left, str):
            raise SecurityError("'%' string formatting is not allowed in reply templates")
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and ints and right > 0 and abs(left) > 1 and left.bit_length() * right > 4096:
            raise SecurityError("number too large")
        if operator == "*":
            if ints and left.bit_length() + right.bit_length() > 8192:
                raise SecurityError("number too large")
            seq, n = (left, right) if isinstance(right, int) else (right, left)
            if _size(seq) and isinstance(n, int) and _size(seq) * n > MAX_OUTPUT_CHARS:
                raise SecurityError(f"repetition would exceed {MAX_OUTPUT_CHARS:,} characters")
        if operator == "+" and _size(left) + _size(right) > MAX_OUTPUT_CHARS:
            raise SecurityError("concatenation too large")
        return _meter(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805
        allowed = (
            isinstance(__obj, Macro | BlockReference | LoopContext)
            or __obj is _bounded_range
            or (
                isinstance(__obj, types.MethodType)
                and isinstance(__obj.__self__, LoopContext)
                and __obj.__name__ in {"cycle", "changed"}
            )
        )
        if not allowed:
            raise SecurityError(f"calling {type(__obj).__name__!r} objects is not allowed in reply templates")
        for value in (*args, *kwargs.values()):
            _meter(value, 0)
        _meter(None)
        return _meter(__context.call(__obj, *args, **kwargs))


class _Loader(FileSystemLoader):
    """Serves only plain ``name.j2`` files of one locale folder: no paths, no other suffixes."""

    def get_source(self, environment, template):
        if not _NAME.fullmatch(template):
            raise TemplateNotFound(template)
        return super().get_source(environment, template)


@functools.lru_cache(maxsize=32)
def _environment(folder: str, locale: str) -> _Environment:
    env = _Environment(
        loader=_Loader(folder),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )

    def date_filter(value, format: str = "long") -> str:  # noqa: A002
        if not isinstance(value, dt.date) or not isinstance(format, str) or len(format) > 40:
            raise TypeError("the date filter takes a date and a Babel format name or pattern")
        return format_date(value, format=format, locale=locale)

    def number_filter(value) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("the number filter takes a number")
        return format_number(value, locale=locale)

    env.globals.clear()
    env.globals["range"] = _bounded_range
    env.filters = {n: _guarded(n, f) for n, f in env.filters.items() if n in _FILTERS}
    env.filters.update(
        date=date_filter,
        number=number_filter,
        _guard_iter=_guard_iter,
        _meter=_meter,
        fill_in=_guarded("fill_in", marks.fill_in),
        conclusion=_guarded("conclusion", marks.conclusion),
    )
    env.filters.update({case: _suffix_filter(case) for case in SUFFIXES})  # Uyghur: {{ unit_name|genitive }}
    return env


def _suffix_filter(case: str):
    def suffix(value) -> str:
        if not isinstance(value, str):
            raise TypeError(f"the {case} filter takes text")
        return attach(value, case)

    return suffix


def _resolve(locale: str, root: Path | None) -> tuple[Path, str]:
    """(template folder, Babel locale) for a locale such as ``zh_Hans_CN``, ``zh-CN`` or ``ug``."""
    root = root or TEMPLATE_ROOT
    custom = str(locale).replace("-", "_")
    if custom in CUSTOM_LOCALES:  # not in CLDR: its folder has its own name
        if (root / custom).is_dir():
            return root / custom, custom
        raise TemplateMissing(f"no reply templates for locale {locale!r} under {root}")
    try:
        loc = Locale.parse(str(locale).replace("-", "_"))
        # "zh" alone means zh_Hans (CLDR likely subtags); an explicit script (zh_Hant) never falls back
        likely = loc if loc.script else Locale.parse(get_global("likely_subtags").get(loc.language, loc.language))
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise TemplateMissing(f"unknown locale {locale!r}") from exc
    candidates = [str(loc), *("_".join(filter(None, (x.language, x.script))) for x in (loc, likely))]
    for name in candidates:
        if re.fullmatch(r"[A-Za-z]+(_[A-Za-z]+)*", name) and (root / name).is_dir():
            return root / name, str(loc)
    raise TemplateMissing(f"no reply templates for locale {locale!r} under {root}")


def _context(variables: dict) -> dict:
    unknown = sorted(set(variables) - set(REPLY_VARIABLES))
    if unknown:
        raise TemplateProblem([f"unknown variable {name!r}" for name in unknown])
    ctx = dict(REPLY_DEFAULTS)
    ctx.update({k: v for k, v in variables.items() if v is not None})
    problems = []
    for name, value in ctx.items():
        kind = VARIABLE_TYPES.get(name, str)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"variable {name!r} must be {kind.__name__}, not {type(value).__name__}")
    if "outcome" in ctx and ctx["outcome"] not in OUTCOMES:
        problems.append(f"outcome must be one of {', '.join(OUTCOMES)}, not {ctx['outcome']!r}")
    if problems:
        raise TemplateProblem(problems)
    return ctx


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _run(template, ctx: dict, seconds: float = MAX_SECONDS) -> str:
    token = _BUDGET.set(_Budget(seconds))
    out, total = [], 0
    try:
        for chunk in template.generate(ctx):
            total += len(chunk)
            if total > MAX_OUTPUT_CHARS:
                raise UnsafeTemplate(f"the reply is longer than {MAX_OUTPUT_CHARS:,} characters")
            out.append(chunk)
    except TemplateProblem:
        raise
    except UndefinedError as exc:
        name = re.fullmatch(r"'(\w+)' is undefined", exc.message or "")
        if name:
            raise MissingVariable(name.group(1)) from None
        raise TemplateProblem(f"template error: {exc.message}") from exc
    except MemoryError as exc:  # the worker's memory limit (replies/worker.py)
        raise UnsafeTemplate(TOO_MUCH_MEMORY) from exc
    except (SecurityError, RecursionError, OverflowError) as exc:
        raise UnsafeTemplate(f"refused by the sandbox: {exc or type(exc).__name__}") from exc
    except TemplateNotFound as exc:
        raise TemplateProblem(f"template not found: {exc.name!r}") from exc
    except TemplateError as exc:
        raise TemplateProblem(f"template error: {exc.message}") from exc
    except Exception as exc:  # a template author's mistake, e.g. 'a' - 1
        raise TemplateProblem(f"template error: {type(exc).__name__}: {exc}") from exc
    finally:
        _BUDGET.reset(token)
    return _tidy("".join(out))


def _assigned_names(tree: nodes.Template) -> set[str]:
    names: set[str] = set()
    for node in tree.find_all((nodes.Assign, nodes.AssignBlock, nodes.For)):
        assert isinstance(node, nodes.Assign | nodes.AssignBlock | nodes.For)
        names |= {n.name for n in node.target.find_all(nodes.Name)}
        if isinstance(node.target, nodes.Name):
            names.add(node.target.name)
    names |= {n.target for n in tree.find_all(nodes.Import) if isinstance(n, nodes.Import)}
    for node in tree.find_all(nodes.FromImport):
        names |= {item[1] if isinstance(item, tuple) else item for item in node.names}
    return names


def check_source(source: str, *, locale: str, partial: bool = False, root: Path | None = None) -> list[str]:
    """Problems that make ``source`` unusable as a reply template (empty list: fine).

    Static checks (size, syntax, undeclared names, private attributes, referenced templates), then
    trial renders with sample values for every outcome, with and without 信访, and the instant form.
    Unless ``partial`` (a ``_base``/``_macros`` file), the reply must show unit_name and reply_date.
    """
    if not isinstance(source, str):
        return ["the template source must be text"]
    if len(source) > MAX_SOURCE_CHARS:
        return [f"the template is {len(source):,} characters long; the limit is {MAX_SOURCE_CHARS:,}"]
    try:
        folder, babel_locale = _resolve(locale, root)
    except TemplateMissing as exc:
        return [str(exc)]
    env = _environment(str(folder), babel_locale)
    try:
        tree = env.parse(source)
        template = env.from_string(source)
    except TemplateSyntaxError as exc:
        return [f"line {exc.lineno}: syntax error: {exc.message}"]
    except (RecursionError, MemoryError):
        return ["the template is nested too deeply"]
    allowed = set(REPLY_VARIABLES) | set(env.globals) | _IMPLICIT | _assigned_names(tree)
    problems = [f"undeclared variable {name!r}" for name in sorted(meta.find_undeclared_variables(tree) - allowed)]
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(getattr(node, "arg", None), "value", None)
        if isinstance(attr, str) and attr.startswith("_"):
            problems.append(f"line {node.lineno}: access to private attribute {attr!r} is not allowed")
    for name in meta.find_referenced_templates(tree):
        if name is None:
            problems.append("included, imported or extended template names must be literal strings")
            continue
        assert env.loader is not None, "the reply environment loads from its folder"
        try:
            env.loader.get_source(env, name)
        except TemplateNotFound:
            problems.append(f"unknown template {name!r} (only files of reply_templates/{folder.name}/)")
    if problems:
        return problems
    unit, reply_date = SAMPLE_VARIABLES["unit_name"], SAMPLE_VARIABLES["reply_date"]
    assert isinstance(unit, str) and isinstance(reply_date, dt.date), "the sample's unit is a name, its reply a date"
    shown_dates = {reply_date.isoformat()} | {
        format_date(reply_date, format=f, locale=babel_locale) for f in ("full", "long", "medium", "short")
    }
    by_outcome: dict[str, set[str]] = {}
    unmarked = None
    for trial in trial_variables():
        found, token = marks.collecting()
        try:
            out = _run(template, _context(trial), seconds=1.0)
        except TemplateProblem as exc:
            return [f"trial render ({_trial_label(trial)}): {p}" for p in exc.problems]
        finally:
            marks.stop_collecting(token)
        if partial:
            continue
        if trial.get("short"):
            full = _run(template, _context({**trial, "short": False}), seconds=1.0)
            trial = trial if out != full else {**trial, "short": False}  # no short form of its own
        problem = _trial_problem(trial, out, unit, shown_dates)
        if problem:
            return [f"trial render ({_trial_label(trial)}): {problem}"]
        if not trial.get("short") and not trial.get("instant") and not trial.get("is_review"):
            by_outcome.setdefault(trial["outcome"], set()).add(out)
            unmarked = unmarked or (None if found else _trial_label(trial))
    # a reply whose words depend on the outcome must say which sentence is its conclusion
    if unmarked and len({frozenset(v) for v in by_outcome.values()}) > 1:
        return [f'trial render ({unmarked}): the reply must mark its conclusion ({{{{ "…"|conclusion }}}})']
    return []


def _trial_label(trial: dict) -> str:
    if trial.get("short"):
        return "SMS short form"
    if trial.get("instant"):
        return "instant answer"
    return f"outcome={trial['outcome']}, is_xinfang={trial['is_xinfang']}"


def _trial_problem(trial: dict, out: str, unit: str, shown_dates: set[str]) -> str | None:
    """What a complete template's trial render lacks: unit and date; an SMS short enough."""
    if trial.get("short"):
        if len(out) > marks.SMS_MAX:
            return f"the SMS short form is {len(out)} characters long; the limit is {marks.SMS_MAX}: {out!r}"
        if trial["tracking_no"] not in out:
            return "the SMS short form must give the tracking number ({{ tracking_no }})"
        return None
    if unit not in out or not any(d in out for d in shown_dates):
        return "the reply must show the unit name ({{ unit_name }}) and the date ({{ reply_date|date }})"
    return None


def check_all(root: Path | None = None, *, check=None) -> dict[str, list[str]]:
    """Every template file (``"<locale>/<file>.j2"``) with its problems; used by ``complaints replies check``.

    ``check`` is the check of one source (the bounded worker's, from the package); in-process by default."""
    root = root or TEMPLATE_ROOT
    check = check or check_source
    result: dict[str, list[str]] = {}
    for path in sorted(root.glob("*/*.j2")):
        key = f"{path.parent.name}/{path.name}"
        if not _NAME.fullmatch(path.name):
            result[key] = ["file names must look like name.j2 (lower case, digits, underscores)"]
            continue
        source = path.read_text(encoding="utf-8")
        result[key] = check(source, locale=path.parent.name, partial=path.name.startswith("_"), root=root)
    return result


def available_locales(category: str, root: Path | None = None) -> list[str]:
    """Locale folders that have a template file for ``category``, e.g. ``["ug", "zh_Hans"]``."""
    root = root or TEMPLATE_ROOT
    if not isinstance(category, str) or not _NAME.fullmatch(f"{category}.j2") or category.startswith("_"):
        return []
    return sorted(p.parent.name for p in root.glob(f"*/{category}.j2"))


def render(*, category: str, locale: str, variables: dict, source: str | None = None, root: Path | None = None) -> str:
    """The reply text for ``category`` in ``locale``, from the file or from ``source`` (a stored version).

    Raises TemplateMissing (no such file/locale), MissingVariable (names the variable), UnsafeTemplate
    (sandbox or limits) or TemplateProblem (anything else wrong with the template or the variables).
    """
    return _run(_template(category, locale, source, root), _context(variables))


def _template(category: str, locale: str, source: str | None, root: Path | None):
    folder, babel_locale = _resolve(locale, root)
    env = _environment(str(folder), babel_locale)
    if source is None:
        if (
            category.startswith("_")
            or not _NAME.fullmatch(f"{category}.j2")
            or not (folder / f"{category}.j2").is_file()
        ):
            raise TemplateMissing(f"no reply template for category {category!r} in {folder.name}")
        return env.get_template(f"{category}.j2")
    problems = check_source(source, locale=locale, root=root)
    if problems:
        raise TemplateProblem(problems)
    return env.from_string(source)


def conclusions(
    *, category: str, locale: str, variables: dict, source: str | None = None, root: Path | None = None
) -> dict[str, str]:
    """Each outcome's conclusion sentence as the template words it for these variables (same errors as render)."""
    template = _template(category, locale, source, root)
    result = {}
    for outcome in OUTCOMES:
        found, token = marks.collecting()
        try:
            _run(template, _context({**variables, "outcome": outcome, "instant": False, "short": False}))
        finally:
            marks.stop_collecting(token)
        result[outcome] = " ".join(found)
    return result
