import { HOST_KEY_BINDING, roleSecretFiles, SECRET_FILES, SECRETS_DIR, SECRETS_FETCH, secretsPath } from "../catalog/secrets";
import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { shellWord } from "../text/shellQuote";
import { staticFile } from "./render";
import { FILE_DELIMITER } from "./roleBundle";

/**
 * The boot fetch in a node's user data (cloud-init bootcmd, the first module of the network
 * stage, which systemd runs before sshd.service): python3-boto3 from the archive when the
 * image lacks it, templates/files/mesos-cluster-secrets.py installed as SECRETS_FETCH, then run
 * for the node's role path and its own path. Only names and paths here, never a value.
 */

/** Where the node's own SSH host key goes: sshd's (05-mesos-cluster-host-key.conf names only it). */
export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key";
/** The sshd drop-in that makes the program's key the only host key sshd offers. */
export const HOST_KEY_DROP_IN = { path: "/etc/ssh/sshd_config.d/05-mesos-cluster-host-key.conf", content: `# mesos-cluster: the host key the program generated and the post-steps pin; no other.\nHostKey ${HOST_KEY_FILE}\n` };

/** Seconds the fetch waits for SSM (IAM propagation, the host key written after the instance). */
export const SECRETS_FETCH_TIMEOUT = 900;

/** The fetch's arguments for this node (the lab appends its own endpoint and instance id). */
export function secretsFetchArgs(plan: Pick<ClusterPlan, "clusterId" | "region">, node: Pick<PlannedNode, "role" | "name">): string[] {
    const expect = roleSecretFiles(node.role).filter((key) => key !== "sshHostKey").map((key) => SECRET_FILES[key].file);
    return [
        "--region", plan.region,
        "--role-path", secretsPath(plan.clusterId, node.role),
        "--node-path", secretsPath(plan.clusterId, node.role, node.name),
        "--dir", SECRETS_DIR,
        "--host-key", HOST_KEY_FILE,
        "--timeout", String(SECRETS_FETCH_TIMEOUT),
        ...(expect.length > 0 ? ["--expect", ...expect] : []),
    ];
}

/** The shell text of the bootcmd item. */
export function secretsFetchCommand(plan: Pick<ClusterPlan, "clusterId" | "region">, node: Pick<PlannedNode, "role" | "name">): string {
    const script = staticFile("mesos-cluster-secrets.py");
    if (script.split("\n").includes(FILE_DELIMITER)) throw new Error(`mesos-cluster-secrets.py contains the line ${FILE_DELIMITER}`);
    return [
        `# ${node.name}'s secrets and SSH host key from SSM (${secretsPath(plan.clusterId, node.role)}, its own ${HOST_KEY_BINDING} included), before sshd starts.`,
        "export DEBIAN_FRONTEND=noninteractive",
        "if ! python3 -c 'import boto3' 2>/dev/null; then",
        "  n=0",
        "  until timeout 300 apt-get -q update && timeout 300 apt-get -qy install --no-install-recommends python3-boto3; do",
        '    n=$((n + 1)); [ "$n" -lt 10 ] || { echo "mesos-cluster-secrets: cannot install python3-boto3" >&2; exit 1; }; sleep 10',
        "  done",
        "fi",
        `install -d -m 0755 ${SECRETS_FETCH.slice(0, SECRETS_FETCH.lastIndexOf("/"))}`,
        `cat >${SECRETS_FETCH} <<'${FILE_DELIMITER}'`,
        script.endsWith("\n") ? script.slice(0, -1) : script,
        FILE_DELIMITER,
        `chmod 0755 ${SECRETS_FETCH}`,
        `exec ${SECRETS_FETCH} ${secretsFetchArgs(plan, node).map(shellWord).join(" ")}`,
        "",
    ].join("\n");
}
