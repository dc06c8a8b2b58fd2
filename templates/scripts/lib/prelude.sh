# shellcheck shell=bash
# The prelude of every post-step script: createText puts it first in each create text, and a
# script run from its file sources it. STEP, set by the script, names it in every line.

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${STEP:-post-step}" "$*"; }
die() { printf '%s %s: error: %s\n' "$(date -u +%H:%M:%S)" "${STEP:-post-step}" "$*" >&2; exit 1; }

# A usage mistake: the usage text on stderr, then the reason, exit 1.
usage_error() { usage >&2; die "$@"; }

is_ipv4() {
    local IFS=. octet
    local -a octets
    [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
    read -r -a octets <<<"$1"
    for octet in "${octets[@]}"; do ((10#$octet <= 255)) || return 1; done
}

# Waits at most $1 seconds for cloud-init to finish this node's first boot (its packages, its
# role bundle, its units): a command may dial a new node as soon as sshd answers, which is long
# before that. Dies with the reason when cloud-init failed or is still running.
wait_for_boot() {
    local total=$1 status=0
    command -v cloud-init >/dev/null || die "cloud-init is not installed on this node"
    log "waiting for cloud-init to finish (at most ${total} s)"
    timeout "$total" cloud-init status --wait >/dev/null || status=$?
    case "$status" in
        0) log "cloud-init finished" ;;
        # cloud-init >= 23.4: 2 = done, with recoverable errors (a deprecated key, say).
        2) log "cloud-init finished with recoverable errors (see: cloud-init status --long)" ;;
        124) die "cloud-init still running after ${total} s (see: cloud-init status --long)" ;;
        *) die "cloud-init failed with status $status (see: cloud-init status --long; /var/log/cloud-init-output.log)" ;;
    esac
}

now_ms() { date +%s%3N; }
elapsed() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }

# Mesos' and Marathon's HTTP credentials (issue 12): `user:password` on the first line of the
# node's own secret file, handed to curl as a config on its stdin (`curl -K -`), so the password
# is never an argument that ps could show, nor copied to another file. The default path is the
# secrets contract's (components/catalog/secrets.ts); MESOS_CLUSTER_HTTP_CREDENTIALS moves it
# (tests: sudo resets the environment, so it never reaches a post-step on a node).
HTTP_CREDENTIALS_FILE=${MESOS_CLUSTER_HTTP_CREDENTIALS:-/etc/mesos-cluster/secrets/http-operator}
HTTP_AUTH_CONFIG=""

# Reads the credentials file, or dies naming it. Call once the arguments are checked.
load_http_credentials() {
    local file=${1:-$HTTP_CREDENTIALS_FILE} line=""
    [[ -e $file ]] || die "no HTTP credentials: $file does not exist (the node's secrets are written at boot; see: ls -l ${file%/*})"
    [[ -f $file && -r $file ]] || die "no HTTP credentials: cannot read $file (run as root)"
    IFS= read -r line <"$file" || true
    line=${line%$'\r'}
    [[ -n $line ]] || die "no HTTP credentials: $file is empty"
    # One user:password word; no quote or backslash, which curl's config would read as syntax.
    [[ $line =~ ^[^:[:space:]\"\\]+:[^[:space:]\"\\]+$ ]] || die "no HTTP credentials: $file does not hold user:password on its first line"
    HTTP_AUTH_CONFIG="user = \"$line\""
}

# curl with the loaded credentials (basic auth); the URL stays the last argument.
hcurl() { curl -K - "$@" <<<"$HTTP_AUTH_CONFIG"; }
