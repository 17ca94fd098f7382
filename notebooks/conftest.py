"""nbval settings shared by every notebook of the course (used by ``python -m pytest``).

- Torch uses a fixed 2 CPU threads in each notebook's kernel (``RESNET_LAB_THREADS``), so seeded float
  outputs are reproducible.
- stderr is not compared: warnings and progress bars go there and differ from machine to machine.
- Figures are drawn with the non-interactive inline backend as in Jupyter; their pixels are not compared,
  and the ``<Figure size ...>`` lines, memory addresses and progress bars are sanitised
  (``tests/nbval_sanitize.cfg``).
"""
import os

import nbval.plugin

os.environ.setdefault("RESNET_LAB_THREADS", "2")

_compare_streams = nbval.plugin.transform_streams_for_comparison


def _without_stderr(outputs):
    return _compare_streams([o for o in outputs if not (o.get("output_type") == "stream"
                                                        and o.get("name") == "stderr")])


nbval.plugin.transform_streams_for_comparison = _without_stderr
