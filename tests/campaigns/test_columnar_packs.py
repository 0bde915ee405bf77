"""Packs whose checks the columnar engine gained: the columnar engine against the row engine on them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns.engines.columnar import reading
from tests.campaigns.test_columnar import _inputs, _log, _run


@pytest.mark.parametrize("block_bytes", [4 << 20, 6000])
@pytest.mark.parametrize("params", [{}, {"ca.abandonment.period_days": "3", "ca.abandonment.max_rate": "0.02"}])
def test_the_canadian_pack_runs_on_the_columnar_engine_with_the_row_engines_results(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch, params, block_bytes):
    """ca.abandonment (abandonment_rate per campaign and day, or per 3-day period) with the rest of the pack,
    on a log whose North-American numbers are Toronto's."""
    monkeypatch.setattr(reading, "BLOCK_BYTES", block_bytes)
    log = tmp_path / "log.csv"
    shape = _log(log, 11, 3000, datetime(2026, 5, 4, 5, tzinfo=UTC))
    log.write_text(log.read_text().replace("+1208555", "+1416555"))
    request = {"log": log, "rules": ("ca", "fr-2023"), "inputs": _inputs(tmp_path, shape["persons"], 11),
               "params": params}

    columnar = _run("auto", **request)
    row = _run("row", **request)

    assert ("columnar", "row") == (columnar["engine"], row["engine"])
    abandonment = [v for v in row["violations"] if v["rule"] == "ca.abandonment"]
    assert len(abandonment) >= 3 and all(v["evidence"]["example_call_ids"] for v in abandonment)
    assert row["violations"] == columnar["violations"]
    assert (row["rejected"], row["summary"], row["suppression"], row["counts"]) == \
        (columnar["rejected"], columnar["summary"], columnar["suppression"], columnar["counts"])


@pytest.mark.parametrize("block_bytes", [4 << 20, 6000])
def test_the_us_federal_pack_runs_on_the_columnar_engine_with_the_row_engines_results(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch, block_bytes):
    """us-federal.ring (ring_time: unanswered calls given up too soon) and us-federal.abandonment, with the
    pack's hours and lists, on a log whose North-American numbers are New York's."""
    monkeypatch.setattr(reading, "BLOCK_BYTES", block_bytes)
    log = tmp_path / "log.csv"
    shape = _log(log, 12, 3000, datetime(2026, 6, 1, 5, tzinfo=UTC))
    log.write_text(log.read_text().replace("+1208555", "+1212555"))
    request = {"log": log, "rules": ("us-federal", "fr-2023"), "inputs": _inputs(tmp_path, shape["persons"], 12)}

    columnar = _run("auto", **request)
    row = _run("row", **request)

    assert ("columnar", "row") == (columnar["engine"], row["engine"])
    fired = {v["rule"] for v in row["violations"]}
    assert {"us-federal.ring", "us-federal.abandonment"} <= fired
    assert row["violations"] == columnar["violations"]
    assert (row["rejected"], row["summary"], row["suppression"], row["counts"]) == \
        (columnar["rejected"], columnar["summary"], columnar["suppression"], columnar["counts"])


@pytest.mark.parametrize("block_bytes", [4 << 20, 6000])
def test_the_us_states_pack_runs_on_the_columnar_engine_with_the_row_engines_results(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch, block_bytes):
    """us-states.hours (state windows, Sunday and holiday bans) and the per-state frequency rule, decided by the
    checks' own evaluate inside the columnar engine, on a log whose North-American numbers are Miami's (FL)."""
    monkeypatch.setattr(reading, "BLOCK_BYTES", block_bytes)
    log = tmp_path / "log.csv"
    shape = _log(log, 13, 3000, datetime(2026, 6, 1, 5, tzinfo=UTC), 40)
    log.write_text(log.read_text().replace("+1208555", "+1305555"))
    request = {"log": log, "rules": ("us-states", "us-federal"), "inputs": _inputs(tmp_path, shape["persons"], 13),
               "params": {"us-states.frequency.window_hours": "240"}}  # 10 days: persons here get ~1 call a day

    columnar = _run("auto", **request)
    row = _run("row", **request)

    assert ("columnar", "row") == (columnar["engine"], row["engine"])
    fired = {v["rule"] for v in row["violations"]}
    assert {"us-states.hours", "us-states.frequency", "us-federal.ring"} <= fired
    assert row["violations"] == columnar["violations"]
    assert (row["rejected"], row["summary"], row["suppression"], row["counts"]) == \
        (columnar["rejected"], columnar["summary"], columnar["suppression"], columnar["counts"])


@pytest.mark.parametrize("block_bytes", [4 << 20, 6000])
def test_the_uk_pack_runs_on_the_columnar_engine_with_the_row_engines_results(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch, block_bytes):
    """uk.redial_72h (no redial within 72 h of an abandoned call to the number), uk.ring and uk.abandonment, on a
    log whose UK numbers are London's, with persons called often enough to be redialled."""
    monkeypatch.setattr(reading, "BLOCK_BYTES", block_bytes)
    log = tmp_path / "log.csv"
    shape = _log(log, 14, 3000, datetime(2026, 6, 1, 5, tzinfo=UTC), 40)
    log.write_text(log.read_text().replace("+447700900", "+442079460"))
    request = {"log": log, "rules": ("uk", "fr-2023"), "inputs": _inputs(tmp_path, shape["persons"], 14)}

    columnar = _run("auto", **request)
    row = _run("row", **request)

    assert ("columnar", "row") == (columnar["engine"], row["engine"])
    fired = {v["rule"] for v in row["violations"]}
    assert {"uk.redial_72h", "uk.ring", "uk.abandonment"} <= fired
    assert row["violations"] == columnar["violations"]
    assert (row["rejected"], row["summary"], row["suppression"], row["counts"]) == \
        (columnar["rejected"], columnar["summary"], columnar["suppression"], columnar["counts"])
