"""CSV exports never hand a spreadsheet a formula, numbers stay numbers, and records read as the csv module writes them."""

from __future__ import annotations

import csv
import io
import random

import pytest

from mystery_core.csvcell import csv_line, safe_cell, safe_csv_line, safe_row


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


def _written_by_csv_module(values):
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


@pytest.mark.parametrize("values", [
    ["plain", "", "with,comma", 'with "quotes"', "line\nbreak", "carriage\rreturn", " lead", "trail ", None, 3, 2.5,
     True, '{"a":"b,c"}'],
    [""], ["", ""], [None], [], ['"'], [","], ["\r\n"], ["é ü 中"],
])
def test_csv_line_writes_what_the_csv_module_writes(values):
    assert _written_by_csv_module(values) == csv_line(values)


def test_csv_line_matches_the_csv_module_on_random_records():
    """Random records over the characters that change quoting, next to ordinary ones."""
    rng = random.Random(15)
    alphabet = ['"', ",", "\r", "\n", " ", "a", "=", "+", "1", "é", "\t", "'"]
    for _ in range(2000):
        values = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6))) for _ in range(rng.randrange(1, 5))]
        assert _written_by_csv_module(values) == csv_line(values), values


def test_safe_csv_line_neutralises_formulas_before_quoting():
    assert "'=1+1,\"'@x,y\",+33612345678\r\n" == safe_csv_line(["=1+1", "@x,y", "+33612345678"])
