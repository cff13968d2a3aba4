"""Everything that can go wrong while delivering outbox messages, in one hierarchy::

    DeliveryProblem
    ├── DeliveryError          one send failed; says whether trying again can help
    └── WorkerError            the worker cannot run at all
        ├── WorkerLockHeld     SQLite: another worker already drains this outbox
        └── ScheduleError      a delivery setting (digest schedule, quiet hours) is malformed

Senders raise :class:`DeliveryError` and nothing else: the platform bridges translate
their SDK's exceptions, so the worker decides retry-or-dead from two fields alone.
"""

from __future__ import annotations


class DeliveryProblem(Exception):
    """Base of every delivery error."""


class DeliveryError(DeliveryProblem):
    """A message could not be sent.

    ``retryable`` is False when sending again cannot succeed (unknown recipient, the
    bot was blocked, a malformed message); ``retry_after`` is the wait in seconds the
    platform asked for, if it said.
    """

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"DeliveryError({self.reason!r}, retryable={self.retryable}, "
            f"retry_after={self.retry_after})"
        )


def permanent(reason: str) -> DeliveryError:
    return DeliveryError(reason, retryable=False)


def transient(reason: str, retry_after: float | None = None) -> DeliveryError:
    return DeliveryError(reason, retryable=True, retry_after=retry_after)


class WorkerError(DeliveryProblem):
    """The delivery worker or scheduler cannot start or go on."""


class WorkerLockHeld(WorkerError):
    """Another worker holds the single-worker lock of a SQLite database."""


class ScheduleError(WorkerError):
    """TIERBOT_DIGEST_SCHEDULE or TIERBOT_QUIET_HOURS cannot be read."""
