#!/usr/bin/env bash
# Post-step "agent-reregister": a replaced worker's agent starts with an empty work dir and
# registers under a new agent id. Runs on a master (the worker reboots once at first boot, which
# would cut an SSH session to it) and waits until the leading master lists exactly one agent for
# the worker's host name, active: the new one, the old id gone (Mesos drops it once its pings
# time out, 75 s by default).
set -euo pipefail
STEP="agent-reregister"
# Run from its file (tests, by hand), a script brings its prelude; in a create text it is already there.
# shellcheck source-path=SCRIPTDIR source=lib/prelude.sh
[[ $(type -t die) == function ]] || source "${BASH_SOURCE[0]%/*}/lib/prelude.sh"

usage() {
    cat <<'USAGE'
usage: agent-reregister.sh --hostname FQDN [--timeout SECONDS] MASTER_URL...

  --hostname FQDN  the name the worker's agent registers with (--hostname of mesos-agent)
  --timeout SECONDS  give up after this long (default 300)
  --credentials FILE  user:password for Mesos' HTTP API (default: the node's
                   /etc/mesos-cluster/secrets/http-operator); refused when missing
  MASTER_URL       every master (http://10.136.64.11:5050); the leader is asked
USAGE
}

# Prints "id active" per registered agent whose hostname is $2, from a /master/slaves document.
agents_named() {
    python3 -c 'import json,sys
for a in json.load(sys.stdin).get("slaves", []):
    if a.get("hostname") == sys.argv[1]: print(a.get("id"), str(a.get("active")).lower())' "$1"
}

leader_url() {
    local url location
    for url in "$@"; do
        location=$(hcurl -s -o /dev/null --max-time 3 -w '%{redirect_url}' "$url/master/redirect") || continue
        # Location: //host:port (Mesos) or http://host:port
        [[ -n $location ]] || continue
        location=${location#http:}
        printf 'http:%s\n' "${location%/master/redirect}"
        return 0
    done
    return 1
}

main() {
    local hostname="" total=300 credentials=$HTTP_CREDENTIALS_FILE
    local -a masters=()
    while (($# > 0)); do
        case "$1" in
            -h | --help) usage; return 0 ;;
            --hostname) [[ $# -ge 2 && $2 =~ ^[A-Za-z0-9.-]+$ ]] || usage_error "--hostname needs a host name"; hostname=$2; shift 2 ;;
            --timeout) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage_error "--timeout needs a positive number of seconds"; total=$2; shift 2 ;;
            --credentials) [[ $# -ge 2 && $2 == /* ]] || usage_error "--credentials needs an absolute path"; credentials=$2; shift 2 ;;
            -*) usage_error "unknown option: $1" ;;
            *) [[ $1 =~ ^https?://[^[:space:]]+$ ]] || usage_error "not a master URL: $1"; masters+=("$1"); shift ;;
        esac
    done
    [[ -n $hostname ]] || usage_error "--hostname is required"
    ((${#masters[@]} > 0)) || usage_error "no master given (MASTER_URL...)"
    load_http_credentials "$credentials"
    local deadline=$((SECONDS + total)) leader="" listed="" why=""
    while :; do
        if ! leader=$(leader_url "${masters[@]}"); then
            why="no master names a leader"
        else
            listed=$(hcurl -sf --max-time 5 "$leader/master/slaves" | agents_named "$hostname") || listed=""
            if [[ $listed =~ ^[^[:space:]]+\ true$ ]]; then
                log "the leader $leader lists one agent for $hostname: ${listed% *}, active"
                return 0
            fi
            why="the leader lists for $hostname: ${listed:-no agent}${listed:+ (want exactly one, active)}"
            why=${why//$'\n'/; }
        fi
        ((SECONDS < deadline)) || die "after ${total} s: $why"
        sleep 3
    done
}

main "$@"
