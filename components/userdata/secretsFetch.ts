import { gzipSync } from "zlib";
import { roleSecretFiles, SECRET_FILES, SECRETS_DIR, SECRETS_FETCH, SECRETS_FETCH_TIMEOUT, secretsPath } from "../catalog/secrets";
import type { Role } from "../catalog/roles";
import type { ClusterPlan } from "../plan/clusterPlan";
import { shellWord } from "../text/shellQuote";
import { staticFile } from "./render";

/**
 * The boot fetch in a node's user data (cloud-init bootcmd, the first module of the network
 * stage, which systemd runs before sshd.service): python3-boto3 from the archive when the
 * image lacks it, templates/files/mesos-cluster-secrets.py installed as SECRETS_FETCH (gzipped
 * and base64 in the user data: 16 KiB is EC2's limit and the plain text would take 8 of it),
 * then run once per instance for the role's path and the node's own (its Name tag). The same
 * for every node of a role; only names and paths here, never a value.
 */

/** Where the node's own SSH host key goes: sshd's (05-mesos-cluster-host-key.conf names only it). */
export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key";
/** The sshd drop-in that makes the program's key the only host key sshd offers. */
export const HOST_KEY_DROP_IN = { path: "/etc/ssh/sshd_config.d/05-mesos-cluster-host-key.conf", content: `# mesos-cluster: the host key the program generated and the post-steps pin; no other.\nHostKey ${HOST_KEY_FILE}\n` };

/** The fetch's arguments for the role (the lab appends its own endpoint, node and instance id). */
export function secretsFetchArgs(plan: Pick<ClusterPlan, "clusterId" | "region">, role: Role): string[] {
    const expect = roleSecretFiles(role).filter((key) => key !== "sshHostKey").map((key) => SECRET_FILES[key].file);
    return [
        "--region", plan.region,
        "--role-path", secretsPath(plan.clusterId, role),
        "--dir", SECRETS_DIR,
        "--host-key", HOST_KEY_FILE,
        "--timeout", String(SECRETS_FETCH_TIMEOUT),
        ...(expect.length > 0 ? ["--expect", ...expect] : []),
    ];
}

/**
 * The fetch script as the user data carries it: its comment lines dropped (the file in
 * templates/files is the documented one), gzip (no name, mtime 0: stable bytes), base64.
 */
export function packedFetchScript(): string {
    const lines = staticFile("mesos-cluster-secrets.py").split("\n");
    const code = lines.filter((line, i) => i === 0 || !/^\s*#/.test(line));
    return gzipSync(Buffer.from(code.join("\n"), "utf8"), { level: 9 }).toString("base64");
}

/** The shell text of the bootcmd item. */
export function secretsFetchCommand(plan: Pick<ClusterPlan, "clusterId" | "region">, role: Role): string {
    return [
        `# The node's secrets and SSH host key from SSM (${secretsPath(plan.clusterId, role)} and its own path), before sshd starts.`,
        "export DEBIAN_FRONTEND=noninteractive",
        "if ! python3 -c 'import boto3' 2>/dev/null; then",
        "  n=0",
        "  until timeout 300 apt-get -q update && timeout 300 apt-get -qy install --no-install-recommends python3-boto3; do",
        '    n=$((n + 1)); [ "$n" -lt 10 ] || { echo "mesos-cluster-secrets: cannot install python3-boto3" >&2; exit 1; }; sleep 10',
        "  done",
        "fi",
        `install -d -m 0755 ${SECRETS_FETCH.slice(0, SECRETS_FETCH.lastIndexOf("/"))}`,
        `echo ${packedFetchScript()} | base64 -d | gunzip >${SECRETS_FETCH}.tmp`,
        `chmod 0755 ${SECRETS_FETCH}.tmp && mv ${SECRETS_FETCH}.tmp ${SECRETS_FETCH}`,
        `exec ${SECRETS_FETCH} ${secretsFetchArgs(plan, role).map(shellWord).join(" ")}`,
        "",
    ].join("\n");
}
