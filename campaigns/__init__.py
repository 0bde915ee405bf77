"""campaigns: outbound-call compliance audits and the real-time "may I call now?" guard.

Importing it loads no SIP or audio code (a test checks this in a fresh interpreter).
"""

from mystery_core import __version__

__all__ = ["__version__"]
