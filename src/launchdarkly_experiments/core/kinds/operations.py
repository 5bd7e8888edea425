"""Pieces of a reliable create, update and delete that any kind's operations can use.

The README's "Reliability" promises, for every kind, in small functions:

* ``operation_errors``: every error names the operation and the resource
  (``create holdout shop/dev/q1: LaunchDarkly answered 400 ...``);
* ``create_once``: a POST that is never sent twice blindly. After an unknown outcome the key is
  read back first; a create that landed continues with what exists when it is what was sent. A
  key that exists is taken over only when the kind says so (``adopt``, or a kind's own reason),
  else ``exists_error`` names it and suggests ``adopt=True``;
* ``read_or_none``: one GET, None when the object is gone;
* ``delete_confirmed``: a delete succeeds once the object is seen gone, never twice;
* ``converge``: writes planned one step at a time from the live object until nothing is left to
  do; after an unknown outcome or a conflict it reads back and plans again, so nothing is applied
  twice, and the state it returns is the last write's answer or one read.

The kind supplies the I/O as callables (``post``, ``find``, ``send``, ``read``) and the
decisions (``is_ours``, ``take_over``, ``plan``); these functions hold the control flow only.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TypeVar

from ...errors import (
    APIError,
    ChangeRefused,
    ConflictError,
    InvalidRequestError,
    LaunchDarklyError,
    NotFoundError,
    OutcomeUnknown,
)
from ...http.client import LaunchDarklyClient

logger = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S")

#: Writes one operation may make before it gives up (a plan that never settles is a bug or a
#: concurrent writer).
MAX_STEPS = 8


# -- errors -----------------------------------------------------------------------------------


@contextmanager
def operation_errors(operation: str, subject: str) -> Iterator[None]:
    """Name the operation and the resource (``subject``: ``holdout shop/dev/q1``) in every
    error raised inside, keeping its type, attributes and notes."""
    try:
        yield
    except LaunchDarklyError as exc:
        raise named_error(exc, f"{operation} {subject}") from None
    except Exception as exc:
        # A bug, not a LaunchDarkly answer: keep its frames on stderr (the engine shows it)
        # whatever sys.tracebacklimit the adapter set, then let the caller report it.
        frames = "".join(traceback.format_exception(exc, limit=64))
        logger.error("unexpected error in %s %s:\n%s", operation, subject, frames)
        raise


def named_error(exc: LaunchDarklyError, context: str) -> LaunchDarklyError:
    """``exc`` told with ``context`` in front, notes kept."""
    error: LaunchDarklyError
    if isinstance(exc, APIError):
        error = exc.with_context(context)
    elif isinstance(exc, ChangeRefused):
        error = LaunchDarklyError(f"{context}: {exc}")
    else:
        error = type(exc).__new__(type(exc))
        error.__dict__.update({k: v for k, v in vars(exc).items() if k != "__notes__"})
        error.args = (f"{context}: {exc}",)
    for note in getattr(exc, "__notes__", ()):
        error.add_note(note)
    return error


def exists_error(noun: str, key: str, where: str, path: str = "") -> ConflictError:
    """A key that exists and is not this stack's: name it and say how to take it over
    (``path``: the collection the POST went to)."""
    return ConflictError(
        409,
        "conflict",
        f"a {noun} with key {key!r} already exists in {where} and is not managed by this stack; "
        "set adopt=True to take it over (it will be changed to match this declaration), or "
        "choose another key",
        method="POST",
        path=path or f"{noun}s",
    )


def read_or_none(get: Callable[[], T]) -> T | None:
    """``get()``'s answer, or None when LaunchDarkly answers 404."""
    try:
        return get()
    except NotFoundError:
        return None


# -- create -----------------------------------------------------------------------------------


class Origin(StrEnum):
    """Where the object a create continues with came from."""

    CREATED = "created"  # this POST made it
    OURS = "ours"  # an earlier POST of this create, whose outcome was unknown, made it
    TAKEN_OVER = "taken over"  # it existed before: adopted (or a kind's own reason)


