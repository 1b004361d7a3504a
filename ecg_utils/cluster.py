"""Dask distributed: a client for a scheduler given by address, or a local cluster sized to the machine.

Sweeps (:func:`ecg_utils.experiments.sweep.run_sweep`) and archive scans (:func:`ecg_utils.scan.archive.scan_many`) hand
their tasks to a Dask scheduler named by one string:

``"local"``
    A :class:`distributed.LocalCluster` of process workers on this machine, one per core (one task each at a
    time), each worker's TensorFlow and BLAS limited to ``cores // workers`` threads. Closed afterwards.
``"tcp://host:8786"`` (any Dask address)
    An existing cluster (``dask scheduler`` + ``dask worker``, ``dask-jobqueue`` on SLURM, Kubernetes...).
    Its workers must import ``ecg_utils`` and see the same files (notebooks, data, output folders).
``"env"``
    The address in ``$DASK_SCHEDULER_ADDRESS``.

Example
-------
>>> with connect("local") as client:                                         # doctest: +SKIP
...     print(client.submit(sum, [1, 2]).result())
3
"""
from __future__ import annotations

import contextlib
import os

from ecg_utils.errors import DataError

LOCAL = "local"
ENV = "env"
ADDRESS_ENV = "DASK_SCHEDULER_ADDRESS"
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 10.0
#: Thread-count variables a worker's TensorFlow, OpenMP and BLAS read when they start.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS")


class SchedulerUnreachable(DataError):
    """The Dask scheduler named by the ``scheduler`` parameter cannot be reached (the message names it)."""


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_cores() -> int:
    """The cores this process may use for its own threads or processes: :func:`cores`, or 1 in a worker process of
    a pool (a Dask worker, a benchmark's ``ProcessPoolExecutor``), which is one of many already."""
    import multiprocessing

    return 1 if multiprocessing.parent_process() is not None else cores()


def thread_env(threads) -> dict:
    """The environment that limits TensorFlow, OpenMP and BLAS to ``threads`` threads."""
    return {v: str(max(1, int(threads))) for v in THREAD_ENV}


def resolve(scheduler) -> str:
    """``"local"``, or the scheduler's address (``"env"``: ``$DASK_SCHEDULER_ADDRESS``).

    Raises
    ------
    DataError
        For ``"env"`` with the variable unset, or a value that is not a string.
    """
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise DataError(f"scheduler={scheduler!r}: give 'local', 'env' or a Dask scheduler address "
                        f"such as tcp://host:8786")
    scheduler = scheduler.strip()
    if scheduler == ENV:
        address = os.environ.get(ADDRESS_ENV, "").strip()
        if not address:
            raise DataError(f"scheduler='env' but ${ADDRESS_ENV} is not set")
        return address
    return scheduler


def local_cluster(n_workers=None, **kwargs):
    """A :class:`distributed.LocalCluster` of ``n_workers`` process workers (default: one per core), one task
    at a time each, TensorFlow and BLAS in each limited to ``cores // n_workers`` threads, no dashboard."""
    from distributed import LocalCluster

    n_workers = max(1, int(n_workers or cores()))
    options = dict(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                   env=thread_env(max(1, cores() // n_workers)))
    return LocalCluster(**{**options, **kwargs})


@contextlib.contextmanager
def connect(scheduler, n_workers=None, timeout=None):
    """A :class:`distributed.Client` for ``scheduler`` (see the module's docstring); closed on exit, with the
    local cluster it started.

    Parameters
    ----------
    scheduler : str
        ``"local"``, ``"env"`` or a scheduler address.
    n_workers : int, optional
        Workers of a local cluster (default: one per core); ignored for an address.
    timeout : float, optional
        Seconds to wait for the scheduler (default :data:`CONNECT_TIMEOUT`).

    Raises
    ------
    SchedulerUnreachable
        When no scheduler answers at the address within ``timeout``: one line naming the address.
    """
    from distributed import Client

    target = resolve(scheduler)
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    if target == LOCAL:
        with local_cluster(n_workers) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(target, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {target} within {timeout:g} s "
                                   f"({reason}); start one with `dask scheduler`, or give 'local' instead") from None
    try:
        yield client
    finally:
        client.close()

