"""A late policy, applied by ``grade export`` only (the gradebook and the reports keep the earned score).

Whether a submission is late comes from the LMS:

* its own flag: Canvas writes ``LATE`` into the names of late submissions;
* its time, against ``--due``: Blackboard's attempt time (in its name, the
  server's local time) and Gradescope's ``created_at`` (with its zone).  A due
  date without a zone is read in the submission's zone, and the reverse.

The policy (``--late-penalty``, ``--late-cap``):

* ``10%``: a late submission loses 10% of the points possible, once;
* ``10%/day``: 10% per day late, each started day counting (1 minute late is
  1 day; 24 h 1 min is 2): needs the submission time and ``--due``;
* ``2`` or ``2/day``: points instead of percent;
* ``--late-cap 50%`` (or points): the most a penalty takes;
* the score never goes below 0.

A per-day penalty for a submission whose time the LMS does not give (Canvas:
a flag only) is refused rather than guessed.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional

from grader.intake.submission import UsageError

_AMOUNT = re.compile(r"^\s*(?P<value>[0-9]+(?:\.[0-9]+)?)\s*(?P<percent>%?)\s*(?P<per_day>/\s*days?)?\s*$", re.IGNORECASE)
DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Amount:
    """A number of points, or a percentage of the points possible; per day or once."""

    value: float
    percent: bool
    per_day: bool = False

    def points(self, possible: float, days: int = 1) -> float:
        base = self.value * possible / 100.0 if self.percent else self.value
        return base * (days if self.per_day else 1)


@dataclass(frozen=True)
class Policy:
    penalty: Optional[Amount] = None
    cap: Optional[Amount] = None
    due: Optional[datetime] = None


@dataclass(frozen=True)
class Lateness:
    """What the LMS says of one submission: late or not (None: it does not say), and days late when it gives a time."""

    late: Optional[bool]
    days: Optional[int]


def parse_amount(text: str, option: str, per_day: bool = True) -> Amount:
    """'10%', '10%/day', '2', '2/day' -> Amount; UsageError otherwise."""
    match = _AMOUNT.match(text)
    if not match or (match["per_day"] and not per_day):
        allowed = "10%, 10%/day, 2 or 2/day" if per_day else "50% or 5"
        raise UsageError(f"{option} expects an amount such as {allowed}, found {text!r}")
    return Amount(float(match["value"]), bool(match["percent"]), bool(match["per_day"]))


def parse_due(text: str) -> datetime:
    """'2026-03-02 23:59' or '2026-03-02T23:59:00+09:00' -> datetime; UsageError otherwise."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--due expects a date and time such as 2026-03-02T23:59 or 2026-03-02T23:59+09:00, found {text!r}") from None


def lateness(identity: Optional[Mapping[str, Any]], due: Optional[datetime]) -> Lateness:
    """Late or not, and days late, for a results.jsonl record's ``lms`` identity."""
    if not isinstance(identity, Mapping):
        return Lateness(None, None)
    flag = identity.get("late")
    flag = flag if isinstance(flag, bool) else None
    submitted = _time(identity.get("submitted_at"))
    if due is None or submitted is None:
        return Lateness(flag, None)
    if (submitted.tzinfo is None) != (due.tzinfo is None):
        if submitted.tzinfo is None:
            submitted = submitted.replace(tzinfo=due.tzinfo)
        else:
            due = due.replace(tzinfo=submitted.tzinfo)
    seconds = (submitted - due).total_seconds()
    if seconds <= 0:
        return Lateness(False, 0)
    return Lateness(True, math.ceil(seconds / DAY_SECONDS))


def _time(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def penalty(policy: Policy, late: Lateness, score: float, possible: float) -> Optional[float]:
    """The points a late submission loses (0 when on time), never more than ``score`` nor the cap;
    None when the policy counts days and the LMS gave no time to count them from."""
    if policy.penalty is None or late.late is not True:
        return 0.0
    if policy.penalty.per_day and late.days is None:
        return None
    amount = policy.penalty.points(possible, late.days or 1)
    if policy.cap is not None:
        amount = min(amount, policy.cap.points(possible))
    return round(min(amount, max(score, 0.0)), 6)
