"""A call group's retry policy: which outcomes are dialled again later, how often, how long after.

A hotel line that was busy or rang out is worth a second try later (a real guest calls back); one
that answered 403, 404 or 604 is not (the number is wrong or barred: another call proves nothing).
The first result stays the campaign's result (and the estimate's); a retry is an extra call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import PlainValidator

from mystery_core.validate import Invalid, Schema, number, whole_number

RETRYABLE = ("busy", "no_answer", "unavailable")   # unavailable: a 503 from the far end
NEVER_RETRIED = frozenset({403, 404, 604})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """on: the outcomes retried; after_s: the least wait before a retry; max: retries per planned call."""

    on: tuple[str, ...] = ("busy", "no_answer")
    after_s: float = 900.0
    max: int = 1

    def wants(self, outcome: str, sip_status: int | None, retries_so_far: int) -> bool:
        """Whether a call that ended this way, already retried `retries_so_far` times, is dialled again."""
        if retries_so_far >= self.max or sip_status in NEVER_RETRIED:
            return False
        kind = "unavailable" if sip_status == 503 else outcome
        return kind in self.on


def _outcomes(raw: Any) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list | tuple) or not values:
        raise Invalid(f"expected a list of {', '.join(RETRYABLE)}")
    for value in values:
        if value not in RETRYABLE:
            raise Invalid(f"expected one of {', '.join(RETRYABLE)} (403, 404 and 604 are never retried), "
                          f"got {value!r}")
    return tuple(values)


class RetrySchema(Schema):
    """`retry:` on a call group, e.g. {on: [busy, no_answer], after_s: 900, max: 2}."""

    unknown_key: ClassVar[str] = "unknown retry field (known: {known})"
    on: Annotated[tuple[str, ...], PlainValidator(_outcomes)] = ("busy", "no_answer")
    after_s: Annotated[float, PlainValidator(lambda raw: number(raw, "a number of seconds >= 0", minimum=0))] = 900.0
    max: Annotated[int, PlainValidator(lambda raw: whole_number(raw, "a whole number from 1 to 10", minimum=1,
                                                                 maximum=10))] = 1

    def policy(self) -> RetryPolicy:
        return RetryPolicy(self.on, self.after_s, self.max)


def next_open_s(earliest_s: float, runs: list[list[float]] | None) -> float | None:
    """The first moment at or after `earliest_s` inside one of `runs` ([start, end) epoch seconds, in time
    order; None: any moment), or None when every run has passed."""
    if runs is None:
        return earliest_s
    for start, end in runs:
        if earliest_s < end:
            return max(earliest_s, start)
    return None
