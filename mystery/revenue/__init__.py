"""Lost revenue from unanswered and abandoned calls (reference: lost_revenue_model.md).

Pure functions: mystery calls (`CallObservation`) + `Assumptions` -> `RevenueEstimate`.
"""

from mystery.revenue.assumptions import (
    Assumptions,
    Parameter,
    apply_overrides,
    calibrate_patience,
    default_assumptions,
)
from mystery.revenue.estimate import Interval, RevenueEstimate, TornadoBar, estimate_revenue, wilson_interval
from mystery.revenue.loss import CallObservation, loss_probability, observe

__all__ = [
    "Assumptions",
    "CallObservation",
    "Interval",
    "Parameter",
    "RevenueEstimate",
    "TornadoBar",
    "apply_overrides",
    "calibrate_patience",
    "default_assumptions",
    "estimate_revenue",
    "loss_probability",
    "observe",
    "wilson_interval",
]
