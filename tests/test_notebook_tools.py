"""resnet_lab.tools.notebooks: what regenerating a notebook strips, what it keeps, and how it reads unrun; the
per-section timing (no notebook is executed here)."""
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
        "language_info": {"name": "python", "version": "3.11.7", "mimetype": "text/x-python",
                          "codemirror_mode": {"name": "ipython", "version": 3}},
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
        new_code_cell("train()", execution_count=16,
                      outputs=[new_output("display_data", data={
                          "text/plain": "plain20:   0%|          | 0/234 [00:00<?, ?it/s]",
                          "application/vnd.jupyter.widget-view+json": dict(WIDGET_VIEW, model_id="9b1c")}),
                               new_output("stream", name="stdout", text="History(plain20: 6 epochs)\n")]),
        new_markdown_cell("## 2. Second section"),
        new_code_cell("guess", execution_count=17,
                      outputs=[new_output("display_data", data={
                          "text/plain": "Predict, then run. Which?\n  - a\n  - b",
                          "application/vnd.jupyter.widget-view+json": dict(WIDGET_VIEW, model_id="77aa")})]),
    ]
    return nb


def test_strip_run_metadata_removes_timestamps_and_widget_state():
    nb = executed_notebook()
    strip_run_metadata(nb)
    assert "widgets" not in nb.metadata and "execution" not in nb.metadata
    # what JupyterLab writes on save, so that a learner's first Ctrl+S changes nothing
    assert nb.metadata.language_info["codemirror_mode"] == {"name": "ipython", "version": 3}
    assert nb.metadata.kernelspec == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for cell in nb.cells:
        assert "execution" not in cell.metadata and "ExecuteTime" not in cell.metadata
    assert "metadata" not in nb.cells[3].outputs[0] or nb.cells[3].outputs[0].metadata == {}
    text = nbformat.writes(nb)
    for gone in ("iopub", "shell.execute_reply", "ExecuteTime", "widget-state", "2026-01-01"):
        assert gone not in text, gone


def test_strip_run_metadata_renumbers_executed_cells_from_one():
    nb = executed_notebook()
    strip_run_metadata(nb)
    assert [c.get("execution_count") for c in nb.cells] == [None, 1, None, 2, 3, 4, None, 5]
    assert nb.cells[3].outputs[0].execution_count == 2  # the result's count follows its cell's


def test_strip_run_metadata_keeps_what_a_learner_sees():
    original = executed_notebook()
    nb = copy.deepcopy(original)
    strip_run_metadata(nb)
    assert [c.source for c in nb.cells] == [c.source for c in original.cells]
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in original.cells]
    assert nb.cells[1].outputs == original.cells[1].outputs                       # printed text
    assert nb.cells[3].outputs[0].data == {"text/plain": "2"}                      # a result
    assert nb.cells[4].outputs[0].data[notebooks.WIDGET_MIME] == dict(WIDGET_VIEW)  # the widget's view, and ...
    assert nb.cells[4].outputs[0].data["text/plain"] == notebooks.WIDGET_NOTE      # ... words where it cannot show
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


def test_a_saved_notebook_has_no_progress_bar_residue_and_keeps_a_prediction_readable():
    nb = executed_notebook()
    strip_run_metadata(nb)
    training = nb.cells[5].outputs
    assert [o.output_type for o in training] == ["stream"]          # the bar stuck at 0% is gone, the History stays
    question = nb.cells[7].outputs[0].data["text/plain"]
    assert question.startswith("Predict, then run. Which?")          # a prediction reads as its own text unrun
    assert "FloatSlider" not in nbformat.writes(nb) and "0/234" not in nbformat.writes(nb)


def test_section_times_add_up_the_cells_of_each_section():
    nb = executed_notebook()
    for i in (5, 7):
        nb.cells[i].metadata["execution"] = dict(TIMING)
    assert notebooks.section_times(nb) == [("set-up", 2.4 + 2.4), ("2. Second section", 2.4)]


def test_the_runtime_line_is_rewritten_with_the_measurement(tmp_path):
    path = tmp_path / "05_example.ipynb"
    nb = executed_notebook()
    nb.cells[0].source = "# Title\n\n*Runtime of the committed run: 999 s, by hand.*\n\nMore text."
    nbformat.write(nb, path)
    assert notebooks.write_runtime(path, 212.4)
    first = nbformat.read(path, as_version=4).cells[0].source
    assert first.startswith("# Title\n\n*Runtime of the committed run: 212 s, executed top to bottom in a fresh kernel")
    assert "999" not in first and first.endswith(".*\n\nMore text.")
    nb.cells[0].source = "# Title without a runtime line"
    nbformat.write(nb, path)
    assert not notebooks.write_runtime(path, 1.0)
