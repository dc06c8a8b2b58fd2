import * as pulumi from "@pulumi/pulumi";
import { MesosCluster } from "./components/cluster";
import { loadCluster } from "./components/config/load";
import { ConfigError } from "./components/config/validate";

/** Config problems end the run before any resource is registered, all of them listed. */
class InvalidStackConfig extends pulumi.RunError {
    constructor(readonly lines: readonly string[]) {
        super(`invalid stack config:\n${lines.map((line) => `error: ${line}`).join("\n")}`);
    }
}

function load() {
    try {
        return loadCluster();
    } catch (err) {
        if (err instanceof ConfigError) throw new InvalidStackConfig(err.lines);
        throw err;
    }
}

const loaded = load();
const { plan } = loaded;
const cluster = new MesosCluster(plan.config.clusterId, loaded);

const preferred = plan.nodes.find((n) => n.name === plan.config.preferredLeader) ?? plan.nodes.find((n) => n.role === "master")!;
const sshUser = plan.config.sshUser;

export const borderPublicIp = cluster.borderPublicIp;
export const nodes = cluster.nodes;
export const mesosQuorum = plan.mesosQuorum;
export const exhibitorStaticEnsemble = plan.exhibitorStaticEnsemble;
// Any master answers: a non-leader redirects (Mesos: 307 to the leader) or proxies (Marathon).
export const mesosUrl = `http://${preferred.fqdn}:5050`;
export const marathonUrl = `http://${preferred.fqdn}:8080`;
export const sshCommand = pulumi.interpolate`ssh -J ${sshUser}@${cluster.borderPublicIp} ${sshUser}@${preferred.privateIp}`;
