"""The campaign report: one self-contained folder a hotel director can open (HTML, CSV, audio, PDF)."""

from mystery.report.build import ReportFiles, campaign_assumptions, write_report

__all__ = ["ReportFiles", "campaign_assumptions", "write_report"]
