"""Dask distributed for sweeps and checks: connect to a scheduler or start a local cluster.

Dask is an optional extra (``pip install "mdptheory[dask]"``). Nothing here imports it at
module level, so ``import mdptheory.distributed`` works without it; :func:`dask_client` raises
:class:`DaskUnavailable`, whose message is one line naming the extra, when it is missing.

Workers need only the installed package: every task is a module-level function of
``mdptheory``, ``algorithms`` or ``proofs_check`` with pickled, frozen arguments (learners,
models, seeds). Seeds are spawned in the client before dispatch, so a result does not depend
on which worker ran it.

Examples
--------
>>> validate_backend(jobs=1, scheduler=None, dask_local=None) is None
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXTRA_HINT = 'pip install "mdptheory[dask]"'


class DaskUnavailable(ImportError):
    """Dask distributed is needed (``--scheduler`` or ``--dask-local``) but not installed."""


def require_distributed() -> Any:
    """Import and return the ``distributed`` module, or raise :class:`DaskUnavailable`."""
    try:
        import distributed
    except ImportError as error:
        raise DaskUnavailable(
            f"Dask distributed is not installed ({error}); install the extra: {EXTRA_HINT}"
        ) from None
    return distributed


def validate_backend(jobs: Any, scheduler: str | None, dask_local: Any) -> None:
    """Check the backend options of ``mdptheory sweep`` and ``mdptheory check``.

    ``--scheduler`` and ``--dask-local`` exclude each other and ``--jobs`` (which sets local
    processes); ``--dask-local`` is a positive number of workers; a scheduler address is
    ``tcp://HOST:PORT`` (or another Dask protocol).

    Raises
    ------
    ValueError
        One line naming the option and its value.
    """
    if scheduler is not None and dask_local is not None:
        raise ValueError(
            f"--scheduler {scheduler} and --dask-local {dask_local} exclude each other: give one"
        )
    if dask_local is not None and (
        isinstance(dask_local, bool) or not isinstance(dask_local, int) or dask_local < 1
    ):
        raise ValueError(f"--dask-local must be a positive number of workers, got {dask_local!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler):
        raise ValueError(
            f"--scheduler expects an address such as tcp://HOST:8786, got {scheduler!r}"
        )
    if (scheduler is not None or dask_local is not None) and jobs not in (None, 1):
        raise ValueError(
            f"--jobs {jobs} sets local processes; with --scheduler or --dask-local "
            "the cluster's workers run the tasks: drop --jobs"
        )


@contextmanager
def dask_client(
    scheduler: str | None = None, local_workers: int | None = None, processes: bool = True
) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler``, or on a ``LocalCluster`` of ``local_workers``
    single-threaded workers (processes, or threads of this process with ``processes=False``);
    closed (and the local cluster shut down) on exit.

    Raises
    ------
    DaskUnavailable
        When Dask distributed is not installed.
    ValueError
        When neither or both of ``scheduler`` and ``local_workers`` are given, or the scheduler
        cannot be reached (one line naming the address).
    """
    if (scheduler is None) == (local_workers is None):
        raise ValueError("give exactly one of a scheduler address and a number of local workers")
    validate_backend(None, scheduler, local_workers)
    distributed = require_distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        try:
            yield client
        finally:
            client.close()
        return
    # One thread per worker: the learners' kernels are single-threaded and numba's compiled
    # code is not meant to be shared by threads of one task stream.
    cluster = distributed.LocalCluster(
        n_workers=int(local_workers),
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def dashboard_link(client: Any) -> str | None:
    """The Dask dashboard address of ``client``, or None when the scheduler serves none."""
    try:
        return client.dashboard_link
    except (AttributeError, KeyError):
        return None


def total_workers(client: Any) -> int:
    """Number of worker threads the scheduler currently knows of (at least 1)."""
    return max(1, sum(client.nthreads().values()))


__all__ = [
    "EXTRA_HINT",
    "DaskUnavailable",
    "dashboard_link",
    "dask_client",
    "require_distributed",
    "total_workers",
    "validate_backend",
]
