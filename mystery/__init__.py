"""mystery: call-centre mystery shopping: scripted SIP test calls, analysed, valued, reported.

The pipeline in data order: scenario > schedule > dial > audio > transcribe > score > revenue >
store > report, with `pipeline` running a whole campaign. Importing this package is cheap.
"""

from mystery_core import __version__

__all__ = ["__version__"]
