#!/bin/bash
# clusterstat: katostat for this node (seed 000). One line per unit this node's role runs,
# exit 1 when any of them is not active, so scripts can wait on it.
# Units come from the arguments, else from /etc/mesos-cluster/units (written by cloud-init).
set -uo pipefail

units_file=/etc/mesos-cluster/units
if [ $# -gt 0 ]; then
    units=("$@")
else
    mapfile -t units <"$units_file" || { echo "clusterstat: cannot read $units_file" >&2; exit 2; }
fi

rc=0
for unit in "${units[@]}"; do
    [ -n "$unit" ] || continue
    # One property per call: systemctl show prints properties in its own order, not ours.
    load=$(systemctl show --value -p LoadState "$unit")
    active=$(systemctl show --value -p ActiveState "$unit")
    sub=$(systemctl show --value -p SubState "$unit")
    printf 'LoadState=%s  ActiveState=%s  SubState=%s  Id=%s\n' "$load" "$active" "$sub" "$unit"
    [ "$active" = active ] || rc=1
done
exit "$rc"
