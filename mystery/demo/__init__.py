"""The demo: the built-in hotel switchboard, a campaign of mystery calls, a report."""
