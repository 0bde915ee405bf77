"""Tables of the mystery-call product (SQLAlchemy Core). Migrations live in migrations/versions/."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

call_campaigns = Table(
    "call_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("client", String(200), nullable=False, default=""),
    Column("scenario_path", Text, nullable=False, default=""),
    Column("scenario", JSON, nullable=False),        # the parsed scenario as run
    Column("created_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Column("status", String(20), nullable=False, default="running"),  # running, finished, interrupted
)

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_key", String(64), nullable=False, unique=True),  # the dialer's call id
    Column("campaign_id", Integer, ForeignKey("call_campaigns.id", ondelete="CASCADE")),
    Column("line", String(200), nullable=False, default=""),
    Column("target_uri", Text, nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("sip_status", Integer),
    Column("sip_reason", String(200), nullable=False, default=""),
    Column("pdd_s", Float),
    Column("ring_s", Float),
    Column("time_to_answer_s", Float),
    Column("talk_s", Float),
    Column("talk_basis", String(20), nullable=False, default="sip"),
    Column("ivr_s", Float),
    Column("hold_s", Float),
    Column("time_to_human_s", Float),
    Column("time_to_human_confidence", String(10)),
    Column("time_to_human_reasons", JSON, nullable=False, default=list),
    Column("wait_basis", String(40), nullable=False, default="time_to_answer (provisional)"),
    Column("duration_s", Float),
    Column("hangup_by", String(20), nullable=False, default=""),
    Column("recording", Text),
    Column("recording_offset_s", Float, nullable=False, default=0.0),
    Column("extra", JSON, nullable=False),
)

# The campaign's source of truth: one row per planned call, its state and how it got there.
# planned -> dialling -> done | failed | crashed_after_invite; skipped (never dialled, on purpose).
planned_calls = Table(
    "planned_calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("call_campaigns.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("call_key", String(64), nullable=False, unique=True),     # the dialer's call id
    Column("seq", Integer, nullable=False),
    Column("line", String(200), nullable=False, default=""),
    Column("site", String(200), nullable=False, default=""),          # its calls-at-once cap is the site's
    Column("due_at", String(40)),                                    # UTC ISO; null: as soon as possible
    Column("state", String(24), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),        # dialer processes started for it
    Column("plan", JSON, nullable=False),                            # the CallPlan, without the account
    Column("pid", Integer),                                          # the dialer process while dialling
    Column("host", String(200), nullable=False, default=""),
    Column("history", JSON, nullable=False),                         # [{at, state, detail}]
    Column("policy", JSON),                           # retry policy and open windows (RetryPolicy, runs)
    Column("retry_of", String(64)),                   # the planned call this one retries
    Column("retry_n", Integer, nullable=False, default=0),
    Column("updated_at", String(40), nullable=False),
)

sip_events = Table(
    "sip_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", Integer, ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("at", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", Integer),
    Column("detail", Text, nullable=False, default=""),
    UniqueConstraint("call_id", "seq"),
)

segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", Integer, ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("label", String(40), nullable=False),
    Column("confidence", Float, nullable=False),
)

words = Table(
    "words",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", Integer, ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("text", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("channel", String(20), nullable=False, default="callee"),
)

scores = Table(
    "scores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", Integer, ForeignKey("calls.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("item", String(100), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("at_s", Float),
    Column("quote", Text, nullable=False, default=""),
    # said / not_said / unsure (unsure: not in the score); reason: why, in one sentence
    Column("verdict", String(20), nullable=False, server_default="not_said"),
    Column("reason", Text, nullable=False, server_default=""),
)

revenue_estimates = Table(
    "revenue_estimates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("call_campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("estimate", JSON, nullable=False),
)
