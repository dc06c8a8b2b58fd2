#!/usr/bin/env bash
# Debian packages the tests use: real validators for what the program renders (cloud-init's
# schema, systemd-analyze, shellcheck) and the lab's hosts (iproute2, sshd, ZooKeeper, kazoo,
# dnsmasq standing in for the private zone, Prometheus discovering the lab's nodes, boto3 for
# the boot fetch of secrets from SSM, which the lab runs against its SSM stand-in).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root (sudo $0): it installs Debian packages" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
had_prometheus=$(dpkg-query -W -f='${Status}' prometheus 2>/dev/null || true)
had_etcd=$(dpkg-query -W -f='${Status}' etcd-server 2>/dev/null || true)
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    cloud-init shellcheck systemd iproute2 openssh-server openssh-client zookeeper \
    curl jq netcat-openbsd procps openssl python3-kazoo python3-boto3 iputils-ping dnsmasq-base prometheus etcd-server etcd-client >/dev/null
# Debian's prometheus and etcd-server enable machine-wide services where systemd runs; the tests
# and the lab run their own and want only the binaries: a service this script brought is turned
# off again (one the machine had before is left alone). dnsmasq-base has no service.
if [[ $had_prometheus != *"ok installed"* && -d /run/systemd/system ]]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
if [[ $had_etcd != *"ok installed"* && -d /run/systemd/system ]]; then
    systemctl disable --now etcd.service >/dev/null 2>&1 || true
fi
echo "installed: cloud-init $(cloud-init --version 2>&1 | awk '{print $2}'), shellcheck $(shellcheck --version | awk '/^version/{print $2}'), $(systemd-analyze --version | head -1)"
