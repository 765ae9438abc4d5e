"""The failure policy of a batch run: when failures stop it (:class:`FailureBudget`) and what
stopping means (:data:`OnFailure`).

**The budget rule** is Ansible's ``max_fail_percentage``: the run stops when the share of failed
items *exceeds* the percentage, strictly; reaching it exactly does not stop the run ("the percentage
set must be exceeded, not equaled"). The denominator is the **planned total** of items, not the
items completed so far, so two early failures out of a planned thousand weigh 0.2 %, not 100 %.
In integers: stop once ``failed * 100 > max_fail_percentage * total``; the most failures a run
tolerates is ``floor(max_fail_percentage * total / 100)`` (:attr:`FailureBudget.allowed`).
``0`` stops at the first failure; ``100`` never stops. The rule is evaluated as items finish
(:meth:`FailureBudget.record`), and the engine asks :meth:`FailureBudget.exceeded` before starting
each item. An item counts once, with its outcome after all its retries.

**What a failure does** (``on_failure`` of a BatchPlan)::

    continue   failures do not stop the run; every item runs and the report lists the failed
               ones (exit 1). Only an explicit max_fail_percentage stops it early.
    halt       the run stops starting items at the first failure (or, with max_fail_percentage,
               once the budget is exceeded); items already in flight finish and are recorded
               (their outcomes count too); items never started are reported as skipped. Nothing
               is undone. In-flight items are not cancelled: each is one journaled step, and
               cutting one mid-write leaves more to repair than letting it end.
    rollback   halt, then restore the run's snapshots in reverse order (as `mcpctl rollback RUN`).
               A run that ends without stopping (failures within the budget) is not rolled back.

Ctrl-C is not a failure policy: the engine cancels or drains in-flight items as DESIGN.md §5 says.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from mcpctl.spec.units import Percent

OnFailure = Literal["rollback", "continue", "halt"]
"""What a batch run does when failures stop it (see the module docstring)."""


def _exact(percentage: float | Percent) -> Fraction:
    # Fraction(str(...)) keeps the decimal as written: 0.29 * 100 in floats is 28.999999999999996
    if isinstance(percentage, Percent):
        return Fraction(str(percentage.fraction)) * 100
    return Fraction(str(percentage))


class FailureBudget:
    """Counts finished items and answers whether failures exceed ``max_fail_percentage`` of ``total``.

    ``max_fail_percentage`` is in percent (``25`` or ``Percent(fraction=0.25)``); ``None`` means no
    limit. Not thread-safe, and needs not be: trio tasks of one run share it between checkpoints.
    """

    __slots__ = ("_allowed", "_limit", "failed", "max_fail_percentage", "succeeded", "total")

    def __init__(self, *, max_fail_percentage: float | Percent | None, total: int) -> None:
        if total < 0:
            raise ValueError(f"the planned total cannot be negative: {total}")
        self._limit = None if max_fail_percentage is None else _exact(max_fail_percentage)
        if self._limit is not None and not 0 <= self._limit <= 100:
            raise ValueError(f"max_fail_percentage must be between 0 and 100: {float(self._limit):g}")
        self.max_fail_percentage = max_fail_percentage
        self.total = total
        self.failed = 0
        self.succeeded = 0
        # failed * 100 > limit * total  <=>  failed > floor(limit * total / 100), failed being whole
        self._allowed = None if self._limit is None else int(self._limit * total // 100)

    @classmethod
    def for_plan(
        cls, *, on_failure: OnFailure, max_fail_percentage: float | Percent | None, total: int
    ) -> FailureBudget:
        """The budget a plan implies: its ``max_fail_percentage`` when set; otherwise ``halt`` and
        ``rollback`` stop at the first failure (0 %) and ``continue`` never stops."""
        if max_fail_percentage is None and on_failure != "continue":
            max_fail_percentage = 0
        return cls(max_fail_percentage=max_fail_percentage, total=total)

    @property
    def completed(self) -> int:
        """Items finished so far, failed or not."""
        return self.failed + self.succeeded

    @property
    def remaining(self) -> int:
        """Planned items not finished yet (in flight or not started)."""
        return self.total - self.completed

    @property
    def allowed(self) -> int | None:
        """The most failures that do not stop the run; ``None`` without a limit."""
        return self._allowed

    def record(self, *, ok: bool) -> None:
        """Count one finished item (its outcome after all retries)."""
        if self.completed >= self.total:
            raise ValueError(f"more outcomes recorded than the {self.total} items planned")
        if ok:
            self.succeeded += 1
        else:
            self.failed += 1

    def exceeded(self) -> bool:
        """Failures are strictly more than ``max_fail_percentage`` of the planned total."""
        return self._allowed is not None and self.failed > self._allowed

    def describe(self) -> str:
        """One line for the user: the failures and, once exceeded, the limit they went past."""
        share = f"{float(Fraction(self.failed * 100, self.total or 1)):.4g}%"
        counted = f"{self.failed} of {self.total} items failed ({share})"
        if not self.exceeded():
            return counted
        limit = f"{float(self._limit or 0):g}%"
        return f"{counted}: more than max_fail_percentage {limit} allows ({self.allowed}); stopping"
