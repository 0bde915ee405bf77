"""The real-time guard: the audit's rules answering one number at a time."""
