"""Executing a notebook with papermill without noise: an encrypted kernel connection and a quiet shutdown.

Left to their defaults, jupyter_client and ipykernel write two lines to the kernel's standard error that are not
about the notebook: ``Kernel is running over TCP without encryption`` when the kernel starts, and, now and then,
``KeyboardInterrupt caught in kernel`` when it stops (the manager sends SIGINT before its shutdown request, and
the signal can land while the kernel is still finishing its last reply). The main job prints them on its console;
a sweep, whose kernel runs the baseline notebook in a kernel of its own, shows them as red stderr boxes in its
report. :func:`execute_notebook` removes both causes and nothing else: the kernel's real warnings and errors, and
everything the notebook itself writes to standard error, still come through.

A kernel that dies before it answers its first request (``Kernel died before replying to kernel_info``) has run
nothing: it is started again, up to :data:`KERNEL_START_TRIES` times in all. It happens where kernels start side by
side (a sweep's workers on one machine): jupyter_client picks each kernel's ports by binding free ones and letting
them go, and two kernels starting at once can be handed the same port.
"""
from __future__ import annotations

import time
from pathlib import Path

from jupyter_client import AsyncKernelManager
from traitlets import default

#: Starts of a kernel that dies before its first reply, in all, before the error is raised.
KERNEL_START_TRIES = 3
#: What jupyter_client raises then (nothing has run: the notebook can be started again).
DIED_AT_START = "Kernel died before replying to kernel_info"


class QuietKernelManager(AsyncKernelManager):
    """A kernel manager that encrypts the kernel's connection and does not interrupt a kernel it shuts down.

    - ``transport_encryption="auto"``: CurveZMQ keys are provisioned when the kernelspec declares support
      (ipykernel 7 does), so the kernel has no reason to warn about plain-text TCP.
    - Shutdown skips the SIGINT that jupyter_client sends first: a kernel papermill shuts down has finished its
      last cell. A kernel that does not stop on the shutdown request is still terminated, then killed, after
      ``shutdown_wait_time``; explicit interrupts (``interrupt_kernel``, e.g. on a cell timeout) are unchanged.
    """

    @default("transport_encryption")
    def _transport_encryption_default(self):
        import zmq

        return "auto" if zmq.has("curve") else "disabled"

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


def execute_notebook(notebook, output, parameters=None, cwd=None, kernel_name="python3", **kwargs):
    """Run ``notebook`` with papermill into ``output`` through a :class:`QuietKernelManager`.

    Parameters
    ----------
    notebook, output : str or Path
        The notebook to run and where the executed copy goes.
    parameters : dict, optional
        Injected after the ``parameters``-tagged cell.
    cwd : str or Path, optional
        The kernel's working directory (default: the notebook's folder).
    kernel_name : str
    **kwargs
        Passed on to :func:`papermill.execute_notebook` (``execution_timeout``, ``log_output``, ...).

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook. A failing cell raises papermill's ``PapermillExecutionError``, as papermill does
        (never retried); a kernel that dies before its first reply is started again (:data:`KERNEL_START_TRIES`).
    """
    import papermill as pm

    cwd = Path(notebook).parent if cwd is None else cwd
    kwargs.setdefault("progress_bar", False)
    for attempt in range(1, KERNEL_START_TRIES + 1):
        try:
            return pm.execute_notebook(str(notebook), str(output), parameters=parameters or {},
                                       kernel_name=kernel_name, cwd=str(cwd), kernel_manager_class=QuietKernelManager,
                                       **kwargs)
        except RuntimeError as e:
            if DIED_AT_START not in str(e) or attempt == KERNEL_START_TRIES:
                raise
            time.sleep(0.5 * attempt)
