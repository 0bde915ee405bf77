"""Measures of a call: phase durations and outcome, from SIP events and from audio segments."""
