#!/usr/bin/python3
# mesos-cluster-secrets: the node's secrets from SSM Parameter Store (SecureString), fetched
# with the instance profile (boto3), written to DIR one file each (0400 root, DIR 0700), each
# through a temporary file and rename. Run by cloud-init's bootcmd, before sshd starts, once per
# instance; idempotent. Reads the role's path and the node's own path, nothing else (the
# instance profile allows nothing else). Waits until the node path's host-key binding names this
# instance and the fetched key, so a new instance never installs the key of the one it replaced.
# Exits non-zero, with the reason on stderr, when the deadline passes.
import argparse, os, subprocess, sys, tempfile, time, urllib.request

BINDING = "host-key-binding"
HOST_KEY = "ssh_host_ed25519_key"


def log(msg):
    print(f"mesos-cluster-secrets: {msg}", file=sys.stderr, flush=True)


def imds(path, timeout=5):
    req = urllib.request.Request("http://169.254.169.254/latest/api/token", method="PUT",
                                 headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    token = urllib.request.urlopen(req, timeout=timeout).read().decode()
    req = urllib.request.Request(f"http://169.254.169.254/latest/{path}", headers={"X-aws-ec2-metadata-token": token})
    return urllib.request.urlopen(req, timeout=timeout).read().decode().strip()


def by_path(ssm, path):
    """Direct children of `path`, decrypted: {file name: value}."""
    values, token = {}, None
    while True:
        kwargs = {"Path": path, "Recursive": False, "WithDecryption": True, "MaxResults": 10}
        if token:
            kwargs["NextToken"] = token
        page = ssm.get_parameters_by_path(**kwargs)
        for p in page.get("Parameters", []):
            values[p["Name"].rsplit("/", 1)[1]] = p["Value"]
        token = page.get("NextToken")
        if not token:
            return values


def public_half(private_key):
    """ssh-keygen -y of the key (never written anywhere but a 0600 temporary file)."""
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        os.chmod(f.name, 0o600)
        f.write(private_key if private_key.endswith("\n") else private_key + "\n")
    try:
        out = subprocess.run(["ssh-keygen", "-y", "-f", f.name], capture_output=True, text=True, timeout=10)
    finally:
        os.unlink(f.name)
    return " ".join(out.stdout.split()[:2]) if out.returncode == 0 else None


def put(path, content, mode):
    """Atomically: a temporary file (0600) in the same directory, fsync, chmod, rename."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    a = argparse.ArgumentParser(description="fetch the node's secrets from SSM Parameter Store")
    a.add_argument("--region", required=True)
    a.add_argument("--role-path", required=True)
    a.add_argument("--node-name", default=None, help="default: the instance's Name tag, from IMDSv2")
    a.add_argument("--dir", required=True, help="where the files go (created 0700)")
    a.add_argument("--expect", nargs="*", default=[], help="file names that must be fetched")
    a.add_argument("--host-key", default="/etc/ssh/ssh_host_ed25519_key", help="where the node's SSH host key goes")
    a.add_argument("--timeout", type=int, default=900, help="seconds before giving up")
    a.add_argument("--endpoint-url", default=None, help="another SSM endpoint (the lab's stand-in)")
    a.add_argument("--instance-id", default=None, help="default: from IMDSv2")
    args = a.parse_args()

    import boto3
    from botocore.config import Config

    deadline = time.monotonic() + args.timeout
    ssm = boto3.client("ssm", region_name=args.region, endpoint_url=args.endpoint_url,
                       config=Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 4, "mode": "standard"}))
    instance_id, node, why, delay = args.instance_id, args.node_name, "", 2
    while True:
        try:
            instance_id = instance_id or imds("meta-data/instance-id")
            node = node or imds("meta-data/tags/instance/Name")
            node_path = f"{args.role_path}/{node}"
            files = by_path(ssm, args.role_path)
            own = by_path(ssm, node_path)
            binding = own.pop(BINDING, "").split()
            key = own.get(HOST_KEY)
            missing = [f for f in args.expect if f not in files and f not in own]
            if missing:
                why = f"missing: {' '.join(missing)}"
            elif not key:
                why = f"no {HOST_KEY} under {node_path}"
            elif len(binding) != 3 or binding[0] != instance_id:
                why = f"{node_path}/{BINDING} names {binding[0] if binding else 'nothing'}, not this instance ({instance_id}) yet"
            elif public_half(key) != " ".join(binding[1:]):
                why = f"{HOST_KEY} is not the key {BINDING} names yet"
            else:
                break
        except Exception as e:  # network not up yet, IAM not propagated yet, throttling: retry
            why = f"{type(e).__name__}: {e}"
        if time.monotonic() + delay > deadline:
            log(f"gave up after {args.timeout} s: {why}")
            return 1
        log(f"waiting: {why}")
        time.sleep(delay)
        delay = min(delay * 2, 15)

    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    os.chmod(args.dir, 0o700)
    for name, value in sorted({**files, **own}.items()):
        if name == HOST_KEY:
            continue
        put(os.path.join(args.dir, name), value, 0o400)
    key_text = key if key.endswith("\n") else key + "\n"
    os.makedirs(os.path.dirname(args.host_key), mode=0o755, exist_ok=True)
    put(args.host_key, key_text, 0o600)
    put(args.host_key + ".pub", " ".join(binding[1:]) + "\n", 0o644)
    log(f"{len(files) + len(own) - 1} files in {args.dir}; host key {binding[1]} {binding[2][:16]}... in {args.host_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
