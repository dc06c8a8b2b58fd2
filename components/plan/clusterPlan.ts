import type { ClusterConfig } from "../config/schema";
import { exhibitorStaticEnsemble } from "./ensemble";
import { parseCidr } from "./ipv4";
import { roleIps, subnetOf } from "./ipPlan";
import { nodeFqdn, nodeName, Role, ROLES } from "./names";
import { mesosQuorum } from "./quorum";

export interface PlannedNode {
    readonly name: string; // role-N
    readonly role: Role;
    readonly index: number; // N, from 1
    readonly fqdn: string;
    readonly privateIp: string;
    readonly subnet: "public" | "private";
    readonly instanceType: string;
    readonly rootVolumeGiB: number;
}

/** Everything the resources and templates need, computed once from validated config. */
export interface ClusterPlan {
    readonly config: ClusterConfig;
    readonly nodes: readonly PlannedNode[];
    readonly mesosQuorum: number;
    readonly exhibitorStaticEnsemble: string;
    /** ZooKeeper on the masters, as mesos-master/marathon/mesos-agent take it: zk://ip:2181,.../mesos */
    readonly mesosZk: string;
    readonly marathonZk: string;
    /** "name=http://ip:2380,..." for etcd's static --initial-cluster. */
    readonly etcdInitialCluster: string;
}

export const ZK_CLIENT_PORT = 2181;

export function planCluster(config: ClusterConfig): ClusterPlan {
    const nodes = ROLES.flatMap((role) => {
        const group = config.nodes[role];
        const subnetText = subnetOf(role) === "public" ? config.network.publicSubnetCidr : config.network.privateSubnetCidr;
        const subnet = parseCidr(subnetText);
        if (!subnet) throw new Error(`planCluster needs validated config: ${subnetText} is not a CIDR`);
        return roleIps(role, group.count, subnet, group.ips).map((privateIp, i): PlannedNode => {
            const name = nodeName(role, i + 1);
            return {
                name,
                role,
                index: i + 1,
                fqdn: nodeFqdn(name, config.domain),
                privateIp,
                subnet: subnetOf(role),
                instanceType: group.instanceType,
                rootVolumeGiB: group.rootVolumeGiB,
            };
        });
    });
    const masters = nodes.filter((node) => node.role === "master");
    const quorum = nodes.filter((node) => node.role === "quorum");
    const zkHosts = masters.map((node) => `${node.privateIp}:${ZK_CLIENT_PORT}`).join(",");
    return {
        config,
        nodes,
        mesosQuorum: mesosQuorum(masters.length),
        exhibitorStaticEnsemble: exhibitorStaticEnsemble(masters.map((node) => node.privateIp)),
        mesosZk: `zk://${zkHosts}/mesos`,
        marathonZk: `zk://${zkHosts}/marathon`,
        etcdInitialCluster: quorum.map((node) => `${node.name}=http://${node.privateIp}:2380`).join(","),
    };
}

export function nodesOfRole(plan: ClusterPlan, role: Role): PlannedNode[] {
    return plan.nodes.filter((node) => node.role === role);
}
