"""Sending Celery tasks from work that has been stored: never fail, never wait.

The database rows are the truth, the queue only wakes workers up. So a message that cannot
be sent (the broker is down or slow) is logged and dropped: the periodic scheduling round and
the sweepers find the rows and dispatch them again. No result backend is touched, so a
result store that is down cannot block or fail the request either.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def dispatch(task, *args) -> bool:
    """Send `task(*args)` now, fire and forget; False (and a warning) when it could not go.

    In eager mode (the tests) the task runs in place and its errors propagate, as they must.
    """
    if task.app.conf.task_always_eager:
        task.apply(args=args, throw=True)
        return True
    try:
        task.apply_async(args=args, ignore_result=True, retry=False)
    except Exception as error:  # noqa: BLE001  (any broker failure: the sweepers resend)
        logger.warning("could not send %s%r, the sweepers will: %s", task.name, args, error)
        return False
    return True


def dispatch_on_commit(task, *args) -> None:
    """Send the task once the current transaction has committed (at once outside one)."""
    transaction.on_commit(lambda: dispatch(task, *args))
