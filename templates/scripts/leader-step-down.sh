#!/usr/bin/env bash
# Post-step "leader-step-down" (seed 000 step 5: restart mesos-master and marathon on whoever
# leads until the preferred master leads again). Neither has a "lead here" switch: Mesos has
# no step-down endpoint and its oldest ZooKeeper contender leads, so a leader steps down by
# restarting (it rejoins last); Marathon abdicates on DELETE /v2/leader. We keep no SSH keys
# on the nodes, so each master runs this for itself, in rounds, and acts only if it leads.
set -euo pipefail
STEP="leader-step-down"
# Run from its file (tests, by hand), a script brings its prelude; in a create text it is already there.
# shellcheck source-path=SCRIPTDIR source=lib/prelude.sh
[[ $(type -t die) == function ]] || source "${BASH_SOURCE[0]%/*}/lib/prelude.sh"

usage() {
    cat <<'USAGE'
usage: leader-step-down.sh --self NAME --preferred NAME --domain DOMAIN [options] NAME=IP...
       leader-step-down.sh --verify --preferred NAME --domain DOMAIN [options] NAME=IP...

Step down (default): if this master (--self) leads Mesos or Marathon and is not the preferred
master, hand leadership on: restart its own mesos-master.service and wait until another
master leads; DELETE /v2/leader on its own Marathon and wait until another master leads.
Never acts while there is no leader, nor when stepping down would leave fewer masters running
than the Mesos quorum (seed 002).
--verify: succeed only if both Mesos and Marathon are led by the preferred master.

  NAME=IP            every master, e.g. master-1=10.136.64.11 (its FQDN is NAME.DOMAIN)
  --self NAME        the master this runs on
  --preferred NAME   the master that should lead
  --domain DOMAIN    the cluster domain, to recognise NAME.DOMAIN in leader answers
  --quorum N         Mesos --quorum (default: a majority of the masters given)
  --timeout SECONDS  longest wait for a leader, a new leader or the verdict (default 300)
  --mesos-port PORT  mesos-master's HTTP port (default 5050)
  --marathon-port PORT  Marathon's HTTP port (default 8080)
  --mesos-unit UNIT  the systemd unit of mesos-master (default mesos-master.service)
  --credentials FILE  user:password for Marathon's and Mesos' HTTP API (default: the node's
                     /etc/mesos-cluster/secrets/http-operator); refused when missing
USAGE
}

declare -a NAMES=() IPS=()
DOMAIN="" MESOS_PORT=5050 MARATHON_PORT=8080 MESOS_UNIT=mesos-master.service

