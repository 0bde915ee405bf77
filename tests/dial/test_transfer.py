"""Which leg is the call after a REFER (mystery.dial.transfer), on plain objects standing for pjsua2 calls."""

from __future__ import annotations

from mystery.dial.transfer import Transfers


class Leg:
    def __init__(self, name: str) -> None:
        self.name = name


def test_the_new_leg_is_the_call_from_its_first_state_and_the_old_legs_end_changes_nothing():
    first, second = Leg("desk"), Leg("reservations")
    legs = Transfers(first)
    assert "" == legs.refusal(first, follow=True, hanging_up=False)
    legs.accept(first, second, "sip:reservations@hotel", 10.0)
    assert "switch" == legs.on_state(second, 10.1, confirmed=False, disconnected=False, status=None)
    assert legs.current is second
    assert "" == legs.on_state(second, 11.0, confirmed=True, disconnected=False, status=200)
    assert "" == legs.on_state(first, 11.2, confirmed=False, disconnected=True, status=200)   # the desk hangs up
    assert legs.current is second
    assert "ended" == legs.on_state(second, 20.0, confirmed=False, disconnected=True, status=200)
    (hop,) = legs.summary(9.0)
    assert {"target": "sip:reservations@hotel", "requested_t_s": 1.0, "answered_t_s": 2.0, "ended_t_s": 11.0,
            "final_status": 200} == hop


def test_a_target_that_refuses_gives_the_call_back_to_the_first_leg():
    first, second = Leg("desk"), Leg("busy")
    legs = Transfers(first)
    legs.accept(first, second, "sip:busy@hotel", 5.0)
    assert "switch" == legs.on_state(second, 5.1, confirmed=False, disconnected=False, status=None)
    assert "back" == legs.on_state(second, 5.5, confirmed=False, disconnected=True, status=486)
    assert legs.current is first
    assert "ended" == legs.on_state(first, 9.0, confirmed=False, disconnected=True, status=200)


def test_a_transferor_that_hangs_up_before_the_new_leg_reports_hands_over_to_it():
    first, second = Leg("desk"), Leg("reservations")
    legs = Transfers(first)
    legs.accept(first, second, "sip:reservations@hotel", 5.0)
    assert "switch" == legs.on_state(first, 5.05, confirmed=False, disconnected=True, status=200)
    assert legs.current is second
    assert [second] == legs.live_legs([first, second])


def test_refer_is_declined_when_not_followed_while_hanging_up_off_the_call_or_past_three_hops():
    first = Leg("desk")
    legs = Transfers(first, max_hops=3)
    assert "not followed" == legs.refusal(first, follow=False, hanging_up=False)
    assert "the dialer is hanging up" == legs.refusal(first, follow=True, hanging_up=True)
    assert "not on the current call" == legs.refusal(Leg("other"), follow=True, hanging_up=False)
    current = first
    for n in range(3):
        new = Leg(f"hop{n}")
        legs.accept(current, new, f"sip:{n}@hotel", float(n))
        assert "a transfer is already under way" == legs.refusal(current, follow=True, hanging_up=False)
        legs.on_state(new, n + 0.1, confirmed=True, disconnected=False, status=200)
        current = new
    assert "more than 3 transfers" == legs.refusal(current, follow=True, hanging_up=False)
