"""`mystery call SIP_URI ...`: one scripted, recorded, timed call (see docs/dialer.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mystery.scenario.plan import MAX_CALL_SECONDS, Account, CallPlan, Step, check_uri, parse_cli_step
from mystery_core.errors import InputError, exit_on_input_error


class _OrderedSteps(click.Command):
    """Keeps the raw argument list: `--say` and `--dtmf` steps run in command-line order."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["raw_args"] = list(args)
        return super().parse_args(ctx, args)


def _ordered_steps(raw: list[str], dtmf: tuple[str, ...], say: tuple[str, ...]) -> list[Step]:
    """Steps in the order the options were given (click groups values per option)."""
    queues = {"--dtmf": list(dtmf), "--say": list(say)}
    steps: list[Step] = []
    for arg in raw:
        name = arg.split("=", 1)[0]
        if name in queues and queues[name]:
            spec = queues[name].pop(0)
            steps.append(parse_cli_step(name[2:], spec, name))
    for name, rest in queues.items():   # anything the scan missed (should not happen)
        steps.extend(parse_cli_step(name[2:], spec, name) for spec in rest)
    return steps


def build_plan(uri: str, steps: list[Step], settings: Any, ring_timeout: float, max_seconds: float,
               hangup_after: float | None, line: str, voice: str, follow_redirects: bool = True) -> CallPlan:
    """A CallPlan from command-line values and the settings' SIP account."""
    sip = settings.sip
    account = Account(registrar=sip.registrar, username=sip.username, password=sip.password, realm=sip.realm,
                      outbound_proxy=sip.outbound_proxy, caller_id=sip.caller_id, codecs=tuple(sip.codecs),
                      bind_ip=sip.bind_ip, port=sip.port, rtp_port=sip.rtp_port, transport=sip.transport,
                      srtp=sip.srtp, tls_ca_file=sip.tls_ca_file)
    if hangup_after is not None:
        steps = [*steps, Step(action="hangup", on="answered", offset_s=hangup_after)]
    if not 0 < max_seconds <= MAX_CALL_SECONDS:  # also refuses inf and nan
        raise InputError("--max-seconds", None, f"must be > 0 and <= {MAX_CALL_SECONDS}, got {max_seconds:g}")
    if not 0 < ring_timeout <= MAX_CALL_SECONDS:
        raise InputError("--ring-timeout", None, f"must be > 0, got {ring_timeout:g}")
    return CallPlan(uri=check_uri(uri), steps=tuple(steps), ring_timeout_s=ring_timeout, max_seconds=max_seconds,
                    recordings_dir=str(settings.recordings_dir), line=line, voice=voice, account=account,
                    follow_redirects=follow_redirects)


def analyse_after_hangup(result: Any, fingerprints_dir: Path) -> Any:
    """The call with its audio measures (ivr_s, hold_s, time_to_human_s, talk_s from audio, refined outcome,
    segments), as a campaign's analysis would give them: the line's fingerprint library is read and grows.
    A call with no recording or no answer comes back unchanged."""
    from mystery.pipeline.process import analyse_recordings

    return analyse_recordings([result], fingerprints_dir)[0]


def summary(result: Any) -> str:
    """A few readable lines for a person at a terminal."""

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f} s"

    lines = [
        f"outcome: {result.outcome}  (SIP {result.sip_status} {result.sip_reason}; hung up by {result.hangup_by or '-'})",
        f"PDD {fmt(result.pdd_s)}  ring {fmt(result.ring_s)}  time to answer {fmt(result.time_to_answer_s)}  "
        f"talk {fmt(result.talk_s)} ({result.talk_basis})",
    ]
    if result.wait_basis == "time_to_human":
        lines.append(f"audio: IVR {fmt(result.ivr_s)}  hold {fmt(result.hold_s)}  "
                     f"time to a person {fmt(result.time_to_human_s)}  ({len(result.segments)} segments)")
    lines += [
        f"recording: {result.recording}",
        "events:",
    ]
    lines += [f"  {e.at}  {e.t_s:+9.4f}  {e.kind} {e.status or ''} {e.detail}".rstrip() for e in result.events]
    return "\n".join(lines)


@click.command(cls=_OrderedSteps)
@click.argument("sip_uri")
@click.option("--dtmf", multiple=True, metavar="DIGITS@WHEN",
              help="Send DIGITS (RFC 4733). WHEN: SECONDS after the answer, or EVENT[:PARAM][+OFFSET] "
                   "(prompt_ended:MS, silence:S, human_reached, timeout:S, answered, early_media).")
@click.option("--say", multiple=True, metavar="WAV_OR_TEXT@WHEN",
              help="Play a WAV file, or speak a text with espeak-ng, at WHEN (as for --dtmf).")
@click.option("--ring-timeout", type=float, default=30.0, show_default=True,
              help="Hang up (CANCEL) when not answered this many seconds after the INVITE.")
@click.option("--max-seconds", type=float, default=120.0, show_default=True,
              help="Hard cap on the whole call, counted from the INVITE.")
@click.option("--hangup-after", type=float, default=None,
              help="Hang up this many seconds after the answer (default: wait for the far end or --max-seconds).")
@click.option("--no-follow-redirects", is_flag=True,
              help="End at a 3xx with outcome `redirected` and its target (default: follow up to 3 hops).")
@click.option("--line", default="", help="Name of the client line, stored with the result.")
@click.option("--voice", default="en", show_default=True, help="espeak-ng voice for --say texts.")
@click.option("--no-analysis", is_flag=True,
              help="Skip the audio analysis after hang-up (default: ivr_s, hold_s, time_to_human_s, talk_s, "
                   "the refined outcome and the segments come from the recording).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.pass_context
@exit_on_input_error
def call(ctx: click.Context, sip_uri: str, dtmf: tuple[str, ...], say: tuple[str, ...], ring_timeout: float,
         max_seconds: float, hangup_after: float | None, no_follow_redirects: bool, line: str, voice: str,
         no_analysis: bool, as_json: bool) -> None:
    """Call SIP_URI, play the caller's steps, record both sides, print what happened.

    Every outcome the far end or the network produces (busy, rejected, no answer,
    unreachable, dropped) exits 0; bad input exits 2 with one line.
    """
    import importlib.util

    from console.commands.context import settings_from
    from mystery.dial.runner import run_call
    from mystery.dial.worker import check_lines

    if importlib.util.find_spec("pjsua2") is None:
        raise click.ClickException("`mystery call` needs pjsua2: pip install 'mystery[sip]'")
    check_uri(sip_uri)
    steps = _ordered_steps(ctx.meta.get("raw_args", []), dtmf, say)
    settings = settings_from(ctx)
    plan = build_plan(sip_uri, steps, settings, ring_timeout, max_seconds, hangup_after, line, voice,
                      follow_redirects=not no_follow_redirects)
    check_lines(plan, "--say")
    result = run_call(plan)
    if not no_analysis:
        result = analyse_after_hangup(result, Path(settings.fingerprints_dir))
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(summary(result))
