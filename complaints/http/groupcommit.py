"""Group commit: writes that arrive while one batch is being written wait for the next batch, and each batch
is one transaction with one durable commit.

The busiest write, registration, is one small insert behind a durable commit: on SQLite (WAL, synchronous
FULL) the commit syncs the log, on PostgreSQL it waits for the log to be flushed, and every other write in
the process waits for that turn. Written one by one, requests queue behind each other's sync. Written as a
batch, the sync is paid once for everyone waiting, and each request is still answered only after the commit
that holds its item has returned: nothing is acknowledged that a power cut could lose.

A batch is taken when the process's write turn is free (http.session.write_turn), so under light load a
batch is the one request that came and nothing waits for a timer; under heavy load it is everyone who came
while the last batch was written (at most `max_batch`). What a batch's writer returns or raises is each
request's own: the writer gives one outcome per entry (a result or an exception), so one failing entry
fails its own request only (see api.complaints' writer, which writes the others again without it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from fastapi.concurrency import run_in_threadpool

E = TypeVar("E")
R = TypeVar("R")


class GroupCommit(Generic[E, R]):
    """`await submit(entry)` returns the entry's outcome from `write(batch)`, run in the thread pool, one
    batch at a time per process, each within the write turn `turns` (None: no turn to share)."""

    def __init__(
        self,
        write: Callable[[list[E]], Sequence[R | BaseException]],
        *,
        turns: Callable[[], asyncio.Semaphore | None],
        max_batch: int = 100,
    ) -> None:
        self._write, self._turns, self.max_batch = write, turns, max_batch
        self._waiting: list[tuple[E, asyncio.Future]] = []
        self._drain: asyncio.Task | None = None
        self.batches = 0  # batches written, for the metrics and the tests

    async def submit(self, entry: E) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._waiting.append((entry, future))
        if self._drain is None or self._drain.done() or self._drain.get_loop() is not loop:
            self._drain = loop.create_task(self._drain_waiting())
        # a request cancelled here (the client went away) is dropped if its batch has not started, and written
        # with it if it has (as a write already handed to the thread pool is); the others are not affected
        return await future

    async def _drain_waiting(self) -> None:
        try:
            while self._waiting:
                turns = self._turns()
                if turns is None:
                    await self._write_next()
                else:
                    async with turns:  # whoever arrives while we wait for the turn joins this batch
                        await self._write_next()
        except BaseException as error:  # the drain itself failed: nobody waiting may be left hanging
            waiting, self._waiting = self._waiting, []
            for _, future in waiting:
                if not future.done():
                    future.cancel() if isinstance(error, asyncio.CancelledError) else future.set_exception(error)
            raise

    async def _write_next(self) -> None:
        # a caller that went away while it waited is not written (as before it took a turn): it never learnt
        # its tracking number, and a retry would register the item twice
        self._waiting = [(entry, future) for entry, future in self._waiting if not future.done()]
        batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        if not batch:
            return
        try:
            outcomes = await run_in_threadpool(self._write, [entry for entry, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} entries had {len(outcomes)} outcomes")
        except asyncio.CancelledError:  # the loop is stopping: so are the requests waiting for this batch
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:  # the writer itself failed: every request of this batch fails with it
            outcomes = [error] * len(batch)
        self.batches += 1
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # its request was cancelled
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
