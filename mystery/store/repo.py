"""Records in, records out: the only module that turns mystery records into rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from mystery.records import CallResult, Segment, SipEvent, Word
from mystery.store.schema import call_campaigns, calls, revenue_estimates, scores, segments, sip_events, words
from mystery_core.errors import InputError
from mystery_core.store.engine import inserted_id


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def create_campaign(engine: Engine, name: str, scenario: dict[str, Any], scenario_path: str = "",
                    client: str = "") -> int:
    """Register a campaign of calls; a name is used once (re-running needs a new name)."""
    with engine.begin() as conn:
        existing = conn.execute(select(call_campaigns.c.id).where(call_campaigns.c.name == name)).first()
        if existing is not None:
            raise InputError(scenario_path or "campaign", "name",
                             f"a campaign named {name!r} already exists; choose another --name")
        result = conn.execute(insert(call_campaigns).values(
            name=name, client=client, scenario_path=scenario_path, scenario=scenario,
            created_at=_now(), status="running"))
        return inserted_id(result)


def finish_campaign(engine: Engine, campaign_id: int, status: str = "finished") -> None:
    with engine.begin() as conn:
        conn.execute(update(call_campaigns).where(call_campaigns.c.id == campaign_id)
                     .values(status=status, finished_at=_now()))


def set_campaign_status(engine: Engine, campaign_id: int, status: str) -> None:
    """`running` again when a campaign is resumed (its end time is cleared)."""
    with engine.begin() as conn:
        conn.execute(update(call_campaigns).where(call_campaigns.c.id == campaign_id)
                     .values(status=status, finished_at=None))


def campaign_status(engine: Engine, campaign_id: int) -> str:
    """The campaign's status now (another host may have paused it)."""
    with engine.connect() as conn:
        return str(conn.execute(select(call_campaigns.c.status).where(call_campaigns.c.id == campaign_id))
                   .scalar_one())


def find_campaign(engine: Engine, name: str) -> dict[str, Any]:
    """The campaign row by name (or numeric id), or an InputError listing the known names."""
    with engine.connect() as conn:
        query = select(call_campaigns)
        query = query.where(call_campaigns.c.id == int(name)) if name.isdigit() else query.where(
            call_campaigns.c.name == name)
        row = conn.execute(query).mappings().first()
        if row is None:
            known = [r[0] for r in conn.execute(select(call_campaigns.c.name).order_by(call_campaigns.c.id))]
            raise InputError("campaign", None, f"no campaign {name!r} (known: {', '.join(known) or 'none'})")
        return dict(row)


def list_campaigns(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(call_campaigns).order_by(call_campaigns.c.id)).mappings()]


_CALL_COLUMNS = [c.name for c in calls.columns if c.name not in {"id", "call_key", "campaign_id"}]


def _call_values(result: CallResult) -> dict[str, Any]:
    values = {name: getattr(result, name) for name in _CALL_COLUMNS}
    values["time_to_human_reasons"] = list(result.time_to_human_reasons)
    return values


def save_call(engine: Engine, result: CallResult, campaign_id: int | None = None) -> int:
    """Store one call with its events, segments and words, in one transaction."""
    with engine.begin() as conn:
        return insert_call(conn, result, campaign_id)


def insert_call(conn: Any, result: CallResult, campaign_id: int | None = None) -> int:
    """`save_call` inside the caller's transaction (with the planned call's new state, say)."""
    values = _call_values(result)
    call_id = inserted_id(conn.execute(insert(calls).values(call_key=result.call_id, campaign_id=campaign_id,
                                                            **values)))
    _insert_children(conn, call_id, result)
    return call_id


def _insert_children(conn: Any, call_id: int, result: CallResult, events: bool = True) -> None:
    if events and result.events:
        conn.execute(insert(sip_events), [
            {"call_id": call_id, "seq": i, "t_s": e.t_s, "at": e.at, "kind": e.kind, "status": e.status,
             "detail": e.detail} for i, e in enumerate(result.events)])
    if result.segments:
        conn.execute(insert(segments), [
            {"call_id": call_id, "start_s": s.start_s, "end_s": s.end_s, "label": s.label,
             "confidence": s.confidence} for s in result.segments])
    if result.words:
        conn.execute(insert(words), [
            {"call_id": call_id, "start_s": w.start_s, "end_s": w.end_s, "text": w.text,
             "confidence": w.confidence, "channel": w.channel} for w in result.words])


def replace_analysis(engine: Engine, call_key: str, result: CallResult) -> None:
    """Store a re-analysis of a call: new measures, segments and words replace the old ones."""
    values = _call_values(result)
    with engine.begin() as conn:
        call_id = conn.execute(select(calls.c.id).where(calls.c.call_key == call_key)).scalar_one()
        conn.execute(update(calls).where(calls.c.id == call_id).values(**values))
        conn.execute(delete(segments).where(segments.c.call_id == call_id))
        conn.execute(delete(words).where(words.c.call_id == call_id))
        _insert_children(conn, call_id, result, events=False)  # SIP events never change


