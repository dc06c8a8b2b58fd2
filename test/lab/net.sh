#!/usr/bin/env bash
# Namespace plumbing for the lab (test/lab/hosts.ts drives it). Every namespace is named
# "$LAB_PREFIX-*"; one bridge per subnet (an L2 segment) lives in its own "switch" namespace,
# a "router" namespace has one interface on each at the subnet's VPC-router address (network
# + 1) and forwards between them, as the VPC router does; each node's veth is created straight
# into the switch and the node, so the root namespace gets no interface, address or route. The only trace on the host: empty mount-point directories, listed in
# $LAB_DIR/mountpoints and removed by `cleanup`.
#
#   net.sh cleanup                             kill every lab process, delete every lab netns
#   net.sh switch-up                           the switch namespace and the router namespace
#   net.sh segment-up BRIDGE ROUTER/PREFIX MAC a subnet's bridge and the router's leg on it
#   net.sh node-up NAME IP/PREFIX MAC BRIDGE GW
#                                              a node namespace on BRIDGE, default route via GW
#   net.sh node-start NAME NODE_DIR            the node's supervisor in its own mount+UTS ns
#   net.sh node-down NAME                      kill the node's processes, delete its netns
#   net.sh link NAME up|down [GW]              the node's eth0 (and its default route when up)
#   net.sh dns-up IP/PREFIX BRIDGE GW DOMAIN RECORDS LOG PORT
#   net.sh ssm-up IP:PORT STUB DATA LOG              the SSM stand-in in the DNS namespace
#                                              the "dns" namespace on BRIDGE, dnsmasq in it
#                                              answering DOMAIN from the hosts files in RECORDS
set -euo pipefail

PREFIX=${LAB_PREFIX:-mclab}
LAB_DIR=${LAB_DIR:?LAB_DIR must be set}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SW="$PREFIX-sw"
RT="$PREFIX-router"
MOUNTPOINTS=(/etc/mesos-cluster /run/mesos-cluster /run/lab-node /var/lib/zookeeper /run/sshd)

die() { echo "net.sh: $*" >&2; exit 1; }

kill_ns() { # every process whose network namespace is $1
    local ns=$1 pids i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -n "$pids" ] || return 0
        # shellcheck disable=SC2086 # one pid per word
        kill -9 $pids 2>/dev/null || true
        sleep 0.2
        [ "$i" -lt 10 ] || die "processes of $ns survive SIGKILL: $pids"
    done
}

cmd_cleanup() {
    local ns
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^$PREFIX-" || true); do
        kill_ns "$ns"
        ip netns del "$ns" || die "cannot delete namespace $ns"
    done
    if [ -f "$LAB_DIR/mountpoints" ]; then
        while read -r dir; do
            if [ -n "$dir" ]; then rmdir "$dir" 2>/dev/null || true; fi
        done <"$LAB_DIR/mountpoints"
        rm -f "$LAB_DIR/mountpoints"
    fi
}

cmd_mountpoints() {
    local dir
    mkdir -p "$LAB_DIR"
    for dir in "${MOUNTPOINTS[@]}"; do
        if [ ! -d "$dir" ]; then
            mkdir -p "$dir"
            echo "$dir" >>"$LAB_DIR/mountpoints"
        fi
    done
}

cmd_switch_up() {
    cmd_mountpoints
    ip netns add "$SW"
    ip -n "$SW" link set lo up
    ip netns exec "$SW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    # The VPC router: forwards between the subnets. Its neighbour cache is plain Linux: the VPC
    # router is AWS's own mapping service and always knows an instance's current MAC.
    ip netns add "$RT"
    ip -n "$RT" link set lo up
    ip netns exec "$RT" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1
}

cmd_segment_up() { # BRIDGE ROUTER/PREFIX MAC: one subnet's L2 segment and the router's leg on it
    local br=$1 cidr=$2 mac=$3
    ip -n "$SW" link add "$br" type bridge
    ip -n "$SW" link set "$br" up
    ip -n "$SW" link add "r-$br" type veth peer name "$br" netns "$RT"
    ip -n "$RT" link set "$br" address "$mac"
    ip -n "$SW" link set "r-$br" master "$br" up
    ip -n "$RT" addr add "$cidr" dev "$br"
    ip -n "$RT" link set "$br" up
}

