#!/usr/bin/env bash
# etcd.service on a lab quorum host (test/lab/services.ts builds the command line from the
# quorum bundle's own unit). The unit runs `docker run --env-file ENV_FILE <etcd image>
# /usr/local/bin/etcd FLAGS...`; here: ENV_FILE read as `docker run --env-file` reads it (one
# KEY=VALUE per line, taken literally, no quotes removed; blank lines and # comments skipped),
# read afresh at every start (etcd-member-swap rewrites it), then Debian's etcd with FLAGS.
#   etcd-unit.sh ENV_FILE -- FLAGS...
set -euo pipefail
env_file=$1
[ "${2:-}" = -- ] || { echo "usage: etcd-unit.sh ENV_FILE -- FLAGS..." >&2; exit 2; }
shift 2
while IFS= read -r line || [ -n "$line" ]; do
    case $line in '' | '#'*) continue ;; esac
    [[ $line == *=* ]] || { echo "etcd-unit: $env_file: not KEY=VALUE: $line" >&2; exit 1; }
    export "${line%%=*}=${line#*=}"
done <"$env_file"
echo "etcd-unit: ETCD_INITIAL_CLUSTER_STATE=${ETCD_INITIAL_CLUSTER_STATE:-} ETCD_INITIAL_CLUSTER=${ETCD_INITIAL_CLUSTER:-}"
exec /usr/bin/etcd "$@"
