#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine (Debian 12: Slurm 22.05), for the batch tests
# and for trying scripts/slurm/trainscape-array.sbatch. Needs root; no systemd: munged,
# slurmctld and slurmd are started by hand and stopped by PID.
#
#   scripts/slurm/local-cluster.sh install        # apt-get the packages (done by start too)
#   scripts/slurm/local-cluster.sh start          # wipe state, start munged, slurmctld, slurmd
#   scripts/slurm/local-cluster.sh status         # the node's state, or why it is down
#   scripts/slurm/local-cluster.sh run CMD...     # a Slurm command (sbatch, squeue, ...) under
#                                                 # `timeout`, after checking the controller
#   scripts/slurm/local-cluster.sh wait JOBID [S] # poll until every task of JOBID ended
#                                                 # (at most S seconds, 600 by default); prints
#                                                 # one "TASKID STATE EXITCODE" line per task
#   scripts/slurm/local-cluster.sh stop           # cancel jobs, stop the daemons by PID
#
# Everything lives under $TRAINSCAPE_SLURM_DIR (default /tmp/trainscape-slurm): slurm.conf,
# state, spool, logs, PID files. Clients find the cluster through SLURM_CONF, which `run` sets
# (or: export SLURM_CONF=$TRAINSCAPE_SLURM_DIR/slurm.conf).
#
# Pitfalls this script avoids (found the hard way):
# - `sbatch --wait` polls slowly (tens of seconds): `wait` polls squeue and `scontrol show job`.
# - Slurm commands hang for many seconds when the controller is down: every call checks the
#   controller's PID first and runs under `timeout`.
# - Daemons started by hand outlive their shell: `stop` kills them by PID (the tests' runner
#   calls it from a trap), after cancelling the jobs so no task is left behind.
# - State from an earlier cluster (jobs, node states) confuses a new one: `start` wipes it.
set -euo pipefail

DIR=${TRAINSCAPE_SLURM_DIR:-/tmp/trainscape-slurm}
CONF=$DIR/slurm.conf
export SLURM_CONF=$CONF
T=${SLURM_CALL_TIMEOUT:-15}

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*" >&2; }

need_root() { [ "$(id -u)" = 0 ] || die "needs root (the daemons run as root and munge; CI runs as root)"; }

install_packages() {
  local missing=()
  for p in munge slurmctld slurmd slurm-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    need_root
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

pid_alive() { # PIDFILE
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

ctld_alive() { pid_alive "$DIR/slurmctld.pid"; }

# A Slurm client command, only when the controller runs, under a timeout.
slurm() {
  ctld_alive || die "slurmctld is not running ($DIR/slurmctld.pid); run: scripts/slurm/local-cluster.sh start"
  timeout "$T" "$@"
}

stop_pid() { # NAME PIDFILE
  local f=$2
  [ -s "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$1 ($pid) still running after 5 s: SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

start() {
  need_root
  install_packages
  stop_daemons quiet
  rm -rf "$DIR"
  mkdir -p "$DIR/ctld" "$DIR/d" "$DIR/log" "$DIR/munge"
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc --all)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)

  # munge: its key, its run directory, the daemon as the munge user.
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then
      runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || mungekey --create --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 755 /run/munge
  chown munge:munge "$DIR/munge"
  runuser -u munge -- /usr/sbin/munged --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
    || die "munged did not start: $(tail -3 "$DIR/munge/munged.log" 2>/dev/null)"
  for _ in $(seq 1 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
  munge -n </dev/null | unmunge >/dev/null || die "munge does not work (munge -n | unmunge failed)"

  cat >"$CONF" <<EOF
# One-node cluster for Trainscape's tests (scripts/slurm/local-cluster.sh).
ClusterName=trainscape
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
ReturnToService=2
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=${TRAINSCAPE_SLURMCTLD_PORT:-6817}
SlurmdPort=${TRAINSCAPE_SLURMD_PORT:-6818}
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MaxArraySize=10001
MinJobAge=600
KillWait=2
InactiveLimit=0
SlurmctldTimeout=10
SlurmdTimeout=10
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

  /usr/sbin/slurmctld -f "$CONF" -i || die "slurmctld did not start: $(tail -5 "$DIR/log/slurmctld.log" 2>/dev/null)"
  for _ in $(seq 1 50); do ctld_alive && break; sleep 0.1; done
  ctld_alive || die "slurmctld exited: $(tail -5 "$DIR/log/slurmctld.log" 2>/dev/null)"
  /usr/sbin/slurmd -f "$CONF" -N "$host" || die "slurmd did not start: $(tail -5 "$DIR/log/slurmd.log" 2>/dev/null)"
  for _ in $(seq 1 50); do pid_alive "$DIR/slurmd.pid" && break; sleep 0.1; done
  pid_alive "$DIR/slurmd.pid" || die "slurmd exited: $(tail -5 "$DIR/log/slurmd.log" 2>/dev/null)"

  local state=""
  for _ in $(seq 1 100); do
    state=$(slurm sinfo -h -N -o %t 2>/dev/null | head -1 || true)
    case "$state" in idle*|mix*|alloc*) break ;; esac
    sleep 0.2
  done
  case "$state" in
    idle*|mix*|alloc*) ;;
    *) die "node $host is '$state', not idle: $(slurm scontrol show node "$host" 2>&1 | grep -i reason || true); logs in $DIR/log" ;;
  esac
  say "up: node $host ($cpus CPUs, $mem MB), SLURM_CONF=$CONF"
}

stop_daemons() {
  if ctld_alive; then
    # Cancel every job first, so no task keeps running without its daemons.
    timeout "$T" scancel --quiet --full --user=root 2>/dev/null || timeout "$T" scancel --quiet --user=root 2>/dev/null || true
    for _ in $(seq 1 50); do
      [ -z "$(timeout "$T" squeue -h -o %i 2>/dev/null || true)" ] && break
      sleep 0.1
    done
  fi
  stop_pid slurmd "$DIR/slurmd.pid"
  stop_pid slurmctld "$DIR/slurmctld.pid"
  stop_pid munged "$DIR/munge/munged.pid"
  [ "${1:-}" = quiet ] || say "stopped"
}

status() {
  ctld_alive || die "slurmctld is not running"
  pid_alive "$DIR/slurmd.pid" || die "slurmd is not running"
  slurm sinfo -N -o "%N %t %c %m"
}

# Polls until no task of the job is pending or running, then prints each task's end state.
wait_job() {
  local job=$1 limit=${2:-600} start now left
  start=$(date +%s)
  while :; do
    left=$(slurm squeue -h -j "$job" -o %i 2>/dev/null || true)
    [ -z "$left" ] && break
    now=$(date +%s)
    if [ $((now - start)) -ge "$limit" ]; then
      die "job $job still has tasks after $limit s: $(slurm squeue -h -j "$job" -o '%i %T' | tr '\n' ' ')"
    fi
    sleep 0.5
  done
  # Finished tasks stay in the controller for MinJobAge seconds.
  slurm scontrol -o show job "$job" | sed -n 's/.*ArrayTaskId=\([^ ]*\).*JobState=\([^ ]*\).*ExitCode=\([^ ]*\).*/\1 \2 \3/p;t;s/.*JobId=\([^ ]*\).*JobState=\([^ ]*\).*ExitCode=\([^ ]*\).*/\1 \2 \3/p'
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop_daemons ;;
  status) status ;;
  run) shift; slurm "$@" ;;
  wait) shift; wait_job "$@" ;;
  *) echo "usage: $0 install|start|stop|status|run CMD...|wait JOBID [SECONDS]" >&2; exit 2 ;;
esac
