"""pjsua2 plumbing shared by the dialer and the switchboard simulator (the only pjsua2 import site)."""