cmd_node_up() {
    local name=$1 cidr=$2 mac=$3 br=$4 gw=$5 ns="$PREFIX-$1"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$SW" link add "v-$name" type veth peer name eth0 netns "$ns"
    ip -n "$ns" link set eth0 address "$mac"
    # AWS-like neighbour caches (LAB_ARP=linux turns this off):
    # - a VPC has no L2 broadcast, so a host never rewrites an entry it holds from someone
    #   else's ARP request (on a plain bridge the new master's first ARP broadcast fixes every
    #   cache within a second and hides what seed 000 saw); an ARP request addressed to the
    #   host itself, or a reply to its own query, still updates it;
    # - a replacement takes minutes on EC2, longer than an entry stays REACHABLE (15-45 s), so
    #   the old MAC is STALE by the time the new instance answers: the lab, which replaces a
    #   master in seconds, keeps entries REACHABLE for 2.5-7.5 s instead.
    if [ "${LAB_ARP:-aws}" = aws ]; then
        ip netns exec "$ns" sysctl -qw net.ipv4.neigh.eth0.locktime=8640000
        ip netns exec "$ns" sysctl -qw net.ipv4.neigh.eth0.base_reachable_time_ms=5000
    fi
    ip -n "$SW" link set "v-$name" master "$br" up
    ip -n "$ns" addr add "$cidr" dev eth0
    ip -n "$ns" link set eth0 up
    # Only its own subnet is on-link; every other subnet (and the DNS server) is via the router.
    ip -n "$ns" route replace default via "$gw" dev eth0
}

cmd_node_start() {
    local name=$1 dir=$2 ns="$PREFIX-$1"
    setsid ip netns exec "$ns" unshare --mount --uts --propagation private -- \
        bash "$HERE/node-init.sh" "$name" "$dir" "$HERE" </dev/null >>"$dir/node/log/init.log" 2>&1 &
    echo $! >"$dir/init.pid"
}

cmd_node_down() {
    local ns="$PREFIX-$1"
    ip netns list | awk '{print $1}' | grep -qx "$ns" || die "no namespace $ns"
    kill_ns "$ns"
    ip netns del "$ns"
}

cmd_link() { # NAME up|down [GW]: taking eth0 down drops its routes; up puts the default one back
    ip -n "$PREFIX-$1" link set eth0 "$2"
    if [ "$2" = up ] && [ -n "${3:-}" ]; then
        ip -n "$PREFIX-$1" route replace default via "$3" dev eth0
    fi
}

cmd_dns_up() { # the private zone's stand-in: dnsmasq, no upstream, one hosts file per record
    local cidr=$1 br=$2 gw=$3 domain=$4 records=$5 log=$6 port=$7 ns="$PREFIX-dns" i
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$SW" link add v-dns type veth peer name eth0 netns "$ns"
    ip -n "$SW" link set v-dns master "$br" up
    ip -n "$ns" addr add "$cidr" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace default via "$gw" dev eth0
    # --hostsdir: files added later are read at once (inotify): a new record is a new file.
    # --no-resolv and no --server: nothing is ever forwarded out of the lab; --local: a name of
    # the domain without a record is NXDOMAIN, as the private zone answers.
    setsid ip netns exec "$ns" /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --no-resolv --no-hosts --no-poll --hostsdir="$records" --local="/$domain/" --local-ttl=60 \
        --listen-address="${cidr%/*}" --bind-interfaces --port="$port" --user=root \
        --pid-file= --log-queries --log-facility=- </dev/null >>"$log" 2>&1 &
    for i in $(seq 1 50); do
        if ip netns exec "$ns" ss -Hlun "sport = :$port" | grep -q .; then return 0; fi
        sleep 0.1
    done
    die "dnsmasq does not listen on ${cidr%/*}:$port; see $log"
}

verb=${1:-}
cmd_ssm_up() { # the SSM stand-in (ssm-stub.py), in the DNS server's namespace
    local listen=$1 stub=$2 data=$3 log=$4 ns="$PREFIX-dns" i
    setsid ip netns exec "$ns" /usr/bin/python3 "$stub" --listen "$listen" --data "$data" </dev/null >>"$log" 2>&1 &
    for i in $(seq 1 100); do
        if ip netns exec "$ns" ss -Hltn "sport = :${listen##*:}" | grep -q .; then return 0; fi
        sleep 0.1
    done
    die "the SSM stand-in does not listen on $listen; see $log"
}

[ -n "$verb" ] || die "usage: net.sh cleanup|switch-up|segment-up|node-up|node-start|node-down|link|dns-up|ssm-up ..."
shift
case "$verb" in
    cleanup) cmd_cleanup ;;
    switch-up) cmd_switch_up ;;
    segment-up) [ $# -eq 3 ] || die "usage: segment-up BRIDGE ROUTER/PREFIX MAC"; cmd_segment_up "$@" ;;
    node-up) [ $# -eq 5 ] || die "usage: node-up NAME IP/PREFIX MAC BRIDGE GW"; cmd_node_up "$@" ;;
    node-start) [ $# -eq 2 ] || die "usage: node-start NAME NODE_DIR"; cmd_node_start "$@" ;;
    node-down) [ $# -eq 1 ] || die "usage: node-down NAME"; cmd_node_down "$@" ;;
    link) [ $# -ge 2 ] || die "usage: link NAME up|down [GW]"; cmd_link "$@" ;;
    ssm-up) [ $# -eq 4 ] || die "usage: ssm-up IP:PORT STUB DATA LOG"; cmd_ssm_up "$@" ;;
    dns-up) [ $# -eq 7 ] || die "usage: dns-up IP/PREFIX BRIDGE GW DOMAIN RECORDS LOG PORT"; cmd_dns_up "$@" ;;
    *) die "unknown verb $verb" ;;
esac
