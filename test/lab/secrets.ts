import * as fs from "fs";
import * as path from "path";
import type { Role } from "../../components/catalog/roles";
import { roleSecretFiles, SECRET_FILES, SECRETS_DIR } from "../../components/catalog/secrets";
import { PORTS } from "../../components/catalog/services";
import { ServiceSecretInputs, serviceSecretFiles, zkHostsOf } from "../../components/secrets/contents";

/**
 * The service secret files on the lab's hosts (issue 12), from fixed test values through the
 * program's own content builders (components/secrets/contents.ts), written where the contract
 * puts them (SECRETS_DIR, mode 0600), only the files the node's role receives.
 *
 * A stand-in for the boot fetch from SSM (wip-secrets' delivery): when that lands, the lab writes
 * what it fetches instead, and this module goes. Only the service files are written here; the
 * etcd and SSH host-key files are that delivery's.
 */

/** Test values: never a cluster's (the program generates those with @pulumi/random). */
export const LAB_PASSWORDS = {
    agentSecret: "lab-agent-secret-0000000001",
    marathonSecret: "lab-marathon-secret-000001",
    operatorPassword: "lab-operator-password-0001",
    mesosZkPassword: "lab-mesos-zk-password-0001",
    marathonZkPassword: "lab-marathon-zk-passwd-001",
} as const;

export function labSecretInputs(masterIps: readonly string[]): ServiceSecretInputs {
    return { ...LAB_PASSWORDS, zkHosts: zkHostsOf(masterIps, PORTS.zkClient) };
}

/** The service secret files a node of `role` gets: path under SECRETS_DIR -> content. */
export function labSecretFiles(role: Role, masterIps: readonly string[]): Map<string, string> {
    const texts = serviceSecretFiles(labSecretInputs(masterIps)) as Record<string, string>;
    const out = new Map<string, string>();
    for (const key of roleSecretFiles(role)) {
        const text = texts[key];
        if (text !== undefined) out.set(`${SECRETS_DIR}/${SECRET_FILES[key].file}`, text);
    }
    return out;
}

/** Writes them under the node's /etc/mesos-cluster (its `etc-mesos-cluster` directory here). */
export function writeLabSecrets(etcMesosCluster: string, role: Role, masterIps: readonly string[]): void {
    for (const [file, text] of labSecretFiles(role, masterIps)) {
        const where = path.join(etcMesosCluster, path.relative("/etc/mesos-cluster", file));
        fs.mkdirSync(path.dirname(where), { recursive: true, mode: 0o700 });
        fs.writeFileSync(where, text, { mode: 0o600 });
    }
}

/** The lab's own curl config for the operator's credentials (its probes; a file, not argv). */
export function labCurlConfig(labDir: string): string {
    const file = path.join(labDir, "operator.curl");
    fs.writeFileSync(file, `user = "operator:${LAB_PASSWORDS.operatorPassword}"\n`, { mode: 0o600 });
    return file;
}
