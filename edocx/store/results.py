"""A request's result, handed over in the transaction that completes its change.

The code that makes a change calls :func:`completed` in the last write
transaction of that change, with the value it is about to return. Whoever
waits for it (an ``Idempotency-Key``, which keeps the request's answer) can
then write what it needs in that same transaction, so that the change and
its answer commit together: a stop of the process never keeps one without
the other.

A caller that turns a callee's result into its own (a packet's import
around the relay of its document) says how with :func:`results_as`; one
whose own later transaction completes the change withholds the callee's
(:func:`results_withheld`). Both
stay with the task that set them, as :func:`edocx.store.db.first_write_runs`
does: tasks started meanwhile run their own transactions.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from edocx.store.db import Tx


class Taker(Protocol):
    """What waits for a request's result."""

    def take(self, tx: Tx, result: object) -> None: ...


_Owned = tuple[Taker, "asyncio.Task[Any] | None"]
_taker: contextvars.ContextVar[_Owned | None] = contextvars.ContextVar(
    "edocx_result_taker", default=None
)


@contextmanager
def results_to(taker: Taker) -> Iterator[None]:
    """Hand the results completed in this task to ``taker``."""
    token = _taker.set((taker, asyncio.current_task()))
    try:
        yield
    finally:
        _taker.reset(token)


@contextmanager
def results_as(convert: Callable[[Any], object]) -> Iterator[None]:
    """Have results completed inside this block reach the taker converted."""
    outer = _here()
    if outer is None:
        yield
        return
    with results_to(_Converting(outer, convert)):
        yield


@contextmanager
def results_withheld() -> Iterator[None]:
    """Keep the results completed inside this block from the taker.

    For a change that a later transaction of the caller completes.
    """
    if _here() is None:
        yield
        return
    with results_to(_Withholding()):
        yield


def completed(tx: Tx, result: object) -> None:
    """Say that ``tx`` completes the change whose result is ``result``."""
    taker = _here()
    if taker is not None:
        taker.take(tx, result)


def _here() -> Taker | None:
    owned = _taker.get()
    if owned is None or owned[1] is not asyncio.current_task():
        return None
    return owned[0]


class _Converting:
    def __init__(self, outer: Taker, convert: Callable[[Any], object]) -> None:
        self._outer, self._convert = outer, convert

    def take(self, tx: Tx, result: object) -> None:
        self._outer.take(tx, self._convert(result))


class _Withholding:
    def take(self, tx: Tx, result: object) -> None:
        del tx, result
