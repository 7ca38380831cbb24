# Sourced by .ci/run before the tests: every real part the tests use must be here, and a test
# that would skip for want of one fails instead (tests/conftest.py: require_or_skip).
# Then the mutation budget and the named-mutant proof (docs/mutation.md): ~8 min end to end (named mutants ~1.5 min, mutmut ~6 min).
# Sourced after .ci/slurm.sh started the cluster and the Docker engine came up (.ci/run).
# Needs: log() from .ci/run; python3 with nox on PATH.

# uv resolves against PyPI through the TLS-intercepting proxy: hand it the system CA bundle
# (uv's built-in roots do not know the proxy's CA, and the lock test would otherwise fail).
if [ -z "${SSL_CERT_FILE:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
fi
export UV_NATIVE_TLS=1

# one switch per real part; each turns "skipped: X is missing" into a failure
export GRAPHBENCH_REQUIRE_TF=1        # tf-marked tests: real TensorFlow on CPU
export GRAPHBENCH_REQUIRE_CHROMIUM=1  # the report in headless Chromium (playwright)
export GRAPHBENCH_REQUIRE_DOCKER=1    # image builds and runs on the private engine
export GRAPHBENCH_REQUIRE_GIT=1       # a real git checkout (fingerprint, fresh-clone checks)
export GRAPHBENCH_REQUIRE_UV=1        # the pinned uv and PyPI (lock files are not stale)
export GRAPHBENCH_REQUIRE_SLURM=1     # a one-node Slurm cluster, where a test submits jobs

log "mutation testing of the pure core (nox -s mutation: budget 90 %, named mutants)"
nox -s mutation
