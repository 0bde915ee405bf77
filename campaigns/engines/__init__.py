"""Audit engines: the row engine (every log), the columnar engine (a block of rows at a time), and
`audit.run_audit`, which reads the inputs, picks an engine and hands out findings."""
