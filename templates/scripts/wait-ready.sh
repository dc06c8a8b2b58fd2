#!/usr/bin/env bash
# Post-step "wait-ready" (seed 000 step 4: "a few minutes later I can ssh into master-1 again"
# and every unit is active). Runs on a master; the later post-steps assume what it checks.
set -euo pipefail
STEP="wait-ready"
# Run from its file (tests, by hand), a script brings its prelude; in a create text it is already there.
# shellcheck source-path=SCRIPTDIR source=lib/prelude.sh
[[ $(type -t die) == function ]] || source "${BASH_SOURCE[0]%/*}/lib/prelude.sh"

usage() {
    cat <<'USAGE'
usage: wait-ready.sh [--timeout SECONDS] UNIT...

Waits until cloud-init has finished on this node and every UNIT is active.
  --timeout SECONDS  give up after this long in total (default 1200)
  UNIT               a systemd unit, e.g. zookeeper.service mesos-master.service

Exit 0 when ready; non-zero with the reason on stderr otherwise.
USAGE
}

main() {
    local total=1200
    local -a units=()
    while (($# > 0)); do
        case "$1" in
            -h | --help) usage; return 0 ;;
            --timeout) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { usage_error "--timeout needs a positive number of seconds"; }; total=$2; shift 2 ;;
            -*) usage_error "unknown option: $1" ;;
            *) units+=("$1"); shift ;;
        esac
    done
    ((${#units[@]} > 0)) || { usage_error "no units given"; }
    local deadline=$((SECONDS + total))

    # cloud-init writes the units and the env files they read; a unit that is active before
    # cloud-init is done may still be running with a half-written configuration.
    wait_for_boot "$total"

    log "waiting for ${units[*]} to be active"
    local unit state
    local -a waiting=()
    while :; do
        waiting=()
        for unit in "${units[@]}"; do
            state=$(systemctl is-active "$unit" 2>/dev/null) || true
            [[ $state == active ]] || waiting+=("$unit=${state:-unknown}")
        done
        ((${#waiting[@]} == 0)) && break
        # Units restart on failure (Docker image pulls, ZooKeeper waiting for peers): keep
        # polling until the deadline rather than failing on the first "failed" seen.
        ((SECONDS < deadline)) || die "not active after ${total} s: ${waiting[*]} (see: journalctl -u <unit>)"
        sleep 2
    done
    log "ready: ${units[*]} active after ${SECONDS} s"
}

main "$@"
