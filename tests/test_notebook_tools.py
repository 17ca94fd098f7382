"""resnet_lab.tools.notebooks: what regenerating a notebook strips, and what it keeps (no notebook is executed)."""
import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from resnet_lab.tools import notebooks
from resnet_lab.tools.notebooks import strip_run_metadata

WIDGET_VIEW = {"model_id": "7f3a", "version_major": 2, "version_minor": 0}
TIMING = {"iopub.execute_input": "2026-01-01T10:00:00.1Z", "shell.execute_reply": "2026-01-01T10:00:02.5Z"}


def executed_notebook():
    """A small notebook as a kernel and JupyterLab leave it: timestamps, widget state, counts from a long session."""
    nb = new_notebook(metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"7f3a": {"model_name": "FloatSlider"}}}},
        "execution": {"timing": True},
        "title": "Degradation"})
    nb.cells = [
        new_markdown_cell("# Degradation", metadata={"ExecuteTime": {"start_time": "2026-01-01T10:00:00Z"}}),
        new_code_cell("import resnet_lab as rl", execution_count=7,
                      metadata={"execution": dict(TIMING), "tags": ["setup"]},
                      outputs=[new_output("stream", name="stdout", text="resnet_lab 0.1.0\n")]),
        new_code_cell("x = 1", execution_count=None),            # never run: no count, no output
        new_code_cell("x + 1", execution_count=12, metadata={"ExecuteTime": {"end_time": "2026-01-01T10:00:03Z"}},
                      outputs=[new_output("execute_result", data={"text/plain": "2"}, execution_count=12,
                                          metadata={"execution": dict(TIMING)})]),
        new_code_cell("slider", execution_count=15, metadata={"collapsed": True},
                      outputs=[new_output("display_data", data={
                          "text/plain": "FloatSlider(value=0.5)",
                          "application/vnd.jupyter.widget-view+json": dict(WIDGET_VIEW)})]),
    ]
    return nb


def test_strip_run_metadata_removes_timestamps_and_widget_state():
    nb = executed_notebook()
    strip_run_metadata(nb)
    assert "widgets" not in nb.metadata and "execution" not in nb.metadata
    assert nb.metadata.language_info == {"name": "python"}  # no Python version: it differs between machines
    assert nb.metadata.kernelspec == {"display_name": "Python 3", "language": "python", "name": "python3"}
    for cell in nb.cells:
        assert "execution" not in cell.metadata and "ExecuteTime" not in cell.metadata
    assert "metadata" not in nb.cells[3].outputs[0] or nb.cells[3].outputs[0].metadata == {}
    text = nbformat.writes(nb)
    for gone in ("iopub", "shell.execute_reply", "ExecuteTime", "widget-state", "3.11.7", "2026-01-01"):
        assert gone not in text, gone


def test_strip_run_metadata_renumbers_executed_cells_from_one():
    nb = executed_notebook()
    strip_run_metadata(nb)
    assert [c.get("execution_count") for c in nb.cells] == [None, 1, None, 2, 3]
    assert nb.cells[3].outputs[0].execution_count == 2  # the result's count follows its cell's


def test_strip_run_metadata_keeps_what_a_learner_sees():
    original = executed_notebook()
    nb = copy.deepcopy(original)
    strip_run_metadata(nb)
    assert [c.source for c in nb.cells] == [c.source for c in original.cells]
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in original.cells]
    assert nb.cells[1].outputs == original.cells[1].outputs                       # printed text
    assert nb.cells[3].outputs[0].data == {"text/plain": "2"}                      # a result
    assert nb.cells[4].outputs == original.cells[4].outputs                       # a widget's view and fallback
    assert nb.cells[1].metadata == {"tags": ["setup"]} and nb.cells[4].metadata == {"collapsed": True}
    assert nb.metadata.title == "Degradation"
    nbformat.validate(nb)


def test_strip_run_metadata_is_idempotent():
    once = executed_notebook()
    strip_run_metadata(once)
    twice = copy.deepcopy(once)
    strip_run_metadata(twice)
    assert nbformat.writes(twice) == nbformat.writes(once)


def test_normalize_only_rewrites_a_notebook_file_without_running_it(tmp_path, capsys):
    path = tmp_path / "05_example.ipynb"
    expected = executed_notebook()
    nbformat.write(expected, path)
    assert notebooks.main(["--normalize", str(path)]) == 0
    assert capsys.readouterr().out == f"normalised {path}\n"
    on_disk = nbformat.read(path, as_version=4)
    strip_run_metadata(expected)
    assert on_disk == expected
    assert on_disk.cells[1].outputs[0].text == "resnet_lab 0.1.0\n"  # outputs kept, not re-run


def test_the_default_notebooks_are_the_courses():
    assert notebooks.NOTEBOOKS == notebooks.CHECKOUT / "notebooks"
    names = sorted(p.name for p in notebooks.NOTEBOOKS.glob("[0-9]*.ipynb"))
    assert names[0] == "00_start_here.ipynb" and len(names) >= 5


@pytest.mark.parametrize("argv", [["--no-such-option"], ["--normalize", "--execute"]])
def test_unknown_options_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as done:
        notebooks.main(argv)
    assert done.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
