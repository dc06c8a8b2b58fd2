#!/usr/bin/env bash
# Post-step "exhibitor-rewrite" (seed 001: write EXHIBITOR_STATICENSEMBLE on every master,
# rolling restart one master at a time, wait for the ensemble to settle after each). The
# commands run this on one master after another; this script does one master's turn.
set -euo pipefail
STEP="exhibitor-rewrite"
# Run from its file (tests, by hand), a script brings its prelude; in a create text it is already there.
# shellcheck source-path=SCRIPTDIR source=lib/prelude.sh
[[ $(type -t die) == function ]] || source "${BASH_SOURCE[0]%/*}/lib/prelude.sh"

DEFAULT_FILE=/etc/mesos-cluster/exhibitor
DEFAULT_UNIT=zookeeper.service
# How long a restart waits for a down peer before refusing (capped by --timeout).
PEER_WAIT=60

usage() {
    cat <<USAGE
usage: exhibitor-rewrite.sh [--file PATH] [--unit UNIT] [--port PORT] [--self IP] [--timeout SECONDS] ENSEMBLE

Makes PATH hold exactly
  EXHIBITOR_BACKEND=STATIC
  EXHIBITOR_STATICENSEMBLE=ENSEMBLE
restarts UNIT only if that changed the file, and then waits until the local ZooKeeper serves
and every member of ENSEMBLE serves with exactly one leader (also when nothing changed: a
replaced master's ZooKeeper must have joined before the next master's turn).
  ENSEMBLE           id:ip,... e.g. 1:10.136.64.11,2:10.136.64.12,3:10.136.64.13
  --file PATH        the env file (default $DEFAULT_FILE)
  --unit UNIT        the unit that reads it (default $DEFAULT_UNIT)
  --port PORT        ZooKeeper client port (default 2181)
  --self IP          this master's address: the one entry that may differ from the file's,
                     and where the local ZooKeeper is asked (it listens on that address
                     only: clientPortAddress); without it, 127.0.0.1
  --timeout SECONDS  give up waiting for the ensemble after this long (default 600)

Before restarting, it waits (at most ${PEER_WAIT} s) until the restart would leave a quorum of
the other members serving, and refuses otherwise: one member at a time, never the quorum.
Membership is fixed: when PATH already holds a static ensemble, ENSEMBLE must have the same
id:ip pairs, but for this master's own entry (--self); ids never move from one IP to another.
Every check comes before any write: a refused run changes nothing.
The first version of PATH ever replaced is kept as PATH.orig (never overwritten later).
The file is replaced atomically (temporary file + mv). If a run is cut short after the
write but before the restart, PATH.restart-pending makes the next run restart anyway.
ZooKeeper is asked with its "srvr" four-letter word over bash's /dev/tcp (no nc needed).
USAGE
}

# Prints the "Mode:" of the ZooKeeper at host:port (leader, follower, standalone), or nothing
# when it does not serve. ZooKeeper >= 3.5 whitelists only srvr among the four-letter words.
zk_mode() {
    local reply line
    # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash, from its arguments.
    reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf srvr >&3 && cat <&3' zk-srvr "$1" "$2" 2>/dev/null) || true
    while IFS= read -r line; do
        if [[ $line =~ ^Mode:[[:space:]]*([a-z]+) ]]; then
            printf '%s\n' "${BASH_REMATCH[1]}"
            return 0
        fi
    done <<<"$reply"
}

