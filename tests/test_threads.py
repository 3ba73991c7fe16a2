"""numba_threads: sets the parallel kernels' thread count for a block and always restores it."""

from __future__ import annotations

import numba
import pytest

from mdptheory.threads import numba_threads


def test_the_count_is_set_inside_and_restored_after_an_error():
    before = numba.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with numba_threads(1):
            assert numba.get_num_threads() == 1
            raise RuntimeError("inside")
    assert numba.get_num_threads() == before


@pytest.mark.parametrize("n", [0, -1, 1.0, True, numba.config.NUMBA_NUM_THREADS + 1])
def test_a_count_outside_one_to_the_pool_size_is_refused(n):
    with pytest.raises(ValueError, match=r"n must be an int between 1 and \d+, got"):
        with numba_threads(n):
            pass
