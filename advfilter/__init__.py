__version__ = "0.1.0"
# before any advfilter module imports torch (libgomp reads its settings once, when torch loads it): see advfilter.threads
from .threads import openmp_defaults as _openmp_defaults
_openmp_defaults()
