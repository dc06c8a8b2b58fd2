#!/bin/bash
# cluster-status: the seed-000 leader checks as one command. For every master, the Mesos
# leader it redirects to (/redirect: 307 + Location, 503 = no leader) and the Marathon leader
# it reports (/v2/leader). Exit 1 unless every master answers and all agree on both leaders.
# Masters come from /etc/mesos-cluster/masters ("name ip" lines, written by cloud-init).
# Marathon (and Mesos' read-write endpoints) want the node's HTTP credentials: user:password in
# /etc/mesos-cluster/secrets/http-operator (root only: run it with sudo), given to curl as a
# config on its stdin, never as an argument.
set -uo pipefail

masters_file=/etc/mesos-cluster/masters
credentials=${MESOS_CLUSTER_HTTP_CREDENTIALS:-/etc/mesos-cluster/secrets/http-operator}
timeout=${CLUSTER_STATUS_TIMEOUT:-5}
[ -r "$masters_file" ] || { echo "cluster-status: cannot read $masters_file" >&2; exit 2; }
[ -e "$credentials" ] || { echo "cluster-status: no HTTP credentials: $credentials does not exist" >&2; exit 2; }
[ -r "$credentials" ] || { echo "cluster-status: no HTTP credentials: cannot read $credentials (run it with sudo)" >&2; exit 2; }
IFS= read -r user_password <"$credentials" || true
[[ $user_password =~ ^[^:[:space:]\"\\]+:[^[:space:]\"\\]+$ ]] || { echo "cluster-status: no HTTP credentials: $credentials does not hold user:password" >&2; exit 2; }
auth="user = \"$user_password\""
hcurl() { curl -K - "$@" <<<"$auth"; }

rc=0
declare -A mesos_seen=() marathon_seen=()
while read -r name ip; do
    [ -n "${ip:-}" ] || continue
    headers=$(hcurl -sI --max-time "$timeout" "http://$ip:5050/redirect" | tr -d '\r')
    status=$(printf '%s\n' "$headers" | sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p')
    location=$(printf '%s\n' "$headers" | sed -n 's/^[Ll]ocation: *//p')
    case "$status" in
        307) mesos=$location; mesos_seen[$location]=1 ;;
        503) mesos="no leader (503)"; rc=1 ;;
        '') mesos="unreachable"; rc=1 ;;
        *) mesos="unexpected HTTP $status"; rc=1 ;;
    esac
    body=$(hcurl -s --max-time "$timeout" "http://$ip:8080/v2/leader")
    marathon=$(printf '%s\n' "$body" | sed -n 's/.*"leader" *: *"\([^"]*\)".*/\1/p')
    if [ -n "$marathon" ]; then
        marathon_seen[$marathon]=1
    else
        marathon="no leader"
        rc=1
    fi
    printf '%-10s %-15s mesos: %-45s marathon: %s\n' "$name" "$ip" "$mesos" "$marathon"
done <"$masters_file"

if [ "${#mesos_seen[@]}" -gt 1 ] || [ "${#marathon_seen[@]}" -gt 1 ]; then
    echo "cluster-status: masters disagree on the leader" >&2
    rc=1
fi
exit "$rc"
