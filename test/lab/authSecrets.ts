import * as fs from "fs";
import * as path from "path";
import { secretPath, SecretKey } from "../../components/catalog/secrets";
import type { Hosts } from "./hosts";
import { LabError } from "./proc";

/**
 * The service secrets as a lab host received them from the boot fetch (wip-secrets' delivery:
 * the plan's own generated values through the lab's SSM stand-in), read on this machine from
 * the node's /etc/mesos-cluster: what the authentication checks compare against and what the
 * lab's own probes authenticate with. No test value of the lab's own.
 */
export function nodeSecret(hosts: Hosts, node: string, key: SecretKey): string {
    const file = hosts.etcFile(node, secretPath(key));
    if (!fs.existsSync(file)) throw new LabError(`${node}: no ${secretPath(key)} (the boot fetch writes it; see ${path.join(hosts.dir(node), "node", "log")})`);
    return fs.readFileSync(file, "utf8");
}

/** The ZooKeeper digest `user:password` in a zk:// URL (Mesos' file, or a MARATHON_* line). */
export function zkDigest(url: string): string {
    const m = /zk:\/\/([^@/\s]+)@/.exec(url);
    if (!m) throw new LabError(`no digest credentials in a zk URL (${url.length} characters)`);
    return m[1];
}

export interface DeliveredSecrets {
    /** `operator:<password>` (the http-operator file). */
    readonly httpOperator: string;
    /** `mesos:<password>` and `marathon:<password>`, ZooKeeper digests. */
    readonly zkMesos: string;
    readonly zkMarathon: string;
    /** Every secret value, for the argv check. */
    readonly values: readonly string[];
}

/** What a master and a worker received. */
export function deliveredSecrets(hosts: Hosts): DeliveredSecrets {
    const master = hosts.masters[0].name;
    const worker = hosts.nodes.find((n) => n.role === "worker")?.name;
    const env = nodeSecret(hosts, master, "marathonEnv");
    const line = (name: string) => env.split("\n").find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1) ?? "";
    const httpOperator = nodeSecret(hosts, master, "httpOperator").trim();
    const zkMesos = zkDigest(nodeSecret(hosts, master, "zkMesosUrl"));
    const zkMarathon = zkDigest(line("MARATHON_ZK"));
    const creds = (JSON.parse(nodeSecret(hosts, master, "mesosCredentials")) as { credentials: { secret: string }[] }).credentials.map((c) => c.secret);
    const agent = worker ? [(JSON.parse(nodeSecret(hosts, worker, "mesosAgentCredential")) as { secret: string }).secret] : [];
    const values = [...new Set([...creds, ...agent, nodeSecret(hosts, master, "marathonFrameworkSecret"), httpOperator.split(":")[1], zkMesos.split(":")[1], zkMarathon.split(":")[1]])];
    return { httpOperator, zkMesos, zkMarathon, values };
}

/** The lab's own curl config with the operator's delivered credentials (its probes; a file, not argv). */
export function labCurlConfig(hosts: Hosts): string {
    const file = path.join(hosts.labDir, "operator.curl");
    fs.writeFileSync(file, `user = "${deliveredSecrets(hosts).httpOperator}"\n`, { mode: 0o600 });
    return file;
}
