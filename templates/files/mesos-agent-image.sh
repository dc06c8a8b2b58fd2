#!/bin/bash
# mesos-agent-image BASE CLI TAG: builds the workers' local Mesos agent image, once.
# Mesos 1.7's docker containerizer runs each executor in --docker_mesos_image with only the
# Docker socket and the sandbox mounted, and calls the agent's --docker path inside it: the
# docker CLI must be in the image. The mesosphere image has none and an ENTRYPOINT Mesos never
# overrides, and Mesos parses ContainerConfig from `docker inspect`, which Docker >= 26 drops
# from API 1.45 on. So: BASE + CLI's static docker at /usr/local/bin/docker, no entrypoint,
# DOCKER_API_VERSION at most 1.44. Idempotent; bounded by the unit's TimeoutStartSec.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: mesos-agent-image BASE_IMAGE CLI_IMAGE TAG" >&2; exit 2; }
base=$1 cli=$2 tag=$3
if docker image inspect "$tag" >/dev/null 2>&1; then
    exit 0
fi
api=$(curl -fsS --unix-socket /var/run/docker.sock http://localhost/version | sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/\1/p')
[ -n "$api" ] || { echo "mesos-agent-image: cannot read the Docker daemon's API version" >&2; exit 1; }
api=$(printf '%s\n1.44\n' "$api" | sort -V | head -1)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/Dockerfile" <<DOCKERFILE
FROM $cli AS cli
FROM $base
COPY --from=cli /usr/local/bin/docker /usr/local/bin/docker
ENV DOCKER_API_VERSION=$api
ENTRYPOINT []
DOCKERFILE
echo "mesos-agent-image: building $tag from $base and the docker CLI of $cli (API $api)"
docker build --pull -t "$tag" "$dir"
