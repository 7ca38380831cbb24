#!/usr/bin/env bash
# Fault-injection CI additions (issue 15), sourced by .ci/run before `nox -s tests`:
# try the README quick start exactly as a new user of a stock Debian Python would (PEP 668:
# no system pip): pipx runs Nox; `nox -s bench` measures one smoke cell into a scratch
# reports root, `nox -s tests` runs the fault suite's quick checks. The fault suite itself
# (tests/faults, mounts a tmpfs: needs root, which CI has) runs inside `nox -s tests`.
# Cost on the 2-vCPU CI machine: ~1-2 min (pipx's nox + the bench venv's tensorflow-cpu).
apt-get install -y -qq --no-install-recommends pipx >/dev/null
faults_root=$(mktemp -d /tmp/graphbench-quickstart.XXXXXX)
log "quick start with the stock Python: pipx run nox -s bench / -s tests"
PATH=/usr/bin:/bin pipx run nox -s bench -- --profile smoke --only 'mlp-eager-b1-cpu' \
  --reports-root "$faults_root/reports"
test -f "$faults_root/reports/index.html"
PATH=/usr/bin:/bin pipx run nox -s tests -- tests/faults/test_quickstart.py -q
rm -rf "$faults_root"
