import type { Role } from "../catalog/roles";
import { MESOS_DNS_DOMAIN, VPC_RESOLVER } from "../catalog/dns";
import { ETCD_TLS } from "../catalog/etcd";
import { PORTS } from "../catalog/services";
import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { exhibitorEnvFile } from "../plan/ensemble";

/**
 * The part of the plan a node's rendered files may depend on: the node itself and the fixed
 * control plane (masters, quorum nodes, the ensemble). Never the workers or the border: user
 * data is frozen when a node is created, so anything about other nodes would go stale.
 */
export interface ControlPlane {
    readonly masters: readonly PlannedNode[];
    readonly quorum: readonly PlannedNode[];
    readonly mesosQuorum: number;
    readonly mesosZk: string;
    readonly marathonZk: string;
    readonly etcdInitialCluster: string;
    readonly exhibitorStaticEnsemble: string;
}

export function controlPlane(plan: ClusterPlan): ControlPlane {
    return {
        masters: plan.nodes.filter((n) => n.role === "master"),
        quorum: plan.nodes.filter((n) => n.role === "quorum"),
        mesosQuorum: plan.mesosQuorum,
        mesosZk: plan.mesosZk,
        marathonZk: plan.marathonZk,
        etcdInitialCluster: plan.etcdInitialCluster,
        exhibitorStaticEnsemble: plan.exhibitorStaticEnsemble,
    };
}

/** The masters' bundle file of names and addresses (cluster-status reads it): `name ip` lines. */
export function mastersFile(control: ControlPlane): string {
    return control.masters.map((n) => `${n.name} ${n.privateIp}\n`).join("");
}

/** Values only one role's bundle uses, derived here so the templates only place them. */
export function roleValues(control: ControlPlane, role: Role) {
    switch (role) {
        case "master":
            return { mastersFile: mastersFile(control) };
        case "worker":
            return { marathonUrls: control.masters.map((n) => `http://${n.privateIp}:${PORTS.marathon}`) };
        case "quorum":
            // etcd's certificate files (SECRETS_DIR, written at boot): the unit mounts and names them.
            return { etcdTls: ETCD_TLS };
        default:
            return {};
    }
}

/** Files only this node's user data carries (the node's own values), by role. */
export function nodeFiles(control: ControlPlane, node: PlannedNode): { path: string; content: string }[] {
    if (node.role !== "master") return [];
    return [
        { path: "/etc/mesos-cluster/exhibitor", content: exhibitorEnvFile(control.masters.map((n) => n.privateIp)) },
        { path: "/etc/mesos-dns/config.json", content: mesosDnsConfig(control, node) },
    ];
}

function mesosDnsConfig(control: ControlPlane, node: PlannedNode): string {
    // Written as JSON by code, not by a template: JSON.stringify is the escaping.
    const config = {
        zk: control.mesosZk,
        masters: control.masters.map((n) => `${n.privateIp}:${PORTS.mesosMaster}`),
        refreshSeconds: 60,
        ttl: 60,
        domain: MESOS_DNS_DOMAIN,
        port: PORTS.dns,
        // The node's own address: 0.0.0.0:53 would collide with systemd-resolved's stub.
        listener: node.privateIp,
        // Everything outside .mesos, the cluster's private zone included, goes to the VPC resolver.
        resolvers: [VPC_RESOLVER],
        timeout: 5,
        httpon: true,
        httpport: PORTS.mesosDnsHttp,
        externalon: true,
        SOAMname: `ns1.${MESOS_DNS_DOMAIN}`,
        SOARname: `root.ns1.${MESOS_DNS_DOMAIN}`,
        IPSources: ["netinfo", "mesos", "host"],
    };
    return `${JSON.stringify(config, null, 1)}\n`;
}
