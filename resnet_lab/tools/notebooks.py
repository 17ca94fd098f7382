"""Regenerate the committed notebooks: ``python -m resnet_lab notebooks``.

Executes each notebook top to bottom in a fresh kernel (with ``RESNET_LAB_THREADS=2``, as the tests run them,
and ``RESNET_LAB_FIGURES`` pointing at ``figures/``, so every figure is saved there under its stable name) and
writes it back with its outputs, normalised so that a re-run changes the file only where an output changed,
and so that the saved notebook reads well before anyone runs it: no execution timestamps, no widget state
(a widget's output says in words what runs there), no progress-bar residue, execution counts renumbered from 1,
and the kernel metadata JupyterLab itself writes (so a learner's first save shows no diff).

Each notebook is regenerated from nothing: a fresh kernel and an empty ``runs/`` folder, so whatever it trains is
trained during the run. Its first cell's line ``*Runtime of the committed run: ...*`` is then rewritten with the
seconds that run took and the CPU it ran on, so the runtime a learner reads is a measurement, not a hand-written
claim.

``--time`` measures each notebook from nothing (a fresh kernel and an empty ``runs/`` folder), with the time of
each section, without changing the file.
"""
from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from resnet_lab.plots.style import FIGURES_ENV_VAR
from resnet_lab.runs import RUNS_ENV_VAR
from resnet_lab.runtime import describe_cpu

CHECKOUT = Path(__file__).resolve().parents[2]
NOTEBOOKS = CHECKOUT / "notebooks"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: What a saved widget says where no live kernel draws it (JupyterLab shows text/plain then).
WIDGET_NOTE = "[An interactive widget: run this cell in Jupyter to use it.]"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_PROGRESS_BAR = re.compile(r"\d+%\|.*\|")


def _is_progress_bar(output) -> bool:
    text = output.get("data", {}).get("text/plain", "")
    return WIDGET_MIME in output.get("data", {}) and bool(_PROGRESS_BAR.search("".join(text)))


def _readable_widget(output) -> None:
    data = output.get("data", {})
    if WIDGET_MIME in data and not "".join(data.get("text/plain", "")).startswith("Predict, then run."):
        data["text/plain"] = WIDGET_NOTE


def strip_run_metadata(nb) -> None:
    """Strip what changes between runs without changing what a learner sees."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.outputs if not _is_progress_bar(o)]
        for output in cell.outputs:
            _readable_widget(output)
        if cell.outputs or cell.execution_count is not None:
            count += 1
            cell.execution_count = count
        for output in cell.outputs:
            if "execution_count" in output:
                output["execution_count"] = cell.execution_count
            output.get("metadata", {}).pop("execution", None)


def _seconds(cell) -> Optional[float]:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def section_times(nb) -> List[Tuple[str, float]]:
    """``[(section heading, seconds)]`` of an executed notebook, from its cells' timing metadata; the cells
    before the first ``## `` heading count as "set-up"."""
    sections: List[Tuple[str, float]] = [("set-up", 0.0)]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    sections.append((line[3:].strip(), 0.0))
        elif cell.cell_type == "code":
            seconds = _seconds(cell) or 0.0
            sections[-1] = (sections[-1][0], sections[-1][1] + seconds)
    return sections


def execute_notebook(path: Path, cwd: Optional[Path] = None, timeout: int = 1800, write: bool = True,
                     timing: Optional[Dict] = None) -> float:
    """Run ``path`` top to bottom in a fresh kernel started in ``cwd`` (default: the notebook's folder) and write
    it back with its outputs, normalised (unless ``write=False``). Returns the wall-clock seconds it took;
    ``timing``, a dict, receives the per-section seconds under ``"sections"``."""
    # deferred: nbformat and nbclient take over a second to import, and the cli loads this module for every command
    import nbformat
    from nbclient import NotebookClient  # deferred: as nbformat

    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("RESNET_LAB_THREADS", "2")
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd or path.parent)}}, record_timing=True).execute()
    elapsed = time.perf_counter() - start
    if timing is not None:
        timing["sections"] = section_times(nb)
    if write:
        strip_run_metadata(nb)
        nbformat.write(nb, path)
    return elapsed


RUNTIME_LINE = re.compile(r"\*Runtime of the committed run: [^*]*\*")


