#!/bin/bash
# mesos-cluster-registry [ENV_FILE [DOCKER_CONFIG_DIR]]: the node's own ECR registry, for the
# units and for Docker. The account id is not in the bundle (the bundle is rendered before the
# account is known, and is the same in every account): it comes from the instance identity
# document, through IMDSv2. Writes, each atomically:
#   ENV_FILE (/etc/mesos-cluster/registry.env):  ECR_REGISTRY=<account>.dkr.ecr.<region>.amazonaws.com
#   DOCKER_CONFIG_DIR/config.json (/root/.docker): credHelpers for that host -> ecr-login, so the
#     docker CLI (units, the agent image build, the agent's task pulls) authenticates with the
#     instance profile through amazon-ecr-credential-helper. "auths" must be there, even empty:
#     Mesos 1.7 writes --docker_config as .docker/config.json only when it has "auths" (else as
#     the legacy .dockercfg, which has no credHelpers).
# IMDS may be overridden (tests); the registry secret never touches the disk.
set -euo pipefail
env_file=${1:-/etc/mesos-cluster/registry.env}
docker_dir=${2:-/root/.docker}
imds=${IMDS:-http://169.254.169.254}
token=$(curl -fsS --retry 10 --retry-all-errors --max-time 10 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token")
doc=$(curl -fsS --retry 10 --retry-all-errors --max-time 10 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/dynamic/instance-identity/document" | tr -d '\n')
field() { printf '%s' "$doc" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"; }
account=$(field accountId)
region=$(field region)
[[ $account =~ ^[0-9]{12}$ ]] || { echo "mesos-cluster-registry: no account id in the instance identity document" >&2; exit 1; }
[[ $region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || { echo "mesos-cluster-registry: no region in the instance identity document" >&2; exit 1; }
case $region in
    cn-*) suffix=amazonaws.com.cn ;;
    *) suffix=amazonaws.com ;;
esac
host="$account.dkr.ecr.$region.$suffix"
install -d -m 0755 "$(dirname "$env_file")"
install -d -m 0700 "$docker_dir"
printf 'ECR_REGISTRY=%s\n' "$host" >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"
printf '{"auths":{},"credHelpers":{"%s":"ecr-login"}}\n' "$host" >"$docker_dir/config.json.tmp"
chmod 0600 "$docker_dir/config.json.tmp"
mv "$docker_dir/config.json.tmp" "$docker_dir/config.json"
echo "mesos-cluster-registry: $host"
