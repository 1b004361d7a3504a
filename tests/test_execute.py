"""Notebooks run through ecg_utils.experiments.execute: no kernel noise on standard error, the notebook's own warnings kept."""
import nbformat
import pytest

from ecg_utils.experiments.execute import QuietKernelManager, execute_notebook

NOISE = ("without encryption", "KeyboardInterrupt")


@pytest.fixture
def notebook(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"},
                                            "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import warnings\nwarnings.warn(f'a real warning {x}')\nprint(x)")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_run_prints_no_kernel_noise_and_keeps_the_notebooks_warnings(notebook, tmp_path, capfd):
    for i in range(3):  # the shutdown interrupt is a race: several runs give it several chances
        out = execute_notebook(notebook, tmp_path / f"out{i}.ipynb", parameters={"x": i})
        streams = {o["name"]: o["text"] for o in out.cells[-1].outputs if o["output_type"] == "stream"}
        assert streams["stdout"].strip() == str(i)
        assert f"a real warning {i}" in streams["stderr"]      # the notebook's warning still reaches its reader
    err = capfd.readouterr().err
    assert not [line for line in err.splitlines() if any(n in line for n in NOISE)], err


def test_the_manager_encrypts_and_does_not_interrupt_a_kernel_it_shuts_down(monkeypatch):
    import asyncio

    from jupyter_client.manager import KernelManager

    sent = []

    async def interrupt(self):
        sent.append(self.shutting_down)

    monkeypatch.setattr(KernelManager, "_async_interrupt_kernel", interrupt)
    km = QuietKernelManager(kernel_name="python3")
    assert km.transport_encryption == "auto"                   # CurveZMQ keys: the kernel has nothing to warn about
    km.shutting_down = True
    asyncio.run(km._async_interrupt_kernel())                  # what shutdown_kernel calls first: no SIGINT
    km.shutting_down = False
    asyncio.run(km._async_interrupt_kernel())                  # an interrupt asked for otherwise still goes out
    assert sent == [False]


def _flaky_kernel(tmp_path, monkeypatch, deaths):
    """A kernelspec whose first ``deaths`` starts exit at once (as a kernel handed a port already taken does), then
    an ordinary ipykernel."""
    import json
    import sys

    starts = tmp_path / "starts"
    script = tmp_path / "flaky_kernel.py"
    script.write_text(
        "import pathlib, sys\n"
        f"starts = pathlib.Path({str(starts)!r})\n"
        "n = int(starts.read_text()) if starts.exists() else 0\n"
        "starts.write_text(str(n + 1))\n"
        f"if n < {deaths}:\n"
        "    sys.exit(1)\n"
        "from ipykernel.kernelapp import launch_new_instance\n"
        "sys.argv = ['ipykernel_launcher', '-f', sys.argv[1]]\n"
        "launch_new_instance()\n")
    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, str(script), "{connection_file}"],
                                                  "display_name": "flaky", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return starts


def test_a_kernel_that_dies_before_its_first_reply_is_started_again(notebook, tmp_path, monkeypatch):
    from ecg_utils.experiments.execute import KERNEL_START_TRIES

    starts = _flaky_kernel(tmp_path, monkeypatch, deaths=KERNEL_START_TRIES - 1)
    out = execute_notebook(notebook, tmp_path / "out.ipynb", parameters={"x": 7}, kernel_name="flaky")
    streams = {o["name"]: o["text"] for o in out.cells[-1].outputs if o["output_type"] == "stream"}
    assert streams["stdout"].strip() == "7"
    assert int(starts.read_text()) == KERNEL_START_TRIES


def test_a_kernel_that_keeps_dying_is_an_error_after_the_last_try(notebook, tmp_path, monkeypatch):
    from ecg_utils.experiments.execute import DIED_AT_START, KERNEL_START_TRIES

    starts = _flaky_kernel(tmp_path, monkeypatch, deaths=KERNEL_START_TRIES)
    with pytest.raises(RuntimeError, match=DIED_AT_START):
        execute_notebook(notebook, tmp_path / "out.ipynb", kernel_name="flaky")
    assert int(starts.read_text()) == KERNEL_START_TRIES


def test_a_failing_cell_is_not_run_again(tmp_path):
    import papermill as pm

    marks = tmp_path / "marks.txt"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_code_cell(f"open({str(marks)!r}, 'a').write('x')\nraise ValueError('cell fails')")]
    nbformat.write(nb, tmp_path / "fails.ipynb")
    with pytest.raises(pm.PapermillExecutionError, match="cell fails"):
        execute_notebook(tmp_path / "fails.ipynb", tmp_path / "out.ipynb")
    assert marks.read_text() == "x"
