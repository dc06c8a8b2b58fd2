#!/usr/bin/env bash
# Post-step "etcd-member-swap" (etcd's runtime-reconfiguration guide, kato's quorum runbook): a
# quorum node rebuilt with an empty data dir must not rejoin under its old identity. Runs on the
# node itself, once its first boot is over (its role bundle installs etcd, its env file and the
# etcdctl wrapper, after sshd already answers): if it already serves as a healthy member, nothing
# to do; otherwise remove the dead member, add this one, and start it with
# --initial-cluster-state existing and an empty data dir.
# With TLS (the cluster's URLs are https), --etcdctl must present a client certificate etcd
# trusts: the quorum node's wrapper does (ETCDCTL_CACERT/CERT/KEY); this script passes none.
set -euo pipefail
STEP="etcd-member-swap"
# Run from its file (tests, by hand), a script brings its prelude; in a create text it is already there.
# shellcheck source-path=SCRIPTDIR source=lib/prelude.sh
[[ $(type -t die) == function ]] || source "${BASH_SOURCE[0]%/*}/lib/prelude.sh"

usage() {
    cat <<'USAGE'
usage: etcd-member-swap.sh --name NAME --peer-url URL --client-url URL [options] PEER_CLIENT_URL...

Makes this node a healthy member of the etcd cluster whose other members answer at
PEER_CLIENT_URL (e.g. https://10.136.64.22:2379). Refuses, changing nothing, unless those other
members are healthy enough to form a quorum of the whole cluster: membership changes need it.
Every URL must have the same scheme (https with TLS; the peer URL is what `member add` records).
  --name NAME         this member's name (quorum-1)
  --peer-url URL      this member's peer URL (https://10.136.64.21:2380)
  --client-url URL    this member's client URL (https://10.136.64.21:2379)
  --env-file PATH     the env file the etcd unit reads (default /etc/mesos-cluster/etcd.env)
  --data-dir DIR      etcd's data dir on this node (default /var/lib/etcd)
  --unit UNIT         the etcd unit (default etcd.service)
  --etcdctl CMD       the etcdctl to run, with its client certificate if etcd wants one (default etcdctl)
  --grace SECONDS     how long this member may take to become healthy on its own (default 90)
  --timeout SECONDS   longest wait for this node's first boot (cloud-init), then again for the
                      cluster and the new member (default 300)
USAGE
}

ETCDCTL=etcdctl
ctl() { ETCDCTL_API=3 "$ETCDCTL" --dial-timeout=3s --command-timeout=5s "$@"; }

# How many of the given endpoints answer `endpoint health`.
healthy_count() {
    local url n=0
    for url in "$@"; do
        ctl --endpoints="$url" endpoint health >/dev/null 2>&1 && n=$((n + 1))
    done
    echo "$n"
}

first_healthy() {
    local url
    for url in "$@"; do
        if ctl --endpoints="$url" endpoint health >/dev/null 2>&1; then
            echo "$url"
            return 0
        fi
    done
    return 1
}

# Member lines "<hex id>|<name>|<peer urls>" from `member list` (simple format: id, status,
# name, peer urls, client urls, is-learner). A member added but not started has no name yet.
members() { ctl --endpoints="$1" member list | awk -F', ' '{print $1 "|" $3 "|" $4}'; }

# The first of the given endpoints that is not healthy, and etcdctl's answer, in one bounded
# line (a TLS error when etcdctl names one; Debian's 3.4 only says "context deadline exceeded").
first_unhealthy() {
    local url out why
    for url in "$@"; do
        if ! out=$(ctl --endpoints="$url" endpoint health 2>&1 >/dev/null); then
            why=$(grep -o -m 1 -E '(x509|tls|remote error|certificate)[^"]*' <<<"$out" || grep -m 1 'is unhealthy' <<<"$out" || grep -v '^[[:space:]]*$' <<<"$out" | tail -n 1 || true)
            [[ $why == "$url"* ]] || why="$url: $why"
            printf '%s' "${why:0:300}"
            return 0
        fi
    done
}

key_count() { ctl --endpoints="$1" "${@:2}" get "" --prefix --keys-only | grep -c . || true; }

main() {
    local name="" peer_url="" client_url="" env_file=/etc/mesos-cluster/etcd.env data_dir=/var/lib/etcd
    local unit=etcd.service grace=90 total=300
    local -a peers=()
    while (($# > 0)); do
        case "$1" in
            -h | --help) usage; return 0 ;;
            --name) [[ $# -ge 2 && $2 =~ ^[a-z0-9-]+$ ]] || usage_error "--name needs a member name"; name=$2; shift 2 ;;
            --peer-url) [[ $# -ge 2 && $2 =~ ^https?://[^[:space:],]+$ ]] || usage_error "--peer-url needs a URL"; peer_url=$2; shift 2 ;;
            --client-url) [[ $# -ge 2 && $2 =~ ^https?://[^[:space:],]+$ ]] || usage_error "--client-url needs a URL"; client_url=$2; shift 2 ;;
            --env-file) [[ $# -ge 2 && -n $2 ]] || usage_error "--env-file needs a path"; env_file=$2; shift 2 ;;
            --data-dir) [[ $# -ge 2 && $2 == /* && $2 != / ]] || usage_error "--data-dir needs an absolute path other than /"; data_dir=$2; shift 2 ;;
            --unit) [[ $# -ge 2 && -n $2 ]] || usage_error "--unit needs a unit name"; unit=$2; shift 2 ;;
            --etcdctl) [[ $# -ge 2 && -n $2 ]] || usage_error "--etcdctl needs a command"; ETCDCTL=$2; shift 2 ;;
            --grace) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage_error "--grace needs a number of seconds"; grace=$2; shift 2 ;;
            --timeout) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage_error "--timeout needs a positive number of seconds"; total=$2; shift 2 ;;
            -*) usage_error "unknown option: $1" ;;
            *) [[ $1 =~ ^https?://[^[:space:],]+$ ]] || usage_error "not a client URL: $1"; peers+=("$1"); shift ;;
        esac
    done
    [[ -n $name && -n $peer_url && -n $client_url ]] || usage_error "--name, --peer-url and --client-url are required"
    ((${#peers[@]} > 0)) || usage_error "no other member given (PEER_CLIENT_URL...)"
    # One scheme for all: an http peer URL added to a TLS cluster would never be reached.
    local url scheme=${peer_url%%://*}
    for url in "$client_url" "${peers[@]}"; do
        [[ ${url%%://*} == "$scheme" ]] || usage_error "$url: every URL must be $scheme:// as --peer-url is"
    done
    local size=$((${#peers[@]} + 1))
    local quorum=$((size / 2 + 1))

    # Until cloud-init is done, this node's etcd may not be installed or started yet: the grace
    # below would count a boot in progress as a member that cannot start.
    wait_for_boot "$total"
    local deadline=$((SECONDS + total))

    # The other members must hold a quorum of the whole cluster on their own: this one is new.
    local healthy
    while :; do
        healthy=$(healthy_count "${peers[@]}")
        ((healthy >= quorum)) && break
        # At the cluster's first start every member waits for the others: so does this check.
        if ctl --endpoints="$client_url" endpoint health >/dev/null 2>&1; then
            log "$name is a healthy member and the cluster has a quorum: nothing to do"
            return 0
        fi
        ((SECONDS < deadline)) || die "only $healthy of the ${#peers[@]} other members are healthy; a change of membership needs $quorum of $size: bring them back first (nothing was changed); $(first_unhealthy "${peers[@]}"); if they are running, see whether they refuse this etcdctl's certificate ('rejected connection' in their etcd log)"
        sleep 2
    done
    log "$healthy of ${#peers[@]} other members healthy (quorum $quorum of $size)"

    local leader_url
    leader_url=$(first_healthy "${peers[@]}") || die "no other member answers any more"

    # Give this member the time a normal start takes before deciding it is a rebuilt one.
    local until=$((SECONDS + grace)) mine=""
    while :; do
        if ctl --endpoints="$client_url" endpoint health >/dev/null 2>&1; then
            mine=$(members "$leader_url" | awk -F'|' -v n="$name" '$2 == n {print $1}')
            if [[ -n $mine ]]; then
                log "$name is a healthy member (id $mine): nothing to do"
                return 0
            fi
        fi
        ((SECONDS < until)) || break
        sleep 2
    done

    local old
    # Ours by name, or by peer URL: an earlier run may have added it and died before it started.
    old=$(members "$leader_url" | awk -F'|' -v n="$name" -v u="$peer_url" '$2 == n || $3 == u {print $1}')
    log "$name is not a healthy member after ${grace} s: replacing member ${old:-<none>}"

    # Every check is done: from here on, change things (backups first).
    if [[ -n $old ]]; then
        ctl --endpoints="$leader_url" member remove "$old" >/dev/null || die "member remove $old failed (the cluster is unchanged)"
        log "removed member $old"
    fi
    local added cluster
    added=$(ctl --endpoints="$leader_url" member add "$name" --peer-urls="$peer_url") || die "member add $name failed after removing ${old:-nothing}: re-run this step"
    cluster=$(sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p' <<<"$added")
    [[ -n $cluster ]] || die "member add printed no ETCD_INITIAL_CLUSTER: $added"
    log "added member $name; initial cluster $cluster"

    systemctl stop "$unit" || die "systemctl stop $unit failed"
    [[ -e $env_file && ! -e $env_file.orig ]] && cp -p "$env_file" "$env_file.orig"
    local tmp
    tmp=$(mktemp "$env_file.XXXXXX")
    printf 'ETCD_INITIAL_CLUSTER=%s\nETCD_INITIAL_CLUSTER_STATE=existing\n' "$cluster" >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$env_file"
    if [[ -d $data_dir ]] && [[ -n $(ls -A "$data_dir") ]]; then
        local aside
        aside="$data_dir.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
        mv "$data_dir" "$aside"
        log "moved the old data dir aside to $aside"
    fi
    install -d -m 0700 "$data_dir"
    systemctl start "$unit" || die "systemctl start $unit failed"

    while ! ctl --endpoints="$client_url" endpoint health >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$name did not become healthy with state existing (see: journalctl -u $unit)"
        sleep 1
    done
    local want got
    while :; do
        want=$(key_count "$leader_url")
        got=$(key_count "$client_url" --consistency=s)
        [[ $want == "$got" ]] && break
        ((SECONDS < deadline)) || die "$name serves $got keys, the cluster $want"
        sleep 1
    done
    local now
    now=$(members "$leader_url" | awk -F'|' -v n="$name" '$2 == n {print $1}')
    if [[ -n $old ]] && members "$leader_url" | cut -d'|' -f1 | grep -qx "$old"; then
        die "the old member $old is still listed"
    fi
    log "$name is member $now (was ${old:-none}); $got keys readable from it; $(healthy_count "${peers[@]}" "$client_url") of $size healthy"
}

main "$@"
