#!/usr/bin/env bash
# PID 1 of a lab node, in spirit: runs inside the node's network namespace and its own mount
# and UTS namespaces (net.sh node-start), gives the node its own files and name, then becomes
# the node's supervisor. Bind mounts (NODE_DIR is the node's directory under .lab/nodes):
#   /etc/mesos-cluster   <- NODE_DIR/etc-mesos-cluster  (the Exhibitor env file, etcd.env)
#   /var/lib             <- NODE_DIR/var-lib, if present (quorum: /var/lib/etcd a plain directory
#                           that etcd-member-swap can move aside, as on the node's disk)
#   /usr/local/bin       <- NODE_DIR/usr-local-bin, read-only, if present (quorum: etcdctl)
#   /var/lib/zookeeper   <- NODE_DIR/zk-data
#   /run/mesos-cluster   <- NODE_DIR/run-mesos-cluster  (zoo.cfg written by the launcher)
#   /run/lab-node        <- NODE_DIR/node               (units, supervisor socket, sshd keys, logs)
#   /etc/hosts           <- NODE_DIR/hosts          (localhost only: names come from DNS)
#   /etc/resolv.conf     <- NODE_DIR/resolv.conf    (the lab's DNS server, search <domain>)
#   /etc/nsswitch.conf   <- NODE_DIR/nsswitch.conf  (hosts: files dns, whatever the machine has)
#   /run/nscd            <- an empty directory, if the machine runs nscd (no cache of its own)
#   /usr/local/sbin      <- test/lab/shims, read-only   (systemctl, cloud-init, sudo; first on PATH)
set -euo pipefail
name=$1 dir=$2 lab=$3

hostname "$name"
bind() { mount --bind "$1" "$2"; }
bind "$dir/etc-mesos-cluster" /etc/mesos-cluster
if [ -d "$dir/var-lib" ]; then bind "$dir/var-lib" /var/lib; fi
if [ -d "$dir/usr-local-bin" ]; then
    bind "$dir/usr-local-bin" /usr/local/bin
    mount -o remount,bind,ro /usr/local/bin
fi
bind "$dir/zk-data" /var/lib/zookeeper
bind "$dir/run-mesos-cluster" /run/mesos-cluster
bind "$dir/node" /run/lab-node
bind "$dir/hosts" /etc/hosts
# A bind mount follows a symlink (systemd-resolved's /etc/resolv.conf): its target must exist.
[ -e /etc/resolv.conf ] || { echo "node-init: /etc/resolv.conf is a dangling symlink: nothing to mount the node's over" >&2; exit 1; }
bind "$dir/resolv.conf" /etc/resolv.conf
bind "$dir/nsswitch.conf" /etc/nsswitch.conf
if [ -d /run/nscd ]; then bind "$dir/empty" /run/nscd; fi
bind "$lab/shims" /usr/local/sbin
mount -o remount,bind,ro /usr/local/sbin
# As cloud-init's bootcmd does before sshd starts: the node's secrets and its SSH host key from
# the lab's SSM stand-in (hosts.ts writes the script: the user data's fetch, the lab's endpoint).
# A node whose fetch fails never starts its supervisor, so never sshd: it fails loudly.
if [ -x /run/lab-node/boot-fetch ]; then
    /run/lab-node/boot-fetch || { echo "node-init: the boot fetch failed: no sshd, no units" >&2; exit 1; }
fi
exec /usr/bin/python3 "$lab/supervisor.py" /run/lab-node
