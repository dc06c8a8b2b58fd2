#!/bin/bash
# mesos-agent-image BASE CLI TAG: builds the workers' local Mesos agent image, once.
# Mesos 1.7's docker containerizer runs each executor in --docker_mesos_image with only the
# Docker socket and the sandbox mounted, and calls the agent's --docker path inside it: the
# docker CLI must be in the image. The mesosphere image has none and an ENTRYPOINT Mesos never
# overrides, and Mesos parses ContainerConfig from `docker inspect`, which Docker >= 26 drops
# from API 1.45 on. So: BASE + CLI's static docker at /usr/local/bin/docker, no entrypoint,
# DOCKER_API_VERSION at most 1.44. Idempotent; bounded by the unit's TimeoutStartSec.
# The agent's `docker pull` of task images asks docker-credential-ecr-login for the node's ECR
# registry (credHelpers in --docker_config), so the image carries the host's helper. Ubuntu's
# build links the host's glibc (2.34+), newer than the agent image's: the helper is copied with
# the loader and libraries it links, and run through that loader by a wrapper on PATH, with the
# host's CA certificates for its TLS to ECR (whatever the agent image has).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: mesos-agent-image BASE_IMAGE CLI_IMAGE TAG" >&2; exit 2; }
base=$1 cli=$2 tag=$3
helper=${ECR_LOGIN:-/usr/bin/docker-credential-ecr-login}
# ecr_login_context HELPER DIR: DIR/ecr-login/ holds HELPER, the host's CA certificates, and for
# a dynamic HELPER its loader (ld.so) and libraries; DIR/docker-credential-ecr-login runs it
# from /opt/ecr-login.
ecr_login_context() {
    local helper=$1 dir=$2 lib interp env
    mkdir -p "$dir/ecr-login"
    cp -L "$helper" "$dir/ecr-login/docker-credential-ecr-login"
    cp -L "${CA_CERTIFICATES:-/etc/ssl/certs/ca-certificates.crt}" "$dir/ecr-login/ca-certificates.crt"
    env="SSL_CERT_FILE=/opt/ecr-login/ca-certificates.crt"
    interp=$(ldd "$helper" 2>/dev/null | awk '$1 ~ /^\// && $2 !~ /=>/ { print $1; exit }') || true
    if [ -n "$interp" ]; then
        cp -L "$interp" "$dir/ecr-login/ld.so"
        ldd "$helper" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
            cp -L "$lib" "$dir/ecr-login/"
        done
        printf '#!/bin/sh\n%s exec /opt/ecr-login/ld.so --library-path /opt/ecr-login /opt/ecr-login/docker-credential-ecr-login "$@"\n' "$env" >"$dir/docker-credential-ecr-login"
    else
        printf '#!/bin/sh\n%s exec /opt/ecr-login/docker-credential-ecr-login "$@"\n' "$env" >"$dir/docker-credential-ecr-login"
    fi
    chmod 0755 "$dir/docker-credential-ecr-login" "$dir/ecr-login/docker-credential-ecr-login"
}

if [ "${1:-}" = --context-only ]; then
    # mesos-agent-image --context-only HELPER DIR: only the helper's part of the build context.
    ecr_login_context "$2" "$3"
    exit 0
fi

if docker image inspect "$tag" >/dev/null 2>&1; then
    exit 0
fi
api=$(curl -fsS --unix-socket /var/run/docker.sock http://localhost/version | sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/\1/p')
[ -n "$api" ] || { echo "mesos-agent-image: cannot read the Docker daemon's API version" >&2; exit 1; }
api=$(printf '%s\n1.44\n' "$api" | sort -V | head -1)
[ -x "$helper" ] || { echo "mesos-agent-image: $helper missing (package amazon-ecr-credential-helper)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ecr_login_context "$helper" "$dir"
cat >"$dir/Dockerfile" <<DOCKERFILE
FROM $cli AS cli
FROM $base
COPY --from=cli /usr/local/bin/docker /usr/local/bin/docker
COPY ecr-login /opt/ecr-login
COPY docker-credential-ecr-login /usr/local/bin/docker-credential-ecr-login
ENV DOCKER_API_VERSION=$api
ENTRYPOINT []
DOCKERFILE
echo "mesos-agent-image: building $tag from $base and the docker CLI of $cli (API $api)"
docker build --pull -t "$tag" "$dir"
