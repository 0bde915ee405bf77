"""The demo's script verdicts against what the simulated agents really said (issue 18).

The demo campaign's calls that reach a person (the front desk, and the IVR to the booking queue)
are dialled against the built-in switchboard, analysed, transcribed and scored exactly as
`mystery demo` does. The switchboard's ground truth holds the text of every agent line; scored
with the same checklist, it says which items each agent really said. An item the agent said must
come out "said" or "unsure", not "not said": at most one in ten does (see the bound below).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rich.console import Console

from mystery.pipeline.campaign import dial_scenario
from mystery.pipeline.process import process_campaign
from mystery.records import Word
from mystery.scenario.load import load_scenario
from mystery.schedule import account_from_settings
from mystery.score.checklist import find_checklist, load_checklist
from mystery.score.scorecard import NOT_SAID, SAID, Measures, score_call
from mystery.store import repo
from mystery_core.settings import load_settings
from mystery_core.store.engine import open_store
from switchboard.harness import running_switchboard

pytestmark = [pytest.mark.sip, pytest.mark.slow, pytest.mark.asr, pytest.mark.xdist_group("switchboard_e2e")]

DEMO = Path(__file__).parents[2] / "console" / "commands" / "grand_hotel.yaml"
PERSON_LINES = ("frontdesk", "main")


def said_text(record: dict) -> list[Word]:  # type: ignore[type-arg]
    """The agent's lines of one call as words (confidence 1), on the switchboard's clock."""
    out = []
    for phase in record["phases"]:
        if phase["name"] != "agent_speech":
            continue
        tokens = str(phase.get("detail", {}).get("text", "")).split()
        step = (phase["end"] - phase["start"]) / max(1, len(tokens))
        out += [Word(phase["start"] + i * step, phase["start"] + (i + 1) * step, t, 1.0, "callee")
                for i, t in enumerate(tokens)]
    return out


def test_items_the_simulated_agent_said_are_rarely_reported_not_said(tmp_path: Path) -> None:
    settings = load_settings(env={}, overrides={"database_url": f"sqlite:///{tmp_path / 'demo.db'}",
                                                "recordings_dir": str(tmp_path / "recordings"),
                                                # a fresh prompt library: one that learnt earlier runs' agent
                                                # lines would take them for recorded prompts
                                                "fingerprints_dir": str(tmp_path / "fingerprints"),
                                                "asr.model_dir": str(tmp_path / "models")})
    engine = open_store(settings.database_url)
    with running_switchboard("demo_hotel", workers=3, workdir=tmp_path / "switchboard") as switchboard:
        scenario_file = tmp_path / "scenario.yaml"
        scenario_file.write_text(DEMO.read_text().replace("{switchboard}", f"127.0.0.1:{switchboard.port}"))
        scenario = load_scenario(scenario_file)
        scenario = dataclasses.replace(scenario, groups=tuple(g for g in scenario.groups if g.line in PERSON_LINES))
        run = dial_scenario(engine, scenario, "demo-verdicts", 5, Path(settings.recordings_dir),
                            account_from_settings(settings.sip))
    truth = {r["call_id"]: r for r in switchboard.records() if r.get("kind") == "call"}
    process_campaign(engine, settings, run.campaign_id, Console(quiet=True))
    scores = repo.load_scores(engine, run.campaign_id)
    checklist = load_checklist(find_checklist(scenario.checklist))

    wrong: list[str] = []
    unscored: list[str] = []
    said_items = unsure = 0
    for call in repo.load_calls(engine, run.campaign_id):
        record = truth[call.call_id]
        words = said_text(record)
        if not words:
            continue
        expected = score_call(checklist, words, answer_s=words[0].start_s, variables=scenario.variables,
                              measures=Measures(unsure=False))  # the text is known: said or not said
        got = {v["item"]: v for v in scores.get(call.call_id, [])}
        if not got:  # the analysis did not take it for a person (outcome): no verdict, so no false "not said"
            unscored.append(f"{call.call_id} ({call.outcome})")
            continue
        for verdict in expected.verdicts:
            if verdict.status != SAID:
                continue
            said_items += 1
            unsure += got[verdict.item_id]["verdict"] == "unsure"
            if got[verdict.item_id]["verdict"] == NOT_SAID:
                wrong.append(f"{call.call_id} {verdict.item_id}: said {verdict.quote!r}, reported not said "
                             f"({got[verdict.item_id]['reason']})")
    assert said_items >= 15, f"only {said_items} said items on the demo's person calls; not scored: {unscored}"
    # Issue 18 asks for none. With the listening hearing and the lost-price doubt (mystery/score/hearings.py,
    # clarity.py) four runs alone here had none, but in a clean-clone CI run, under load, Whisper tiny.en heard
    # "for 89 euros a night" as "maybe high near overnight" in all three hearings: no number, no currency, nothing
    # to doubt. So the bound stays one in ten (it was 10 in 21 before issue 18); bench_verdicts measures the rate
    # (0.7 % of said items on 60 calls, docs/scoring.md).
    assert len(wrong) <= said_items // 10, "\n".join([f"{len(wrong)} of {said_items} said items reported not said:",
                                                       *wrong])
    assert unsure <= said_items // 4, f"{unsure} of {said_items} said items unsure"
