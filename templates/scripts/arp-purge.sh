#!/usr/bin/env bash
# Post-step "arp-purge" (seed 000 step 3: `arp -d master-1` on every node). A replaced master
# keeps its IP but gets a new MAC; until the old neighbour entry ages out, this node keeps
# sending to the dead MAC. Flushing the entries makes the kernel ask again at once.
set -euo pipefail
STEP="arp-purge"
# Run from its file (tests, by hand), a script brings its prelude; in a create text it is already there.
# shellcheck source-path=SCRIPTDIR source=lib/prelude.sh
[[ $(type -t die) == function ]] || source "${BASH_SOURCE[0]%/*}/lib/prelude.sh"

usage() {
    cat <<'USAGE'
usage: arp-purge.sh IP...
       arp-purge.sh --all

Deletes this node's neighbour (ARP) entries for each IP, on every interface, so the next
packet to it resolves the current MAC. Permanent (static) entries are left alone.
Idempotent: an IP without an entry is reported and skipped.
--all: every dynamic IPv4 entry instead, whoever was replaced (each is asked for again on its
next packet, one ARP exchange): what a node runs after any replacement, with no list of nodes
to go stale.
USAGE
}

main() {
    local -a ips=()
    local all=false
    while (($# > 0)); do
        case "$1" in
            -h | --help) usage; return 0 ;;
            --all) all=true; shift ;;
            -*) usage_error "unknown option: $1" ;;
            *) is_ipv4 "$1" || die "not an IPv4 address: $1"; ips+=("$1"); shift ;;
        esac
    done
    if $all; then
        ((${#ips[@]} == 0)) || usage_error "--all takes no IP"
        command -v ip >/dev/null || die "ip (iproute2) is not installed on this node"
        local count
        count=$(ip -4 neigh show nud reachable nud stale nud delay nud probe nud failed | grep -c .) || true
        # PERMANENT and NOARP entries are left alone by flush.
        ip -4 neigh flush all || die "ip neigh flush all failed"
        log "flushed ${count:-0} dynamic neighbour entries"
        return 0
    fi
    ((${#ips[@]} > 0)) || { usage_error "no IP given"; }
    command -v ip >/dev/null || die "ip (iproute2) is not installed on this node"

    local address before after
    for address in "${ips[@]}"; do
        before=$(ip neigh show to "$address") || die "cannot read the neighbour table"
        if [[ -z $before ]]; then
            log "$address: no neighbour entry; nothing to purge"
            continue
        fi
        log "$address: purging ${before//$'\n'/; }"
        # `flush to` covers every interface, unlike `del`, which needs the device.
        ip neigh flush to "$address" || die "$address: ip neigh flush failed"
        after=$(ip neigh show to "$address" nud all) || true
        if [[ -n $after && $after != *FAILED* && $after != *INCOMPLETE* && $after != *PERMANENT* ]]; then
            # Traffic may have re-learned it in between: fine if it is the current MAC, which
            # is the point. Report it rather than fail.
            log "$address: re-learned already: $after"
        else
            log "$address: purged"
        fi
    done
}

main "$@"
