"""Regenerate the committed notebooks: ``python -m resnet_lab notebooks``.

Executes each notebook top to bottom in a fresh kernel (with ``RESNET_LAB_THREADS=2``, as the tests run them,
and ``RESNET_LAB_FIGURES`` pointing at ``figures/``, so every figure is saved there under its stable name) and
writes it back with its outputs, normalised so that a re-run changes the file only where an output
changed: no execution timestamps, no widget state, execution counts renumbered from 1.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from resnet_lab.plots.style import FIGURES_ENV_VAR
from resnet_lab.runs import RUNS_ENV_VAR
from resnet_lab.runtime import describe_cpu

CHECKOUT = Path(__file__).resolve().parents[2]
NOTEBOOKS = CHECKOUT / "notebooks"


def strip_run_metadata(nb) -> None:
    """Strip what changes between runs without changing what a learner sees."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("execution", None)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type != "code":
            continue
        if cell.outputs or cell.execution_count is not None:
            count += 1
            cell.execution_count = count
        for output in cell.outputs:
            if "execution_count" in output:
                output["execution_count"] = cell.execution_count
            output.get("metadata", {}).pop("execution", None)


def execute(path: Path, timeout: int = 1800, write: bool = True) -> float:
    """Run ``path`` top to bottom in a fresh kernel; write it back with its outputs (unless ``write=False``).
    Returns the wall-clock seconds the execution took."""
    # deferred: nbformat and nbclient take over a second to import, and the cli loads this module for every command
    import nbformat
    from nbclient import NotebookClient  # deferred: as nbformat

    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("RESNET_LAB_THREADS", "2")
    if write:
        os.environ.setdefault(FIGURES_ENV_VAR, str(CHECKOUT / "figures"))  # regenerating on purpose: save them
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   record_timing=False).execute()
    elapsed = time.perf_counter() - start
    if write:
        strip_run_metadata(nb)
        nbformat.write(nb, path)
    return elapsed


def time_from_nothing(path: Path) -> float:
    """Seconds to run ``path`` as a learner's first run does: a fresh kernel and an empty runs folder (nothing
    trained yet; the decoded data cache is used if present). The notebook file is not changed."""
    with tempfile.TemporaryDirectory(prefix="resnet_lab-timing-") as runs:
        previous = os.environ.get(RUNS_ENV_VAR)
        os.environ[RUNS_ENV_VAR] = runs
        try:
            return execute(path, write=False)
        finally:
            os.environ.pop(RUNS_ENV_VAR) if previous is None else os.environ.__setitem__(RUNS_ENV_VAR, previous)


def main(argv=None) -> int:
    import nbformat  # deferred: slow to import, and the cli loads this module for every command

    parser = argparse.ArgumentParser(prog="python -m resnet_lab notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all of notebooks/*.ipynb)")
    parser.add_argument("--normalize", action="store_true", help="only normalise, do not execute")
    parser.add_argument("--time", action="store_true",
                        help="measure each notebook's runtime from nothing (fresh kernel, empty runs folder) without "
                             "changing it; with ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 an AVX512 CPU runs "
                             "the kernels of a laptop without AVX512")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        course = ", ".join(str(p.relative_to(CHECKOUT)) for p in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")))
        parser.error(f"no notebook {', '.join(missing)}; the course's notebooks are {course or 'not here'}")
    for path in paths:
        if args.time:
            seconds = time_from_nothing(path)
            print(f"{path.name}: {seconds:.0f} s from nothing, {os.environ['RESNET_LAB_THREADS']} torch threads in the "
                  f"kernel, on {os.cpu_count()} cores of a {describe_cpu()}", flush=True)
        elif args.normalize:
            nb = nbformat.read(path, as_version=4)
            strip_run_metadata(nb)
            nbformat.write(nb, path)
            print(f"normalised {path}")
        else:
            print(f"executing {path} ...", flush=True)
            print(f"  done in {execute(path):.0f} s", flush=True)
    return 0
