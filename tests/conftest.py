"""Test configuration.

Under continuous integration (``CI`` set in the environment) hypothesis runs derandomised, so a
CI run is reproducible; local runs keep exploring new examples (and keep failing ones in
``.hypothesis/``).
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def dask_local_client():
    """A Dask ``Client`` on a ``LocalCluster`` of two single-threaded worker processes, shared by
    the tests of the distributed backends (skipped when Dask is not installed)."""
    pytest.importorskip("distributed")
    from mdptheory.distributed import dask_client

    with dask_client(local_workers=2) as client:
        yield client