def load_calls(engine: Engine, campaign_id: int | None = None) -> list[CallResult]:
    """Calls (of one campaign, or all) with their events, segments and words, oldest first."""
    with engine.connect() as conn:
        query = select(calls).order_by(calls.c.started_at, calls.c.id)
        if campaign_id is not None:
            query = query.where(calls.c.campaign_id == campaign_id)
        rows = conn.execute(query).mappings().all()
        ids = [r["id"] for r in rows]
        by_call: dict[int, dict[str, list[Any]]] = {i: {"events": [], "segments": [], "words": []} for i in ids}
        if ids:
            for e in conn.execute(select(sip_events).where(sip_events.c.call_id.in_(ids))
                                  .order_by(sip_events.c.call_id, sip_events.c.seq)).mappings():
                by_call[e["call_id"]]["events"].append(
                    SipEvent(t_s=e["t_s"], at=e["at"], kind=e["kind"], status=e["status"], detail=e["detail"]))
            for s in conn.execute(select(segments).where(segments.c.call_id.in_(ids))
                                  .order_by(segments.c.call_id, segments.c.start_s)).mappings():
                by_call[s["call_id"]]["segments"].append(
                    Segment(start_s=s["start_s"], end_s=s["end_s"], label=s["label"], confidence=s["confidence"]))
            for w in conn.execute(select(words).where(words.c.call_id.in_(ids))
                                  .order_by(words.c.call_id, words.c.start_s)).mappings():
                by_call[w["call_id"]]["words"].append(
                    Word(start_s=w["start_s"], end_s=w["end_s"], text=w["text"], confidence=w["confidence"],
                         channel=w["channel"]))
    results = []
    for row in rows:
        children = by_call[row["id"]]
        values = {name: row[name] for name in _CALL_COLUMNS}
        values["time_to_human_reasons"] = tuple(values["time_to_human_reasons"] or ())
        results.append(CallResult(call_id=row["call_key"], events=tuple(children["events"]),
                                  segments=tuple(children["segments"]), words=tuple(children["words"]),
                                  **values))
    return results


def save_scores(engine: Engine, call_key: str, verdicts: Iterable[dict[str, Any]]) -> None:
    """Replace the script-checklist verdicts of a call (item, verdict or passed, at_s, quote, reason)."""
    with engine.begin() as conn:
        call_id = conn.execute(select(calls.c.id).where(calls.c.call_key == call_key)).scalar_one()
        conn.execute(delete(scores).where(scores.c.call_id == call_id))
        rows = []
        for v in verdicts:
            verdict = v.get("verdict") or ("said" if v["passed"] else "not_said")
            rows.append({"call_id": call_id, "item": v["item"], "passed": verdict == "said", "verdict": verdict,
                         "at_s": v.get("at_s"), "quote": v.get("quote", ""), "reason": v.get("reason", "")})
        if rows:
            conn.execute(insert(scores), rows)


def load_scores(engine: Engine, campaign_id: int) -> dict[str, list[dict[str, Any]]]:
    """Verdicts per call key: item, passed, verdict (said / not_said / unsure), at_s, quote, reason."""
    with engine.connect() as conn:
        query = (select(calls.c.call_key, scores.c.item, scores.c.passed, scores.c.verdict, scores.c.at_s,
                        scores.c.quote, scores.c.reason)
                 .join(calls, calls.c.id == scores.c.call_id).where(calls.c.campaign_id == campaign_id)
                 .order_by(scores.c.id))
        out: dict[str, list[dict[str, Any]]] = {}
        for row in conn.execute(query).mappings():
            out.setdefault(row["call_key"], []).append(
                {k: row[k] for k in ("item", "passed", "verdict", "at_s", "quote", "reason")})
        return out


def save_revenue_estimate(engine: Engine, campaign_id: int, estimate: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(revenue_estimates).values(campaign_id=campaign_id, created_at=_now(),
                                                      estimate=estimate))


def load_loose_call_keys(engine: Engine) -> set[str]:
    """Keys of the calls stored without a campaign (`mystery call`)."""
    with engine.connect() as conn:
        return {key for (key,) in conn.execute(select(calls.c.call_key).where(calls.c.campaign_id.is_(None)))}


def find_call_campaign(engine: Engine, call_key: str) -> tuple[bool, int | None]:
    """(found, campaign id) of the call `call_key`; the id is None for a call stored without a campaign."""
    with engine.connect() as conn:
        found = conn.execute(select(calls.c.campaign_id).where(calls.c.call_key == call_key)).first()
    if found is None:
        return False, None
    return True, None if found[0] is None else int(found[0])
