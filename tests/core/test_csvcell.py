"""CSV exports never hand a spreadsheet a formula, and numbers stay numbers."""

from __future__ import annotations

import pytest

from mystery_core.csvcell import safe_cell, safe_row


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "\tcmd", "\r=1+1", "+cmd|' /C calc'!A0",
                                  "-2+3", "=1", "+", "-"])
def test_text_that_starts_a_formula_gets_an_apostrophe(text):
    assert "'" + text == safe_cell(text)


@pytest.mark.parametrize("text", ["+33612345678", "-12.5", "+1.5e3", "-0", "42", "Busy Here", "", "a=b",
                                  "sip:+33@x"])
def test_numbers_and_ordinary_text_stay_as_they_are(text):
    assert text == safe_cell(text)


def test_non_text_cells_pass_through():
    assert [None, 3, 2.5, "'=x"] == safe_row([None, 3, 2.5, "=x"])
