"""Ingest: dialer logs and the audit's other inputs, streamed, every row accounted for."""
