"""Script scoring: the client's checklist as rules over a call's transcript, verdicts with evidence."""

from mystery.score.checklist import Checklist, ChecklistItem, Rule, load_checklist
from mystery.score.scorecard import Evidence, LineScore, Scorecard, Verdict, score_call, score_lines

__all__ = ["Checklist", "ChecklistItem", "Evidence", "LineScore", "Rule", "Scorecard", "Verdict", "load_checklist",
           "score_call", "score_lines"]