# One line, e.g. "leaders=1 serving=3/3 10.136.64.11=follower 10.136.64.12=leader ...".
# Settled = every member serves as leader or follower and exactly one leads (a lone member
# may be standalone).
ensemble_view() {
    local port=$1
    shift
    local ip mode leaders=0 serving=0 detail=""
    for ip in "$@"; do
        mode=$(zk_mode "$ip" "$port")
        case "$mode" in
            leader) leaders=$((leaders + 1)); serving=$((serving + 1)) ;;
            follower) serving=$((serving + 1)) ;;
            standalone) (($# == 1)) && { leaders=1; serving=1; } ;;
        esac
        detail+=" $ip=${mode:-down}"
    done
    printf 'leaders=%d serving=%d/%d%s\n' "$leaders" "$serving" "$#" "$detail"
}

# Membership check: prints why ENSEMBLE ($2) may not replace the serving one ($1), or nothing.
# Only pairs naming this master's own IP ($3) may differ, and no id may change its IP.
membership_change() {
    local serving=$1 wanted=$2 self=$3 pair id ip
    local -A serving_ip=() wanted_ip=()
    local -a pairs=()
    IFS=, read -r -a pairs <<<"$serving"
    for pair in "${pairs[@]}"; do serving_ip[${pair%%:*}]=${pair#*:}; done
    IFS=, read -r -a pairs <<<"$wanted"
    for pair in "${pairs[@]}"; do wanted_ip[${pair%%:*}]=${pair#*:}; done
    for id in "${!serving_ip[@]}"; do
        ip=${serving_ip[$id]}
        if [[ -z ${wanted_ip[$id]:-} ]]; then
            [[ $ip == "$self" ]] || { echo "member $id:$ip would leave the ensemble"; return; }
        elif [[ ${wanted_ip[$id]} != "$ip" ]]; then
            echo "id $id would move from $ip to ${wanted_ip[$id]}"
            return
        fi
    done
    for id in "${!wanted_ip[@]}"; do
        ip=${wanted_ip[$id]}
        [[ -n ${serving_ip[$id]:-} || $ip == "$self" ]] || { echo "member $id:$ip would join the ensemble"; return; }
    done
}

# Seed 001 restarts one member at a time and waits for the ensemble to settle, so the others
# keep a quorum. If a peer is down, restarting this member would take a serving ensemble below
# its quorum: wait a little for the peer (it may be restarting), then fail naming who is down,
# instead of causing the outage and waiting out the whole timeout. An ensemble already without
# a quorum has nothing left to lose; a single member cannot restart without an outage anyway.
wait_for_quorum_margin() {
    local port=$1 wait=$2 local_ip=$3
    shift 3
    local view serving self_serves after quorum=$(($# / 2 + 1)) deadline=$((SECONDS + wait))
    while :; do
        view=$(ensemble_view "$port" "$@")
        serving=0
        [[ $view =~ serving=([0-9]+)/ ]] && serving=${BASH_REMATCH[1]}
        self_serves=0
        [[ $(zk_mode "$local_ip" "$port") =~ ^(leader|follower|standalone)$ ]] && self_serves=1
        after=$((serving - self_serves))
        if (($# == 1 || serving < quorum || after >= quorum)); then
            log "safe to restart: $after of $# members keep serving meanwhile (quorum $quorum; $view)"
            return 0
        fi
        ((SECONDS < deadline)) || die "not restarting: $after of $# members would serve, below the quorum of $quorum ($view); bring the down members back first"
        sleep 2
    done
}

main() {
    local file=$DEFAULT_FILE unit=$DEFAULT_UNIT port=2181 total=600 ensemble="" self=""
    while (($# > 0)); do
        case "$1" in
            -h | --help) usage; return 0 ;;
            --file) [[ $# -ge 2 && -n $2 ]] || die "--file needs a path"; file=$2; shift 2 ;;
            --unit) [[ $# -ge 2 && -n $2 ]] || die "--unit needs a unit name"; unit=$2; shift 2 ;;
            --port) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--port needs a port number"; port=$2; shift 2 ;;
            --self) { [[ $# -ge 2 ]] && is_ipv4 "$2"; } || die "--self needs this master's IPv4 address"; self=$2; shift 2 ;;
            --timeout) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number of seconds"; total=$2; shift 2 ;;
            -*) usage_error "unknown option: $1" ;;
            *) [[ -z $ensemble ]] || die "one ENSEMBLE only, got a second: $1"; ensemble=$1; shift ;;
        esac
    done
    [[ -n $ensemble ]] || { usage_error "no ENSEMBLE given"; }
    # ZooKeeper's client port listens on this master's own address (clientPortAddress).
    local local_ip=${self:-127.0.0.1}
    [[ $ensemble =~ ^[0-9]+:[0-9.]+(,[0-9]+:[0-9.]+)*$ ]] || die "ENSEMBLE is not id:ip,...: $ensemble"
    local -a members=()
    local member
    IFS=, read -r -a members <<<"$ensemble"
    local -a member_ips=()
    for member in "${members[@]}"; do member_ips+=("${member#*:}"); done

    # The ensemble this master serves now, if its file is already static: it is what the
    # quorum arithmetic counts, and what the new one may not change (but for --self's entry).
    local serving="" line
    if [[ -f $file ]] && grep -qx 'EXHIBITOR_BACKEND=STATIC' "$file"; then
        while IFS= read -r line; do
            [[ $line == EXHIBITOR_STATICENSEMBLE=* ]] && serving=${line#EXHIBITOR_STATICENSEMBLE=}
        done <"$file"
    fi
    local -a serving_ips=("${member_ips[@]}")
    if [[ -n $serving ]]; then
        local why
        why=$(membership_change "$serving" "$ensemble" "$self")
        [[ -z $why ]] || die "refusing: $why ($file serves $serving; asked for $ensemble). The master set is fixed once the cluster exists: see docs/replace.md. Nothing was changed."
        serving_ips=()
        IFS=, read -r -a members <<<"$serving"
        for member in "${members[@]}"; do serving_ips+=("${member#*:}"); done
    fi

    local desired
    desired=$(printf 'EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=%s' "$ensemble")
    local dir pending="$file.restart-pending"
    dir=$(dirname -- "$file")

    if [[ -f $file && "$(<"$file")" == "$desired" && ! -e $pending ]]; then
        log "$file already holds ensemble $ensemble"
        log "unchanged: $unit not restarted"
    else
        # Checked before anything is written: a refusal leaves no file behind for the next
        # unplanned restart to apply unchecked.
        wait_for_quorum_margin "$port" "$((total < PEER_WAIT ? total : PEER_WAIT))" "$local_ip" "${serving_ips[@]}"
        mkdir -p -- "$dir"
        if [[ -f $file && "$(<"$file")" != "$desired" ]]; then
            # Keep the state from before this tool ever touched the file: a later .orig would
            # be our own output, and the operator rolling back wants the original.
            if [[ ! -e $file.orig ]]; then
                cp -p -- "$file" "$file.orig"
                log "backed up the previous $file to $file.orig"
            fi
        fi
        if [[ ! -f $file || "$(<"$file")" != "$desired" ]]; then
            local tmp
            tmp=$(mktemp -- "$dir/.exhibitor.XXXXXX")
            # The restart marker goes first: if we die between the write and the restart, the
            # file already looks right and only the marker tells the next run to restart.
            : >"$pending"
            printf '%s\n' "$desired" >"$tmp"
            chmod 0644 -- "$tmp"
            # Same directory, so mv is a rename(2): readers see the old file or the new, never half.
            mv -f -- "$tmp" "$file"
            log "wrote $file: ensemble $ensemble"
        fi
        log "restarting $unit"
        systemctl restart "$unit" || die "systemctl restart $unit failed (see: journalctl -u $unit)"
        rm -f -- "$pending"
    fi

    local deadline=$((SECONDS + total)) started=$SECONDS mode
    log "waiting for the local ZooKeeper on $local_ip:$port"
    while :; do
        mode=$(zk_mode "$local_ip" "$port")
        [[ $mode =~ ^(leader|follower|standalone)$ ]] && break
        ((SECONDS < deadline)) || die "the local ZooKeeper does not serve after ${total} s (srvr on $local_ip:$port; see: journalctl -u $unit)"
        sleep 2
    done
    log "local ZooKeeper serves as $mode"

    local view
    log "waiting for the ensemble ${member_ips[*]} to settle (every member serves, one leader)"
    while :; do
        view=$(ensemble_view "$port" "${member_ips[@]}")
        [[ $view == "leaders=1 serving=${#member_ips[@]}/${#member_ips[@]} "* ]] && break
        ((SECONDS < deadline)) || die "the ensemble did not settle within ${total} s: $view"
        sleep 2
    done
    log "ensemble settled after $((SECONDS - started)) s: $view"
}

main "$@"
