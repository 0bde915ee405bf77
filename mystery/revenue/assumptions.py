"""The named assumptions of the lost-revenue model, each with a default, a range and a source.

A director will ask "where does that number come from?": every value the model uses is a
`Parameter` that carries its own source, and the report prints them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainValidator

from mystery.scenario.volume import default_hotel_profile, volume_table
from mystery_core.validate import Invalid, Schema, number, time_zone, validate, whole_number
from mystery_core.yamlfile import LocatedYaml

DISTRIBUTIONS = ("fixed", "uniform", "log_uniform")
"""How Monte Carlo draws a parameter: not at all, uniformly in [low, high], or log-uniformly."""

@dataclass(frozen=True, slots=True)
class Parameter:
    """One assumption: central `value`, the range `[low, high]` it is drawn from, and why.

    `distribution` is one of DISTRIBUTIONS; a "fixed" parameter has low == high == value and
    takes no part in the Monte Carlo or the tornado chart.
    """

    symbol: str
    label: str
    value: float
    low: float
    high: float
    distribution: str
    unit: str
    source: str

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"{self.symbol}: distribution must be one of {DISTRIBUTIONS}, got {self.distribution!r}")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"{self.symbol}: expected low <= value <= high, got {self.low}, {self.value}, {self.high}")
        if self.distribution == "log_uniform" and self.low <= 0:
            raise ValueError(f"{self.symbol}: a log-uniform range must be positive, got low={self.low}")

    @property
    def uncertain(self) -> bool:
        """True when the parameter is drawn in the Monte Carlo (and gets a tornado bar)."""
        return self.distribution != "fixed" and self.high > self.low

    def with_value(self, value: float) -> Parameter:
        """The same parameter at another central value (range widened if needed)."""
        return dataclasses.replace(self, value=value, low=min(self.low, value), high=max(self.high, value))


def fixed(symbol: str, label: str, value: float, unit: str, source: str) -> Parameter:
    """A parameter the model takes as given (client figure or configured choice)."""
    return Parameter(symbol, label, value, value, value, "fixed", unit, source)


DEFAULT_HANDLING_MULTIPLIERS: tuple[tuple[str, float], ...] = (
    ("availability", 0.6),           # ids of the shipped checklist (mystery/score/checklists)
    ("rate", 0.75),
    ("contact_details", 0.9),
)
"""Checklist item -> conversion multiplier when the agent missed it (model section 3)."""

SOURCE_PATIENCE = (
    "Exponential patience, Erlang-A: Garnett, Mandelbaum & Reiman, M&SOM 4(3), 2002; "
    "Mandelbaum & Zeltyn on patience estimation. Range 60-300 s, log-uniform."
)
SOURCE_CONVERSION = (
    "Hospitality call-centre studies (HTC / Cloud5): booking-call conversion ~27 % gross, ~36 % net "
    "of non-sales calls. Range +/-20 %."
)


@dataclass(frozen=True, slots=True)
class Assumptions:
    """Every input of the model that is not measured by the mystery calls.

    `calls_per_month` (N) is required for a money figure; when it is None the estimate is
    given per 1,000 booking calls a month and says so.
    """

    calls_per_month: Parameter | None
    patience_s: Parameter
    retry_share: Parameter
    conversion: Parameter
    intent_share: Parameter
    displaced_share: Parameter
    voicemail_loss: Parameter
    adr_eur: Parameter
    nights: Parameter
    rooms: Parameter
    handle_time_s: Parameter = fixed(
        "AHT", "Mean handling time of a booking call (staffing only)", 240.0, "s",
        "Assumed 4 minutes; replace with the PBX's average handling time.",
    )
    hourly_profile: tuple[float, ...] = field(default_factory=default_hotel_profile)
    hourly_profile_source: str = "Default hotel profile (office hours weighted); replace with PBX statistics."
    handling_multipliers: tuple[tuple[str, float], ...] = DEFAULT_HANDLING_MULTIPLIERS
    timezone: str = "Europe/Paris"
    draws: int = 10_000
    seed: int = 20260101

    @property
    def booking_value_eur(self) -> float:
        """v = ADR x nights x rooms."""
        return self.adr_eur.value * self.nights.value * self.rooms.value

    @property
    def monthly_calls(self) -> float:
        """N, or 1,000 when the client gave no figure (the estimate is then per 1,000 calls)."""
        return 1000.0 if self.calls_per_month is None else self.calls_per_month.value

    def parameters(self) -> tuple[Parameter, ...]:
        """All scalar parameters in the order the report prints them."""
        n = self.calls_per_month or fixed(
            "N", "Booking calls per month", 1000.0, "calls", "Not given by the client: figures are per 1,000 calls."
        )
        return (
            n,
            self.patience_s,
            self.retry_share,
            self.conversion,
            self.intent_share,
            self.displaced_share,
            self.voicemail_loss,
            self.adr_eur,
            self.nights,
            self.rooms,
            self.handle_time_s,
        )


def default_assumptions(calls_per_month: float | None = None, **overrides: float) -> Assumptions:
    """The defaults of lost_revenue_model.md section 1, optionally with central values overridden.

    `overrides` names fields (`patience_s=150`, `adr_eur=140`): the central value changes and the
    source says it came from the client's configuration.
    """
    base = Assumptions(
        calls_per_month=None
        if calls_per_month is None
        else fixed("N", "Booking calls per month", float(calls_per_month), "calls", "Client (PBX statistics)."),
        patience_s=Parameter("tau", "Mean caller patience", 120.0, 60.0, 300.0, "log_uniform", "s", SOURCE_PATIENCE),
        retry_share=Parameter(
            "rho",
            "Failed callers who retry and get through",
            0.3,
            0.2,
            0.4,
            "uniform",
            "share",
            "Configured assumption (model default 0.3); range 0.2-0.4.",
        ),
        conversion=Parameter("c", "Conversion of answered booking calls", 0.35, 0.28, 0.42, "uniform", "share",
                             SOURCE_CONVERSION),
        intent_share=fixed("d", "Calls that are real booking intents", 0.8, "share", "Configured intent discount."),
        displaced_share=Parameter(
            "s",
            "Lost callers who book a competitor",
            0.6,
            0.45,
            0.75,
            "uniform",
            "share",
            "Configured; HOTREC 2024 distribution survey (phone ~16 % of direct bookings) for channel context. "
            "Range 0.45-0.75.",
        ),
        voicemail_loss=fixed(
            "q_vm", "Loss probability on voicemail", 0.8, "probability",
            "Most booking callers leave no message and few are called back in time.",
        ),
        adr_eur=fixed("ADR", "Average daily rate", 119.0, "EUR", "French hotels, MKG 2024."),
        nights=fixed("nights", "Average length of stay", 1.8, "nights", "Industry average length of stay."),
        rooms=fixed("rooms", "Rooms per booking", 1.0, "rooms", "One room per booking call."),
    )
    return apply_overrides(base, overrides, where="defaults")


_FIELDS = {
    "patience_s",
    "retry_share",
    "conversion",
    "intent_share",
    "displaced_share",
    "voicemail_loss",
    "adr_eur",
    "nights",
    "rooms",
    "handle_time_s",
}
_SHARES = {"retry_share", "conversion", "intent_share", "displaced_share", "voicemail_loss"}


def _number(raw: Any) -> float:
    return number(raw, "a number")


def _parameter_in(raw: Any) -> Any:
    """A new central value, or a mapping with value, low, high, distribution, source."""
    return raw if isinstance(raw, Mapping) else {"value": _number(raw)}


def _profile(raw: Any) -> tuple[float, ...]:
    return volume_table(raw)


def _calls(raw: Any) -> float:
    if _number(raw) <= 0:
        raise Invalid(f"expected a positive number of calls per month, got {raw!r}")
    return _number(raw)


def _count(raw: Any, minimum: int) -> int:
    return whole_number(raw, "a positive integer", minimum=minimum)


def _timezone(raw: Any) -> str:
    try:
        return time_zone(raw)
    except Invalid as error:
        raise Invalid(f"{error.problem}; expected e.g. Europe/Paris") from None


Number = Annotated[float, PlainValidator(_number)]
MaybeNumber = Annotated[float | None, PlainValidator(_number)]


class _ParameterIn(Schema):
    unknown_key: ClassVar[str] = "expected value, low, high, distribution or source"
    value: MaybeNumber = Field(None, validate_default=False)
    low: MaybeNumber = Field(None, validate_default=False)
    high: MaybeNumber = Field(None, validate_default=False)
    distribution: str | None = None
    source: str = "Client configuration."


ParameterIn = Annotated[_ParameterIn | None, BeforeValidator(_parameter_in)]
_UNSET = Field(None, validate_default=False)


class _Overrides(Schema):
    """What a client's file (or the scenario's `revenue:` section) may set; each key once, all optional."""

    unknown_key: ClassVar[str] = "unknown assumption; expected one of {known}"
    calls_per_month: Annotated[float | None, PlainValidator(_calls)] = _UNSET
    patience_s: ParameterIn = _UNSET
    retry_share: ParameterIn = _UNSET
    conversion: ParameterIn = _UNSET
    intent_share: ParameterIn = _UNSET
    displaced_share: ParameterIn = _UNSET
    voicemail_loss: ParameterIn = _UNSET
    adr_eur: ParameterIn = _UNSET
    nights: ParameterIn = _UNSET
    rooms: ParameterIn = _UNSET
    handle_time_s: ParameterIn = _UNSET
    hourly_profile: Annotated[tuple[float, ...] | None, PlainValidator(_profile)] = _UNSET
    timezone: Annotated[str | None, PlainValidator(_timezone)] = _UNSET
    draws: Annotated[int | None, PlainValidator(lambda raw: _count(raw, 1))] = _UNSET
    seed: Annotated[int | None, PlainValidator(lambda raw: _count(raw, 0))] = _UNSET
    mean_wait_s: MaybeNumber = _UNSET
    abandonment_rate: MaybeNumber = _UNSET


def apply_overrides(
    assumptions: Assumptions, overrides: Mapping[str, Any] | LocatedYaml, where: str
) -> Assumptions:
    """Return `assumptions` with central values (and optionally ranges) replaced from a mapping.

    A value is a number (new central value) or a mapping with `value`, `low`, `high`,
    `distribution`, `source`. Also accepts `calls_per_month`, `hourly_profile` (168 numbers),
    `timezone`, `draws`, `seed`. Bad values raise InputError naming `where` and the field (and the
    line, when `overrides` is a located YAML document).
    """
    doc = overrides if isinstance(overrides, LocatedYaml) else LocatedYaml(where, dict(overrides), {})
    given = validate(_Overrides, doc)
    changes: dict[str, Any] = {}
    for name in [name for name in type(given).model_fields if name in given.model_fields_set]:
        value = getattr(given, name)
        if name == "calls_per_month":
            changes[name] = fixed("N", "Booking calls per month", value, "calls", "Client (PBX statistics).")
        elif name in _FIELDS:
            changes[name] = _parameter(getattr(assumptions, name), value, doc, name)
        elif name == "hourly_profile":
            changes[name] = value
            changes["hourly_profile_source"] = "Client configuration."
        elif name in ("timezone", "draws", "seed"):
            changes[name] = value
    calibration = {"mean_wait_s", "abandonment_rate"} & given.model_fields_set
    if calibration:
        if len(calibration) < 2:
            raise doc.error(("abandonment_rate",), "calibration needs both mean_wait_s and abandonment_rate")
        wait, rate = given.mean_wait_s or 0.0, given.abandonment_rate or 0.0
        try:
            tau = calibrate_patience(wait, rate)
        except ValueError as error:
            raise doc.error(("abandonment_rate",), str(error)) from None
        changes["patience_s"] = dataclasses.replace(
            assumptions.patience_s.with_value(tau),
            low=tau / 2,
            high=tau * 2,
            source=f"Calibrated from the client's PBX: tau = W/a = {wait:g} s / {rate:g} = {tau:.0f} s "
            "(Erlang-A moment estimate); range x0.5-x2.",
        )
    return dataclasses.replace(assumptions, **changes)


def calibrate_patience(mean_wait_s: float, abandonment_rate: float) -> float:
    """Erlang-A moment estimate of mean patience: tau = W_hat / a_hat (model section 5)."""
    if not mean_wait_s > 0:
        raise ValueError(f"mean wait must be positive, got {mean_wait_s}")
    if not 0 < abandonment_rate <= 1:
        raise ValueError(f"abandonment rate must be in (0, 1], got {abandonment_rate}")
    return mean_wait_s / abandonment_rate


def normalise_profile(raw: Any, where: str = "hourly_profile") -> tuple[float, ...]:
    """168 non-negative weights (Monday 00:00 first) -> shares summing to 1."""
    return validate(_Overrides, LocatedYaml(where, {"hourly_profile": raw}, {})).hourly_profile or ()


def _parameter(current: Parameter, given: _ParameterIn, doc: LocatedYaml, name: str) -> Parameter:
    value = current.value if given.value is None else given.value
    low = min(current.low, value) if given.low is None else given.low
    high = max(current.high, value) if given.high is None else given.high
    if name in _SHARES and not 0 <= low <= high <= 1:
        raise doc.error((name,), f"expected a share between 0 and 1, got {low:g}..{high:g}")
    if name not in _SHARES and not low > 0:
        raise doc.error((name,), f"expected a positive value, got {low:g}")
    try:
        distribution = given.distribution or current.distribution
        return dataclasses.replace(current, value=value, low=low, high=high, distribution=distribution,
                                   source=given.source)
    except ValueError as error:
        raise doc.error((name,), str(error)) from None
