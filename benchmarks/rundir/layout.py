"""Every file name of a run directory, and who writes it: the one place they are spelled.

```
<run>/run.json          run record: command, plan, seed, workers, status   (run.session)
<run>/cases.jsonl       one line per finished cell, appended as it ends   (run.session)
<run>/fingerprint.json  the machine, before and after                     (environment.fingerprint)
<run>/probe.log         the GPU start-up log of the probe                  (gpu.probe)
<run>/engine.log        a container engine's refusal, as evidence          (gpu.probe)
<run>/diagnosis.json    the GPU doctor's findings                          (gpu.probe)
<run>/logs/worker-*.log each worker's stderr                               (run.runner)
<run>/worker-tmp/       the workers' TMPDIR (autograph files), gone after the run (run.runner)
<run>/index.html        the run's page; cases.csv its table               (report.render)
<run>/speedups.json     the speedups as computed from cases.jsonl (a cache) (rundir.derived)
<run>/shards/K-of-N/    a merged run's copy of each shard (no cases.jsonl) (rundir.merge)
<run>/cases.jsonl.partial  an incomplete last line, set aside on resume     (rundir.jsonio)
<run>/run.lock          advisory lock + the holder's pid while a run writes (rundir.lock)
<root>/index.html       the site over all runs of a reports root           (report.site)
<root>/.graphbench-reports  marks a reports root graphbench made           (rundir.paths)
```
"""

from __future__ import annotations

RUN_FILE = "run.json"
CASES_FILE = "cases.jsonl"
FINGERPRINT_FILE = "fingerprint.json"
PROBE_LOG = "probe.log"
ENGINE_LOG = "engine.log"
DIAGNOSIS_FILE = "diagnosis.json"
LOGS_DIR = "logs"
WORKER_TMP_DIR = "worker-tmp"
SHARDS_DIR = "shards"
PAGE = "index.html"
CSV_FILE = "cases.csv"
SPEEDUPS_FILE = "speedups.json"
SITE_PAGE = "index.html"
TMP_SUFFIX = ".tmp"
PARTIAL_SUFFIX = ".partial"
LOCK_FILE = "run.lock"
ROOT_MARKER = ".graphbench-reports"


def worker_log(index: int, kind: str) -> str:
    """``logs/worker-3-cpu.log``: the stderr of the runner's third worker, a CPU one."""
    return f"{LOGS_DIR}/worker-{index}-{kind}.log"
