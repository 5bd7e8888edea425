"""The reliability of create, read and delete, whatever a kind's PATCH speaks.

Small functions any resource kind can build its operations from (the JSON Patch kinds of
``json_patch`` do; a semantic-patch kind could too). Each keeps one promise of the README's
"Reliability":

* ``naming_the_operation``: every error names the operation and the resource
  (``create metric shop/checkout-completed: LaunchDarkly answered ...``);
* ``create_or_take_over``: a POST is sent again only once a read shows it did not land; a POST
  that did land is continued with; a key that exists is an error suggesting ``adopt=True``,
  or, with ``adopt``, the existing object to take over;
* ``delete_confirmed``: a delete succeeds once the object is seen gone, never twice;
* ``read_or_none``: one GET, None when the object is gone.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def naming_the_operation(operation: str, resource: str) -> Iterator[None]:
    """Every ``LaunchDarklyError`` raised inside names ``operation`` and ``resource`` in front
    (``"create metric shop/checkout-completed: ..."``), keeping its class, attributes and notes;
    an unexpected exception (a bug) is logged with its frames and raised as it is."""
    try:
        yield
    except LaunchDarklyError as exc:
        context = f"{operation} {resource}"
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
        raise error from None
    except Exception as exc:
        frames = "".join(traceback.format_exception(exc, limit=64))
        logger.error("unexpected error in %s %s:\n%s", operation, resource, frames)
        raise


def read_or_none(get: Callable[[], T]) -> T | None:
    """``get()``'s answer, or None when LaunchDarkly answers 404."""
    try:
        return get()
    except NotFoundError:
        return None


def exists_message(noun: str, key: str, where: str) -> str:
    """What a create says when the key is taken by an object this stack does not manage."""
    return (
        f"a {noun} with key {key!r} already exists in {where} and is not managed by this stack; "
        "set adopt=True to take it over (it will be changed to match this declaration), or "
        "choose another key"
    )


def create_or_take_over(
    client: LaunchDarklyClient,
    *,
    post: Callable[[], T],
    get: Callable[[], T],
    is_ours: Callable[[T], bool],
    adopt: bool,
    exists: Callable[[], LaunchDarklyError],
) -> tuple[T, bool]:
    """POST, or find the object to continue with; True when it is an existing one adopted.

    * The POST's outcome unknown (timeout, cut off, 5xx): read before sending it again. Absent:
      POST again (within the client's retry deadline). Present and ``is_ours`` (what was sent):
      our POST landed, continue with it.
    * A 409 or 400: LaunchDarkly answers either for a key that exists (by object kind), and a 400
      for a refused body too; the key's object, if there is one, decides. None: the refusal
      stands. One that is ours after an unknown outcome: continue with it. Else, with ``adopt``,
      take it over; without, ``exists()``.
    """
    window = client.retry_window()
    uncertain = False
    while True:
        try:
            return post(), False
        except OutcomeUnknown as exc:
            logger.warning(
                "a create had an unknown outcome (%s); reading before sending again", exc
            )
            uncertain = True
            existing = read_or_none(get)
            if existing is None:
                window.wait(exc)
                continue
            if is_ours(existing):
                return existing, False
            if adopt:
                return existing, True
            raise exists() from None
        except (ConflictError, InvalidRequestError) as exc:
            existing = read_or_none(get)
            if existing is None:
                raise exc from None
            if uncertain and is_ours(existing):
                return existing, False
            if adopt:
                return existing, True
            raise exists() from None


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
