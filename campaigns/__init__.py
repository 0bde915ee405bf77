"""campaigns: outbound-call compliance audits and the real-time "may I call now?" guard."""
