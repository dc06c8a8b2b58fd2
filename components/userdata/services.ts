import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { exhibitorEnvFile } from "../plan/ensemble";
import type { Role } from "../plan/names";

/**
 * What each role runs, as systemd unit names. Post-step scripts restart and check these by
 * name, so they are a contract: change them only together with templates/scripts/.
 */
export const ROLE_UNITS: Readonly<Record<Role, readonly string[]>> = {
    border: ["node-exporter.service"],
    quorum: ["etcd.service", "zookeeper.service", "node-exporter.service"],
    master: [
        "zookeeper.service",
        "mesos-master.service",
        "marathon.service",
        "mesos-dns.service",
        "prometheus.service",
        "cadvisor.service",
        "node-exporter.service",
    ],
    worker: ["mesos-agent.service", "marathon-lb.service", "cadvisor.service", "node-exporter.service"],
};

/** Paths the templates write and the scripts read; the docs and the lab refer to them. */
export const PATHS = {
    /** Exhibitor-compatible env file of the masters' ZooKeeper (the documented contract). */
    exhibitorEnv: "/etc/mesos-cluster/exhibitor",
    /** Same format for the quorum nodes' "platform" ZooKeeper; ids are quorum indexes. */
    platformZookeeperEnv: "/etc/mesos-cluster/platform-zookeeper",
    units: "/etc/mesos-cluster/units",
    masters: "/etc/mesos-cluster/masters",
    launcher: "/usr/local/bin/zk-static-ensemble",
    clusterstat: "/usr/local/bin/clusterstat",
    clusterStatus: "/usr/local/bin/cluster-status",
} as const;

export const PORTS = {
    nodeExporter: 9100,
    cadvisor: 4194,
    prometheus: 9090,
    marathon: 8080,
    mesosMaster: 5050,
    mesosAgent: 5051,
    zookeeper: 2181,
    etcdClient: 2379,
    etcdPeer: 2380,
    mesosDnsHttp: 8123,
} as const;

/** Units of a node in start order, docker.service first: what clusterstat reports. */
export function nodeUnits(plan: ClusterPlan, node: PlannedNode): string[] {
    const vpn = node.role === "border" && plan.config.vpn.enabled ? ["pritunl.service"] : [];
    return ["docker.service", ...ROLE_UNITS[node.role], ...vpn];
}

/**
 * The platform ZooKeeper's ensemble in the Exhibitor format, ids by quorum index (not sorted
 * like the masters' one: nothing outside this project computes it, and quorum-N keeps id N).
 */
export function platformEnvFile(quorum: readonly PlannedNode[]): string {
    const ensemble = quorum.map((node) => `${node.index}:${node.privateIp}`).join(",");
    return `EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=${ensemble}\n`;
}

/** Role-specific values, derived here so the templates only place them. */
export function roleValues(plan: ClusterPlan, node: PlannedNode) {
    const of = (role: Role) => plan.nodes.filter((n) => n.role === role);
    const masters = of("master");
    switch (node.role) {
        case "master":
            return {
                zkEnvPath: PATHS.exhibitorEnv,
                zkEnvFile: exhibitorEnvFile(masters.map((n) => n.privateIp)),
                mastersFile: masters.map((n) => `${n.name} ${n.privateIp}\n`).join(""),
                mesosDns: mesosDnsConfig(plan, node, masters),
                scrape: {
                    node: plan.nodes.map((n) => `${n.privateIp}:${PORTS.nodeExporter}`),
                    cadvisor: [...masters, ...of("worker")].map((n) => `${n.privateIp}:${PORTS.cadvisor}`),
                },
            };
        case "quorum":
            return { zkEnvPath: PATHS.platformZookeeperEnv, zkEnvFile: platformEnvFile(of("quorum")) };
        case "worker":
            return { marathonUrls: masters.map((n) => `http://${n.privateIp}:${PORTS.marathon}`) };
        case "border":
            return { vpn: plan.config.vpn.enabled };
    }
}

function mesosDnsConfig(plan: ClusterPlan, node: PlannedNode, masters: readonly PlannedNode[]): string {
    // Written as JSON by code, not by a template: JSON.stringify is the escaping.
    const config = {
        zk: plan.mesosZk,
        masters: masters.map((n) => `${n.privateIp}:${PORTS.mesosMaster}`),
        refreshSeconds: 60,
        ttl: 60,
        domain: plan.config.domain,
        port: 53,
        // The node's own address: 0.0.0.0:53 would collide with systemd-resolved's stub.
        listener: node.privateIp,
        // The VPC resolver answers everything outside the cluster domain.
        resolvers: ["169.254.169.253"],
        timeout: 5,
        httpon: true,
        httpport: PORTS.mesosDnsHttp,
        externalon: true,
        SOAMname: `ns1.${plan.config.domain}`,
        SOARname: `root.ns1.${plan.config.domain}`,
        IPSources: ["netinfo", "mesos", "host"],
    };
    return `${JSON.stringify(config, null, 1)}\n`;
}
