"""The report: a run directory in, a self-contained static HTML page (and a site) out.

Layering inside this package (imports point down only):

    render.py / site.py   I/O: read run directories, write index.html, cases.csv
    svg.py              pure: view values -> deterministic inline SVG
    model.py, compare.py  pure: results + fingerprint + diagnosis -> frozen view values
    load.py               tolerant reading of one run directory

Nothing here imports TensorFlow: a report renders on any laptop from the files alone.
"""

from __future__ import annotations
