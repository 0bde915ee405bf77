"""The shared core of both products: errors, JSON text, located YAML, settings, store plumbing.

It imports neither `mystery` nor `campaigns` (an import contract checks it), so a compliance
officer's install of `campaigns` carries none of the mystery-call internals.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mystery")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
