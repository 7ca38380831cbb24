#!/usr/bin/env bash
# A private single-node Slurm cluster for the slurm-marked tests (docs/scale-out.md).
#
# Installs Debian's slurm-wlm and munge when missing, then starts munged, slurmctld and slurmd
# with every socket, port, state, spool, pid and log file under one mktemp directory (nothing
# under /etc, /var or /run is touched), and waits until the node is idle.
#
#   source .ci/slurm.sh start   # .ci/run: exports SLURM_CONF; the daemons stop at the shell's exit
#   bash .ci/slurm.sh           # by hand: prints the export line and the stop command
#   bash .ci/slurm.sh stop DIR  # stop the daemons of DIR by the PIDs in their pid files, remove DIR
#
# Sourced, it chains its stop function in front of the caller's EXIT trap, keeping the caller's
# exit status. GRAPHBENCH_SLURM_CPUS=N gives the node N CPUs instead of nproc (fewer tasks at
# once). Costs about 15 s for the install (when missing) and 2-5 s for the start.

graphbench_slurm_stop() {
  local rc=$? dir=${1:-${GRAPHBENCH_SLURM_DIR:-}} name pid
  [ -n "$dir" ] && [ -d "$dir" ] || return "$rc"
  for name in slurmd slurmctld munged; do
    pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
  done
  rm -rf "$dir"
  return "$rc"
}

_graphbench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

graphbench_slurm_start() {
  local started host dir ctld_port slurmd_port
  started=$(date +%s)
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm.sh: installing slurm-wlm and munge" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      slurm-wlm munge >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; } || return 1
  fi
  host=$(hostname -s)
  dir=$(mktemp -d /tmp/graphbench-slurm.XXXXXX)
  chmod 755 "$dir"
  mkdir -p "$dir/state" "$dir/spool"
  ctld_port=$(_graphbench_free_port)
  slurmd_port=$(_graphbench_free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(_graphbench_free_port); done

  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge.key"
  munged --force -S "$dir/munge.socket" --key-file "$dir/munge.key" \
    --pid-file "$dir/munged.pid" --log-file "$dir/munged.log" --seed-file "$dir/munge.seed" \
    || { echo "slurm.sh: munged did not start" >&2; cat "$dir/munged.log" >&2; return 1; }

  cat >"$dir/slurm.conf" <<EOF
ClusterName=graphbench
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host CPUs=${GRAPHBENCH_SLURM_CPUS:-$(nproc)} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  export GRAPHBENCH_SLURM_DIR="$dir"
  slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" || {
    echo "slurm.sh: slurmctld/slurmd did not start" >&2
    tail -n 20 "$dir"/slurm*.log >&2
    graphbench_slurm_stop "$dir"
    return 1
  }
  for _ in $(seq 60); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then
      echo "slurm.sh: node $host idle after $(( $(date +%s) - started )) s (ports $ctld_port," \
        "$slurmd_port; $dir)" >&2
      return 0
    fi
    sleep 0.5
  done
  echo "slurm.sh: the node did not become idle; sinfo says: $(sinfo -h -N 2>&1)" >&2
  tail -n 20 "$dir"/slurm*.log >&2
  graphbench_slurm_stop "$dir"
  return 1
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then  # sourced
  if [ "${1:-start}" = start ]; then
    graphbench_slurm_start || return 1
    _graphbench_prev_trap=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
    # shellcheck disable=SC2064  # expand the caller's handler now, run both at exit
    trap "graphbench_slurm_stop; ${_graphbench_prev_trap:-:}" EXIT
  fi
else
  set -euo pipefail
  case "${1:-start}" in
    start)
      graphbench_slurm_start
      echo "export SLURM_CONF=$SLURM_CONF"
      echo "# stop with: bash $0 stop $GRAPHBENCH_SLURM_DIR"
      ;;
    stop) graphbench_slurm_stop "${2:?usage: $0 stop DIR}" ;;
    *) echo "usage: $0 [start | stop DIR]" >&2; exit 2 ;;
  esac
fi
