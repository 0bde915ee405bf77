"""mystery: call-centre mystery shopping and outbound-call compliance.

Importing this package is cheap on purpose: `campaigns` shares its settings and store
plumbing, and a compliance officer installs no SIP or audio code.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