def create_once(
    client: LaunchDarklyClient,
    subject: str,
    *,
    post: Callable[[], T],
    find: Callable[[], T | None],
    is_ours: Callable[[T], bool],
    take_over: Callable[[T], bool],
    exists: Callable[[], LaunchDarklyError],
) -> tuple[T, Origin]:
    """POST once, or find what to continue with; the object and where it came from.

    ``find`` reads the key's object (None: there is none); ``is_ours`` says whether an object
    is the one this create sent; ``take_over`` whether to continue with one that existed (it
    may raise to refuse with its own message); ``exists`` is the error otherwise. A refused
    POST (400 or 409: LaunchDarkly's answer to a duplicate key varies by route) whose key has
    no object is a genuine refusal and is raised as it is.
    """
    window = client.retry_window()
    uncertain = False
    while True:
        try:
            return post(), Origin.CREATED
        except OutcomeUnknown as exc:
            logger.warning("create of %s had an unknown outcome (%s); checking", subject, exc)
            uncertain = True
            existing = find()
            if existing is None:
                window.wait(exc)  # it did not land: sending it again is safe
                continue
            if is_ours(existing):
                return existing, Origin.OURS
            if take_over(existing):
                return existing, Origin.TAKEN_OVER
            raise exists() from None
        except (ConflictError, InvalidRequestError):
            existing = find()
            if existing is None:
                raise
            if uncertain and is_ours(existing):
                return existing, Origin.OURS  # our earlier POST landed after all
            if take_over(existing):
                return existing, Origin.TAKEN_OVER
            raise exists() from None


# -- update and delete ------------------------------------------------------------------------


def converge(
    client: LaunchDarklyClient,
    *,
    live: T,
    fresh: bool,
    plan: Callable[[T], S | None],
    send: Callable[[S], T],
    read: Callable[[], T],
    describe: Callable[[S], str] = str,
) -> T:
    """Write step by step until ``plan`` finds nothing left; the live object at the end.

    ``live`` is where planning starts: ``fresh`` when just read or written, else from state,
    which may be stale. ``plan`` gives the next write (None: done), ``send`` makes it and
    returns the answer (the live object after it), ``read`` reads the object. Nothing is
    applied twice: an unknown outcome or a conflict reads back and plans again, and a refusal
    of a write planned on state is planned again on a fresh read (raised if the plan stays the
    same). Done on a stale object reads once, so what is returned matches the server. A failure
    after some writes landed says which.
    """
    window = client.retry_window()
    applied: list[str] = []
    try:
        while True:
            step = plan(live)
            if step is None:
                if fresh:
                    return live
                live, fresh = read(), True
                continue
            if len(applied) >= MAX_STEPS:
                raise LaunchDarklyError(
                    f"did not reach the declared state after {MAX_STEPS} writes; run "
                    "`pulumi refresh` and try again"
                )
            try:
                live, fresh = send(step), True
            except (OutcomeUnknown, ConflictError) as exc:
                # Applied or not? Re-read and re-plan: nothing is applied twice.
                window.wait(exc)
                live, fresh = read(), True
                continue
            except InvalidRequestError:
                if fresh:
                    raise
                live, fresh = read(), True
                if plan(live) == step:
                    raise  # refused on fresh state too: LaunchDarkly's message stands
                continue
            applied.append(describe(step))
    except LaunchDarklyError as exc:
        if applied:
            exc.add_note(
                f"Already applied in LaunchDarkly before this failure: {'; '.join(applied)}. "
                "Run `pulumi refresh` to record it in the stack's state."
            )
        raise


def delete_confirmed(
    client: LaunchDarklyClient, *, delete: Callable[[], object], get: Callable[[], object]
) -> None:
    """DELETE; return once the object is gone. Already gone (404) is done; an unknown outcome
    is read back: gone is done, still there is deleted again (within the retry deadline)."""
    window = client.retry_window()
    while True:
        try:
            delete()
            return
        except NotFoundError:
            return
        except OutcomeUnknown as exc:
            if read_or_none(get) is None:
                return
            window.wait(exc)
