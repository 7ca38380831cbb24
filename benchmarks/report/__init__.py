"""The report: a run directory in, a self-contained static HTML page (and a site) out.

Layering inside this package (imports point down only):

    render.py / site.py     I/O: read run directories, write index.html, cases.csv
    charts.py, svg.py       pure: which charts a run has; view values -> deterministic SVG
    model.py, grid.py,      pure: results + fingerprint + diagnosis -> frozen view values
    sections.py, compare.py
    display.py              fingerprint facts as display text (reading: environment.view)

Run directories are read by ``benchmarks.rundir.load``. Nothing here imports TensorFlow: a report
renders on any laptop from the files alone.
"""

from __future__ import annotations

# The smallest relative change `compare`, `report --baseline` and the site call a regression or
# an improvement (a CI that excludes 1 is also required). Here, not in compare.py, so that the
# command line can show it in --help without importing numpy.
DEFAULT_THRESHOLD = 0.10
