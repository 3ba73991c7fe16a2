"""Test configuration.

Under continuous integration (``CI`` set in the environment) hypothesis runs derandomised, so a
CI run is reproducible; local runs keep exploring new examples (and keep failing ones in
``.hypothesis/``).
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
