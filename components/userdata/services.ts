import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { exhibitorEnvFile } from "../plan/ensemble";
import type { Role } from "../catalog/roles";
import { PATHS, PORTS, roleUnits } from "../catalog/services";

/** Units of a node in start order, docker.service first: what cloud-init enables and clusterstat reports. */
export function nodeUnits(plan: ClusterPlan, node: PlannedNode): string[] {
    return roleUnits(node.role, { vpn: plan.vpn });
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
            return { vpn: plan.vpn };
    }
}

function mesosDnsConfig(plan: ClusterPlan, node: PlannedNode, masters: readonly PlannedNode[]): string {
    // Written as JSON by code, not by a template: JSON.stringify is the escaping.
    const config = {
        zk: plan.mesosZk,
        masters: masters.map((n) => `${n.privateIp}:${PORTS.mesosMaster}`),
        refreshSeconds: 60,
        ttl: 60,
        domain: plan.domain,
        port: PORTS.dns,
        // The node's own address: 0.0.0.0:53 would collide with systemd-resolved's stub.
        listener: node.privateIp,
        // The VPC resolver answers everything outside the cluster domain.
        resolvers: ["169.254.169.253"],
        timeout: 5,
        httpon: true,
        httpport: PORTS.mesosDnsHttp,
        externalon: true,
        SOAMname: `ns1.${plan.domain}`,
        SOARname: `root.ns1.${plan.domain}`,
        IPSources: ["netinfo", "mesos", "host"],
    };
    return `${JSON.stringify(config, null, 1)}\n`;
}
