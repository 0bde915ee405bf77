"""A far end's REFER (RFC 3515, a blind or attended transfer): which call is the call now.

A receptionist who transfers the caller to reservations sends REFER; a caller's phone accepts
it, calls the target and keeps talking there. The dialer does the same, so the audit measures
what a caller lives through. pjsip places the new call; this module only decides, from call
states, which leg the dialer records, plays into and hangs up: the new leg from its first state,
the old one again if the new leg fails while the old is still up. Pure: the legs are opaque.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_TRANSFERS = 3   # REFERs followed in one call; a fourth is declined (603), like a fourth 3xx hop


@dataclass(slots=True)
class Hop:
    """One accepted REFER: the leg it came on, the leg placed to its target, and when things happened."""

    target: str
    requested_at: float
    from_leg: Any
    to_leg: Any
    switched_at: float | None = None     # the new leg became the call (its first state)
    answered_at: float | None = None
    ended_at: float | None = None
    final_status: int | None = None


class Transfers:
    """The legs of one dialled call and which of them is current."""

    def __init__(self, first_leg: Any, max_hops: int = MAX_TRANSFERS) -> None:
        self.current = first_leg
        self.max_hops = max_hops
        self.hops: list[Hop] = []
        self._ended: list[Any] = []

    def ended(self, leg: Any) -> bool:
        return any(leg is other for other in self._ended)

    def refusal(self, leg: Any, follow: bool, hanging_up: bool) -> str:
        """Why a REFER on `leg` is declined, or "" to accept it."""
        if not follow:
            return "not followed"
        if hanging_up:
            return "the dialer is hanging up"
        if leg is not self.current:
            return "not on the current call"
        if self.hops and self.hops[-1].switched_at is None and self.hops[-1].ended_at is None:
            return "a transfer is already under way"
        if len(self.hops) >= self.max_hops:
            return f"more than {self.max_hops} transfers"
        return ""

    def accept(self, leg: Any, new_leg: Any, target: str, now: float) -> Hop:
        hop = Hop(target=target, requested_at=now, from_leg=leg, to_leg=new_leg)
        self.hops.append(hop)
        return hop

    def on_state(self, leg: Any, now: float, confirmed: bool, disconnected: bool, status: int | None) -> str:
        """Update on a leg's state change; returns what the dialer must do:

        "switch": the new leg is now the call (connect its media, play into it);
        "back": the new leg failed while the old one is up, which is the call again;
        "ended": the current leg ended and no other leg is left: the call is over;
        "": nothing changes for the dialer.
        """
        hop = next((h for h in self.hops if h.to_leg is leg), None)
        if hop is not None:
            if confirmed and hop.answered_at is None:
                hop.answered_at = now
            if disconnected:
                hop.ended_at, hop.final_status = now, status
        if disconnected:
            self._ended.append(leg)
        if hop is not None and hop.switched_at is None and not disconnected:
            hop.switched_at = now
            self.current = leg
            return "switch"
        if not disconnected or leg is not self.current:
            return ""
        if hop is not None and not self.ended(hop.from_leg):
            self.current = hop.from_leg     # the target refused or never answered; the first call goes on
            return "back"
        pending = next((h for h in self.hops if h.from_leg is leg and not self.ended(h.to_leg)), None)
        if pending is not None:
            # the transferor hung up before the new leg reported any state
            pending.switched_at = now
            self.current = pending.to_leg
            return "switch"
        return "ended"

    def live_legs(self, legs: list[Any]) -> list[Any]:
        """The legs of `legs` that have not ended (to hang up at shutdown)."""
        return [leg for leg in legs if not self.ended(leg)]

    def summary(self, t0: float) -> list[dict[str, Any]]:
        """The hops for the call result, times in seconds from the first INVITE."""
        def rel(t: float | None) -> float | None:
            return None if t is None else round(t - t0, 4)

        return [{"target": h.target, "requested_t_s": rel(h.requested_at), "answered_t_s": rel(h.answered_at),
                 "ended_t_s": rel(h.ended_at), "final_status": h.final_status} for h in self.hops]
