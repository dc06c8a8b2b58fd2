#!/usr/bin/env bash
# Debian packages the tests use: real validators for what the program renders (cloud-init's
# schema, systemd-analyze, shellcheck) and the lab's hosts (iproute2, sshd, ZooKeeper, kazoo,
# dnsmasq standing in for the private zone).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root (sudo $0): it installs Debian packages" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    cloud-init shellcheck systemd iproute2 openssh-server openssh-client zookeeper \
    curl jq netcat-openbsd procps python3-kazoo iputils-ping dnsmasq-base >/dev/null
echo "installed: cloud-init $(cloud-init --version 2>&1 | awk '{print $2}'), shellcheck $(shellcheck --version | awk '/^version/{print $2}'), $(systemd-analyze --version | head -1)"
