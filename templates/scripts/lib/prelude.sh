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

now_ms() { date +%s%3N; }
elapsed() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