# The master a leader answer names: NAME, NAME.DOMAIN or IP, with or without :port.
master_of() {
    local host=${1#//} i
    host=${host%%/*}
    host=${host%:*}
    for i in "${!NAMES[@]}"; do
        if [[ $host == "${NAMES[i]}" || $host == "${NAMES[i]}.$DOMAIN" || $host == "${IPS[i]}" ]]; then
            printf '%s\n' "${NAMES[i]}"
            return 0
        fi
    done
    printf 'unknown(%s)\n' "$host"
}

# probe_mesos / probe_marathon set:
#   LEADER    the master every answering master names as leader; empty if none or they differ
#   ANSWERED  how many masters answered at all (their process is up)
#   VIEW      what each master said, for messages
LEADER="" ANSWERED=0 VIEW=""

settle() {
    local -a said=("$@")
    local first="" word agreed=yes
    LEADER="" ANSWERED=0
    for word in "${said[@]}"; do
        [[ $word == down ]] && continue
        ANSWERED=$((ANSWERED + 1))
        [[ -z $first ]] && first=$word
        [[ $word == "$first" ]] || agreed=no
    done
    if [[ $agreed == yes && -n $first && $first != none && $first != unknown* ]]; then LEADER=$first; fi
}

probe_mesos() {
    local i headers line status location
    local -a said=()
    VIEW=""
    for i in "${!NAMES[@]}"; do
        headers=$(hcurl -sI --max-time 3 "http://${IPS[i]}:$MESOS_PORT/redirect" 2>/dev/null) || headers=""
        status="" location=""
        while IFS=$'\r' read -r line; do
            [[ $line =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]] && status=${BASH_REMATCH[1]}
            [[ $line =~ ^[Ll]ocation:\ *([^[:space:]]+) ]] && location=${BASH_REMATCH[1]}
        done <<<"$headers"
        case "$status" in
            307) said+=("$(master_of "$location")") ;;
            503) said+=(none) ;;
            "") said+=(down) ;;
            *) said+=("unknown(HTTP $status)") ;;
        esac
        VIEW+=" ${NAMES[i]}:${said[-1]}"
    done
    settle "${said[@]}"
}

probe_marathon() {
    local i reply code body
    local -a said=()
    VIEW=""
    for i in "${!NAMES[@]}"; do
        reply=$(hcurl -s --max-time 3 -w '\n%{http_code}' "http://${IPS[i]}:$MARATHON_PORT/v2/leader" 2>/dev/null) || reply=$'\n000'
        code=${reply##*$'\n'}
        body=${reply%$'\n'*}
        if [[ $code == 200 && $body =~ \"leader\"[[:space:]]*:[[:space:]]*\"([^\"]+)\" ]]; then
            said+=("$(master_of "${BASH_REMATCH[1]}")")
        elif [[ $code == 404 ]]; then
            said+=(none) # Marathon: {"message":"There is no leader"}
        elif [[ $code == 000 ]]; then
            said+=(down)
        else
            said+=("unknown(HTTP $code)")
        fi
        VIEW+=" ${NAMES[i]}:${said[-1]}"
    done
    settle "${said[@]}"
}

# Waits until `probe_<kind>` names a leader for which "$2" holds, or the deadline passes.
wait_for() {
    local kind=$1 condition=$2 deadline=$3
    while :; do
        "probe_$kind"
        if [[ -n $LEADER ]] && eval "$condition"; then return 0; fi
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

step_down() {
    local kind=$1 self=$2 self_ip=$3 preferred=$4 quorum=$5 total=$6
    local deadline=$((SECONDS + total)) min_running
    if ! wait_for "$kind" true "$deadline"; then
        die "$kind: no leader after ${total} s (${VIEW# }); refusing to act without one"
    fi
    local leader=$LEADER
    if [[ $leader == "$preferred" ]]; then
        log "$kind leader is $leader, the preferred master: nothing to do"
        return 0
    fi
    if [[ $leader != "$self" ]]; then
        log "$kind leader is $leader, not this master ($self): nothing to do here"
        return 0
    fi
    # Seed 002: never fewer masters running than the quorum. Stepping down takes this one
    # away for a while, so the others must make a quorum without it (Marathon only needs
    # one other instance to take over).
    if [[ $kind == mesos ]]; then min_running=$((quorum + 1)); else min_running=2; fi
    if ! wait_for "$kind" "(( ANSWERED >= min_running ))" "$deadline"; then
        die "$kind: only $ANSWERED of ${#NAMES[@]} masters answer (${VIEW# }); stepping down $self would leave fewer than $((min_running - 1)) running"
    fi
    log "$kind leader is $self and the preferred master is $preferred: stepping down (${VIEW# })"
    local started
    started=$(now_ms)
    if [[ $kind == mesos ]]; then
        systemctl restart "$MESOS_UNIT" || die "systemctl restart $MESOS_UNIT failed"
    else
        hcurl -sf --max-time 10 -X DELETE "http://$self_ip:$MARATHON_PORT/v2/leader" >/dev/null \
            || die "DELETE http://$self_ip:$MARATHON_PORT/v2/leader failed"
    fi
    # shellcheck disable=SC2016 # evaluated by wait_for, after each probe
    if ! wait_for "$kind" '[[ $LEADER != "$self" ]]' "$((SECONDS + total))"; then
        die "$kind: no new leader ${total} s after $self stepped down (${VIEW# })"
    fi
    log "$kind leader: $self -> $LEADER after $(elapsed "$started")"
    # The next hop counts running masters; wait until this one answers again.
    if wait_for "$kind" "(( ANSWERED >= ${#NAMES[@]} ))" "$((SECONDS + total))"; then
        log "$kind on $self answers again after $(elapsed "$started")"
    else
        log "$kind on $self does not answer yet (${VIEW# }); the next hop waits for it"
    fi
}

verify() {
    local preferred=$1 total=$2 deadline=$((SECONDS + $2)) mesos marathon mesos_view marathon_view
    local started
    started=$(now_ms)
    while :; do
        probe_mesos; mesos=${LEADER:-none} mesos_view=$VIEW
        probe_marathon; marathon=${LEADER:-none} marathon_view=$VIEW
        if [[ $mesos == "$preferred" && $marathon == "$preferred" ]]; then
            log "mesos leader: $mesos, marathon leader: $marathon: the preferred master leads (checked in $(elapsed "$started"))"
            return 0
        fi
        ((SECONDS < deadline)) || break
        sleep 2
    done
    die "expected $preferred to lead, after ${total} s: mesos leader: $mesos (${mesos_view# }); marathon leader: $marathon (${marathon_view# })"
}

main() {
    local mode=step-down self="" preferred="" quorum="" total=300 pair credentials=$HTTP_CREDENTIALS_FILE
    while (($# > 0)); do
        case "$1" in
            -h | --help) usage; return 0 ;;
            --verify) mode=verify; shift ;;
            --self) [[ $# -ge 2 ]] || die "--self needs a name"; self=$2; shift 2 ;;
            --preferred) [[ $# -ge 2 ]] || die "--preferred needs a name"; preferred=$2; shift 2 ;;
            --domain) [[ $# -ge 2 ]] || die "--domain needs a domain"; DOMAIN=$2; shift 2 ;;
            --quorum) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--quorum needs a positive number"; quorum=$2; shift 2 ;;
            --timeout) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number of seconds"; total=$2; shift 2 ;;
            --mesos-port) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]{0,4}$ ]] || die "--mesos-port needs a port number"; MESOS_PORT=$2; shift 2 ;;
            --marathon-port) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]{0,4}$ ]] || die "--marathon-port needs a port number"; MARATHON_PORT=$2; shift 2 ;;
            --mesos-unit) [[ $# -ge 2 && $2 =~ ^[A-Za-z0-9@._-]+\.service$ ]] || die "--mesos-unit needs a unit name"; MESOS_UNIT=$2; shift 2 ;;
            --credentials) [[ $# -ge 2 && $2 == /* ]] || die "--credentials needs an absolute path"; credentials=$2; shift 2 ;;
            -*) usage_error "unknown option: $1" ;;
            *=*)
                pair=$1
                [[ ${pair#*=} =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "not NAME=IP: $pair"
                NAMES+=("${pair%%=*}"); IPS+=("${pair#*=}"); shift ;;
            *) usage_error "not NAME=IP: $1" ;;
        esac
    done
    ((${#NAMES[@]} > 0)) || { usage_error "no masters given (NAME=IP...)"; }
    [[ -n $DOMAIN ]] || die "--domain is required"
    [[ -n $preferred ]] || die "--preferred is required"
    local known=" ${NAMES[*]} "
    [[ $known == *" $preferred "* ]] || die "--preferred $preferred is not one of the masters:$known"
    [[ -n $quorum ]] || quorum=$((${#NAMES[@]} / 2 + 1))

    if [[ $mode == verify ]]; then
        # Marathon answers nobody without them: refuse before asking anything.
        load_http_credentials "$credentials"
        verify "$preferred" "$total"
        return 0
    fi
    [[ -n $self ]] || die "--self is required"
    [[ $known == *" $self "* ]] || die "--self $self is not one of the masters:$known"
    local i self_ip=""
    for i in "${!NAMES[@]}"; do [[ ${NAMES[i]} == "$self" ]] && self_ip=${IPS[i]}; done
    load_http_credentials "$credentials"
    step_down mesos "$self" "$self_ip" "$preferred" "$quorum" "$total"
    step_down marathon "$self" "$self_ip" "$preferred" "$quorum" "$total"
}

main "$@"
