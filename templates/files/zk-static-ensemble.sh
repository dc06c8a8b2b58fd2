#!/bin/bash
# zk-static-ensemble: what Exhibitor's static backend does (DC/OS fork), without Exhibitor.
# Reads an Exhibitor env file (EXHIBITOR_BACKEND=STATIC, EXHIBITOR_STATICENSEMBLE=1:ip,...),
# writes zoo.cfg and myid for the member whose IP is --ip, then execs the given command.
#
# Interface (a contract: the lab runs this outside Docker, keep it stable):
#   zk-static-ensemble --env FILE --ip MY_IP --conf-dir DIR --data-dir DIR
#                      [--cfg-data-dir PATH] [--ports CLIENT:PEER:ELECTION] -- COMMAND [ARGS...]
# --cfg-data-dir is dataDir as ZooKeeper sees it (e.g. /data inside the container) when it
# differs from where --data-dir is on this host. --ports defaults to ZooKeeper's 2181:2888:3888.
# The client port listens on MY_IP only (clientPortAddress, and each server line's client
# address): nothing answers on 127.0.0.1 or on another address of the node.
set -euo pipefail

prog=zk-static-ensemble
usage() {
    echo "usage: $prog --env FILE --ip MY_IP --conf-dir DIR --data-dir DIR [--cfg-data-dir PATH] [--ports CLIENT:PEER:ELECTION] -- COMMAND [ARGS...]" >&2
    exit 2
}
die() {
    echo "$prog: $*" >&2
    exit 1
}

env_file='' my_ip='' conf_dir='' data_dir='' cfg_data_dir='' ports=2181:2888:3888
while [ $# -gt 0 ]; do
    case "$1" in
        --env | --ip | --conf-dir | --data-dir | --cfg-data-dir | --ports)
            [ $# -ge 2 ] || usage
            case "$1" in
                --env) env_file=$2 ;;
                --ip) my_ip=$2 ;;
                --conf-dir) conf_dir=$2 ;;
                --data-dir) data_dir=$2 ;;
                --cfg-data-dir) cfg_data_dir=$2 ;;
                --ports) ports=$2 ;;
            esac
            shift 2
            ;;
        --) shift; break ;;
        *) echo "$prog: unknown argument: $1" >&2; usage ;;
    esac
done
if [ -z "$env_file" ] || [ -z "$my_ip" ] || [ -z "$conf_dir" ] || [ -z "$data_dir" ] || [ $# -eq 0 ]; then
    usage
fi
cfg_data_dir=${cfg_data_dir:-$data_dir}
[[ $ports =~ ^[1-9][0-9]{0,4}:[1-9][0-9]{0,4}:[1-9][0-9]{0,4}$ ]] || { echo "$prog: --ports wants CLIENT:PEER:ELECTION, got '$ports'" >&2; usage; }
IFS=: read -r client_port peer_port election_port <<<"$ports"

is_ipv4() {
    local octet
    local -a parts
    [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
    IFS=. read -r -a parts <<<"$1"
    for octet in "${parts[@]}"; do
        if ! [[ $octet =~ ^(0|[1-9][0-9]*)$ ]] || [ "$octet" -gt 255 ]; then return 1; fi
    done
}

# Parsed, never sourced: the file is data, and a stray $(...) in it must not run.
[ -r "$env_file" ] || die "cannot read env file $env_file"
backend='' ensemble=''
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        EXHIBITOR_BACKEND=*) backend=${line#*=} ;;
        EXHIBITOR_STATICENSEMBLE=*) ensemble=${line#*=} ;;
    esac
done <"$env_file"
[ "$backend" = STATIC ] || die "$env_file: EXHIBITOR_BACKEND is '$backend', only STATIC is supported"
[ -n "$ensemble" ] || die "$env_file: EXHIBITOR_STATICENSEMBLE is missing or empty"
is_ipv4 "$my_ip" || die "--ip '$my_ip' is not an IPv4 address"

declare -A seen_id=() seen_ip=()
servers=() my_id='' count=0
IFS=, read -r -a members <<<"$ensemble"
for member in "${members[@]}"; do
    id=${member%%:*} ip=${member#*:}
    if ! [[ $member == *:* && $id =~ ^[1-9][0-9]{0,2}$ ]] || ! is_ipv4 "$ip"; then
        die "$env_file: malformed EXHIBITOR_STATICENSEMBLE member '$member' (want id:ip, e.g. 1:10.0.0.1)"
    fi
    [ -z "${seen_id[$id]:-}" ] || die "$env_file: id $id appears twice in EXHIBITOR_STATICENSEMBLE"
    [ -z "${seen_ip[$ip]:-}" ] || die "$env_file: $ip appears twice in EXHIBITOR_STATICENSEMBLE"
    seen_id[$id]=1 seen_ip[$ip]=1
    # Each member's client address is its own IP (ZooKeeper >= 3.5 server syntax
    # "host:peer:election;clientAddress:clientPort"): a bare ";port" would mean 0.0.0.0, which
    # QuorumPeerConfig.setupClientPort refuses next to this member's clientPortAddress.
    servers+=("server.$id=$ip:$peer_port:$election_port;$ip:$client_port")
    [ "$ip" != "$my_ip" ] || my_id=$id
    count=$((count + 1))
done
# read -a drops a trailing empty field: "1:ip," would pass the loop above.
if [ "$count" -eq 0 ] || [ "${ensemble: -1}" = , ]; then
    die "$env_file: malformed EXHIBITOR_STATICENSEMBLE '$ensemble'"
fi
[ -n "$my_id" ] || die "$my_ip is not in the ensemble $ensemble: refusing to start a ZooKeeper that would join nobody"

mkdir -p "$conf_dir" "$data_dir"
tmp_cfg='' tmp_id=''
trap 'rm -f "$tmp_cfg" "$tmp_id"' EXIT
# Temp files sit next to their targets so mv is a rename: readers see old or new, never half.
tmp_cfg=$(mktemp "$conf_dir/.zoo.cfg.XXXXXX")
tmp_id=$(mktemp "$data_dir/.myid.XXXXXX")
{
    echo "tickTime=2000"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$cfg_data_dir"
    echo "clientPort=$client_port"
    # Clients reach this member on its own address only, never 0.0.0.0 (issue 12).
    echo "clientPortAddress=$my_ip"
    # Bounded disk: keep the last 3 snapshots and their logs, purge hourly (DC/OS's values;
    # ZooKeeper's default, purgeInterval=0, keeps everything forever).
    echo "autopurge.snapRetainCount=3"
    echo "autopurge.purgeInterval=1"
    echo "4lw.commands.whitelist=srvr"
    # The AdminServer would take 8080, Marathon's port.
    echo "admin.enableServer=false"
    echo "reconfigEnabled=false"
    [ "$count" -eq 1 ] || echo "standaloneEnabled=false"
    echo "quorumListenOnAllIPs=true"
    printf '%s\n' "${servers[@]}"
} >"$tmp_cfg"
echo "$my_id" >"$tmp_id"
chmod 0644 "$tmp_cfg" "$tmp_id"
mv -f "$tmp_cfg" "$conf_dir/zoo.cfg"
mv -f "$tmp_id" "$data_dir/myid"
trap - EXIT

exec "$@"
