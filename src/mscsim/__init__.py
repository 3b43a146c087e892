"""mscsim: mechanistic in-silico trials of MSC and MSC-exosome therapy.

The public API is re-exported here; implementation lives in private modules.
"""

from mscsim._version import __version__

__all__ = ["__version__"]