def runtime_line(seconds: float) -> str:
    """The measured runtime sentence written into a regenerated notebook's first cell."""
    return (f"*Runtime of the committed run: {seconds:.0f} s, executed top to bottom in a fresh kernel with nothing "
            f"trained yet (an empty runs folder), {os.environ.get('RESNET_LAB_THREADS', '2')} torch threads, on "
            f"{os.cpu_count()} CPU cores: {describe_cpu()}.*")


def write_runtime(path: Path, seconds: float) -> bool:
    """Rewrite the runtime sentence of ``path``'s first markdown cell; False when it has none."""
    import nbformat  # deferred: slow to import, and the cli loads this module for every command

    nb = nbformat.read(path, as_version=4)
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None or not RUNTIME_LINE.search(first.source):
        return False
    first.source = RUNTIME_LINE.sub(lambda _: runtime_line(seconds), first.source, count=1)
    nbformat.write(nb, path)
    return True


def execute(path: Path, timeout: int = 1800, write: bool = True, timing: Optional[Dict] = None) -> float:
    """Regenerate a course notebook on purpose, from nothing (an empty runs folder): as :func:`execute_notebook`,
    saving its figures under figures/ and writing the measured runtime into its first cell."""
    if write:
        os.environ.setdefault(FIGURES_ENV_VAR, str(CHECKOUT / "figures"))  # regenerating on purpose: save them
    with tempfile.TemporaryDirectory(prefix="resnet_lab-regenerate-") as runs:
        previous = os.environ.get(RUNS_ENV_VAR)
        os.environ[RUNS_ENV_VAR] = runs
        try:
            seconds = execute_notebook(path, timeout=timeout, write=write, timing=timing)
        finally:
            os.environ.pop(RUNS_ENV_VAR) if previous is None else os.environ.__setitem__(RUNS_ENV_VAR, previous)
    if write and not write_runtime(path, seconds):
        print(f"  note: {path.name} has no '*Runtime of the committed run: ...*' line to update", flush=True)
    return seconds


def time_from_nothing(path: Path, timing: Optional[Dict] = None) -> float:
    """Seconds to run ``path`` as a learner's first run does: a fresh kernel and an empty runs folder (nothing
    trained yet; the decoded data cache is used if present). The notebook file is not changed."""
    with tempfile.TemporaryDirectory(prefix="resnet_lab-timing-") as runs:
        previous = os.environ.get(RUNS_ENV_VAR)
        os.environ[RUNS_ENV_VAR] = runs
        try:
            return execute_notebook(path, write=False, timing=timing)
        finally:
            os.environ.pop(RUNS_ENV_VAR) if previous is None else os.environ.__setitem__(RUNS_ENV_VAR, previous)


def course_notebooks(parser: argparse.ArgumentParser, paths: List[Path]) -> List[Path]:
    """``paths``, or every course notebook when none is given; a path that is not a notebook is a parser error."""
    paths = paths or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        course = ", ".join(str(p.relative_to(CHECKOUT)) for p in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")))
        parser.error(f"no notebook {', '.join(missing)}; the course's notebooks are {course or 'not here'}")
    return paths


def main(argv=None) -> int:
    import nbformat  # deferred: slow to import, and the cli loads this module for every command

    parser = argparse.ArgumentParser(prog="python -m resnet_lab notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all of notebooks/*.ipynb)")
    parser.add_argument("--normalize", action="store_true", help="only normalise, do not execute")
    parser.add_argument("--time", action="store_true",
                        help="measure each notebook's runtime from nothing (fresh kernel, empty runs folder), and "
                             "each section's, without changing it; with ATEN_CPU_CAPABILITY=avx2 "
                             "ONEDNN_MAX_CPU_ISA=AVX2 an AVX512 CPU runs the kernels of a laptop without AVX512")
    args = parser.parse_args(argv)
    for path in course_notebooks(parser, args.paths):
        if args.time:
            timing: Dict = {}
            seconds = time_from_nothing(path, timing)
            print(f"{path.name}: {seconds:.0f} s from nothing, {os.environ['RESNET_LAB_THREADS']} torch threads in the "
                  f"kernel, on {os.cpu_count()} cores of a {describe_cpu()}", flush=True)
            for title, section_seconds in timing["sections"]:
                print(f"  {section_seconds:6.1f} s  {title}", flush=True)
        elif args.normalize:
            nb = nbformat.read(path, as_version=4)
            strip_run_metadata(nb)
            nbformat.write(nb, path)
            print(f"normalised {path}")
        else:
            print(f"executing {path} ...", flush=True)
            print(f"  done in {execute(path):.0f} s", flush=True)
    return 0
