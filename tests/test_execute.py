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
