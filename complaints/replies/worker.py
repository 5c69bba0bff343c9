"""Reply templates render in a small pool of worker processes, each bounded in time and memory.

The sandbox (render.py) meters what a template loops over, multiplies or concatenates, but a single
operation it does not see (comparing two huge lists, ``|max`` over them, ``([s]*100000)|string``) could
run for seconds and take gigabytes inside the caller's process. Here such a template costs at most
RENDER_SECONDS of one worker, which is then killed and replaced, and at most MEMORY_BYTES (the worker's
address-space limit, ``resource.setrlimit``), where the allocation fails and the render is refused.
Workers are forked from a clean server process (forkserver) with the renderer preloaded, and reused, so
a normal reply costs one round trip through a pipe. The callers are plain ``def`` handlers, jobs and
commands: the wait happens in a worker thread, never on the event loop.
"""

from __future__ import annotations

import atexit
import multiprocessing
import queue
import resource
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from complaints.i18n import gettext

from .render import TOO_MUCH_MEMORY, MissingVariable, TemplateMissing, TemplateProblem, UnsafeTemplate
from .render import check_source as _check_in_process
from .render import conclusions as _conclusions_in_process
from .render import render as _render_in_process

RENDER_SECONDS = 3.0  # a whole call: the trial renders of a proposal and the reply itself
MEMORY_BYTES = 512 * 2**20
WORKERS = 2  # the machines are small; a third caller waits for a free worker
WORKER_NAME = "reply-render"


def _answer(kind: str, arguments: dict) -> tuple:
    """Run one call in the worker; the outcome as plain data (exceptions do not cross the pipe intact)."""
    try:
        functions: dict[str, Callable[..., object]] = {
            "check": _check_in_process,
            "conclusions": _conclusions_in_process,
        }
        function = functions.get(kind, _render_in_process)
        return "ok", function(**arguments)
    except MissingVariable as exc:
        return "missing", exc.name
    except UnsafeTemplate as exc:
        return "unsafe", exc.problems
    except TemplateProblem as exc:
        return "problem", exc.problems
    except TemplateMissing as exc:
        return "no_template", str(exc)
    except MemoryError:
        return "unsafe", [TOO_MUCH_MEMORY]
    except Exception as exc:  # noqa: BLE001 - reported as a problem of the template, the worker goes on
        return "problem", [f"template error: {type(exc).__name__}: {exc}"]


def _serve(connection: Connection, memory: int) -> None:
    """A worker's loop: one call at a time until the pool closes the pipe."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    while True:
        try:
            kind, arguments = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(_answer(kind, arguments))


class _TimedOut(Exception):
    pass


class _Worker:
    def __init__(self, context, memory: int) -> None:
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, memory), name=WORKER_NAME, daemon=True)
        self.process.start()
        theirs.close()

    def call(self, kind: str, arguments: dict, seconds: float) -> tuple:
        self.connection.send((kind, arguments))
        if not self.connection.poll(seconds):
            raise _TimedOut
        return self.connection.recv()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()


class RenderPool:
    """Up to `size` workers, started when first needed; a worker that overran or died is replaced."""

    def __init__(self, size: int = WORKERS, *, seconds: float = RENDER_SECONDS, memory: int = MEMORY_BYTES) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["complaints.replies.worker"])
        self._size, self._started = size, 0
        self.seconds, self.memory = seconds, memory
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle.empty() and self._started < self._size:
                self._started += 1
                try:
                    return _Worker(self._context, self.memory)
                except BaseException:
                    self._started -= 1
                    raise
        return self._idle.get()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._started -= 1

    def call(self, kind: str, arguments: dict) -> tuple:
        worker = self._take()
        try:
            answer = worker.call(kind, arguments, self.seconds)
        except _TimedOut:
            self._discard(worker)
            message = gettext("模板在 {seconds} 秒内未能生成，已停止；请简化模板", seconds=format(self.seconds, "g"))
            return "unsafe", [message]
        except (EOFError, OSError):
            self._discard(worker)
            return "unsafe", [gettext("生成模板的进程异常退出（模板可能占用了过多内存）；请简化模板")]
        except BaseException:
            self._discard(worker)  # interrupted mid-call: the worker's state is unknown
            raise
        self._idle.put(worker)
        return answer

    def close(self) -> None:
        with self._lock:
            while not self._idle.empty():
                self._idle.get().kill()
                self._started -= 1


_pool: RenderPool | None = None
_pool_lock = threading.Lock()


def pool() -> RenderPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = RenderPool()
            atexit.register(_pool.close)
        return _pool


def _problems(answer: tuple) -> list[str]:
    outcome, value = answer
    if outcome == "missing":
        return [str(MissingVariable(value))]
    return [value] if isinstance(value, str) else list(value)


def check_source(
    source: str, *, locale: str, partial: bool = False, root: Path | None = None, workers: RenderPool | None = None
) -> list[str]:
    """render.check_source in a bounded worker: the problems that make `source` unusable (empty: fine),
    a template that cannot render within the bounds among them."""
    answer = (workers or pool()).call("check", {"source": source, "locale": locale, "partial": partial, "root": root})
    return answer[1] if answer[0] == "ok" else _problems(answer)


def render(
    *,
    category: str,
    locale: str,
    variables: dict,
    source: str | None = None,
    root: Path | None = None,
    workers: RenderPool | None = None,
) -> str:
    """render.render in a bounded worker, raising the same errors; past the bounds, UnsafeTemplate."""
    return _call("render", workers, category=category, locale=locale, variables=variables, source=source, root=root)


def conclusions(
    *,
    category: str,
    locale: str,
    variables: dict,
    source: str | None = None,
    root: Path | None = None,
    workers: RenderPool | None = None,
) -> dict[str, str]:
    """render.conclusions in a bounded worker: each outcome's marked conclusion sentence."""
    return _call(
        "conclusions", workers, category=category, locale=locale, variables=variables, source=source, root=root
    )


def _call(kind: str, workers: RenderPool | None, **arguments):
    outcome, value = (workers or pool()).call(kind, arguments)
    if outcome == "ok":
        return value
    if outcome == "missing":
        raise MissingVariable(value)
    if outcome == "no_template":
        raise TemplateMissing(value)
    raise (UnsafeTemplate if outcome == "unsafe" else TemplateProblem)(value)
