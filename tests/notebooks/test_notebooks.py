"""The data-science notebooks: stored without outputs, import the packages, run top to bottom.

Each notebook is executed with nbclient in a kernel of this interpreter (a kernelspec written to a
temporary JUPYTER_PATH, so a fresh clone with only ``.venv`` works), against one small demo
lakehouse in a temporary folder (``LEAKLINE_DEMO_DIR``) that the first notebook creates with the
package APIs (generate, then the pipeline) and the others reuse. Nothing is written back to the files.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "leakline-tests"
CELL_TIMEOUT_S = 900


def test_the_three_notebooks_are_there():
    names = [p.stem.split("_")[0] for p in NOTEBOOKS]
    assert names[:3] == ["01", "02", "03"], NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has stored outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_the_packages_and_defines_no_functions(path):
    """Logic lives in the packages: cells import and call, they do not define functions or classes."""
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    tree = ast.parse(source)
    defined = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert defined == [], f"{path.name} defines {defined}: move them into a package"
    imported = {
        (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    } | {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported & {"jobs", "models", "app"}, f"{path.name} imports nothing from the packages"
    assert "LEAKLINE_DEMO_DIR" in nb.cells[1].source or "LEAKLINE_DEMO_DIR" in nb.cells[0].source


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec for this interpreter and a shared temporary demo folder, for the module."""
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "leakline (tests)",
        "language": "python",
    }))
    demo = tmp_path_factory.mktemp("notebook-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(jupyter))
        mp.setenv("LEAKLINE_DEMO_DIR", str(demo))
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        mp.setenv("MPLBACKEND", "Agg")
        mp.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "LEAKLINE_LAKEHOUSE", "LEAKLINE_CONF_DIR"):
            mp.delenv(name, raising=False)
        yield demo


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, kernel_env):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT_S, allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{str(exc)[-4000:]}")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert errors == []
    # the notebook's last code cell states its conclusion as text (not an empty display)
    assert any(o.get("output_type") in {"stream", "execute_result", "display_data"} for o in code[-1].outputs)
    assert (kernel_env / "lakehouse" / "gold").is_dir()
    assert os.environ["LEAKLINE_DEMO_DIR"] == str(kernel_env)
