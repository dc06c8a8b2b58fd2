import { PORTS } from "../catalog/services";
import type { ClusterConfig } from "../config/schema";
import { exhibitorStaticEnsemble } from "./ensemble";
import { parseCidr } from "./ipv4";
import { InfraIps, infraIps, roleIps, subnetOf } from "./ipPlan";
import { nodeFqdn, nodeName } from "./names";
import { ROLES, Role } from "../catalog/roles";
import { mesosQuorum } from "./quorum";
import { dockerHubCachePrefix, RegistryPlan } from "../registry/images";

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

/**
 * Everything the resources and templates need, computed once from validated config. The plan
 * is the only thing later stages see: they never read the config itself.
 */
export interface ClusterPlan {
    readonly clusterId: string;
    readonly domain: string;
    readonly region: string;
    readonly network: ClusterConfig["network"] & { readonly availabilityZone: string };
    readonly adminCidrs: readonly string[];
    readonly sshUser: string;
    readonly sshPublicKey: string;
    /** The master the step-down hands leadership to; "" for none. */
    readonly preferredLeader: string;
    readonly ami: ClusterConfig["ami"];
    /** Image reference per service, defaults overridden by `mesos-cluster:images`. */
    readonly images: ClusterConfig["images"];
    /** Where images come from: the Docker Hub pull-through cache when credentials are set. */
    readonly registry: RegistryPlan;
    /** Pritunl VPN on the border. */
    readonly vpn: boolean;
    /** Fixed addresses of the NAT gateway and the DNS forwarder. */
    readonly infra: InfraIps;
    readonly nodes: readonly PlannedNode[];
    readonly mesosQuorum: number;
    readonly exhibitorStaticEnsemble: string;
    /** ZooKeeper on the masters, as mesos-master/marathon/mesos-agent take it: zk://ip:2181,.../mesos */
    readonly mesosZk: string;
    readonly marathonZk: string;
    /** "name=http://ip:2380,..." for etcd's static --initial-cluster. */
    readonly etcdInitialCluster: string;
}


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
    const zkHosts = masters.map((node) => `${node.privateIp}:${PORTS.zkClient}`).join(",");
    return {
        clusterId: config.clusterId,
        domain: config.domain,
        region: config.region,
        network: { ...config.network, availabilityZone: config.network.availabilityZone ?? `${config.region}a` },
        adminCidrs: config.adminCidrs,
        sshUser: config.sshUser,
        sshPublicKey: config.sshPublicKey,
        preferredLeader: config.preferredLeader,
        ami: config.ami,
        images: config.images,
        // Only whether a credential exists: the credential itself stays a secret Output.
        registry: { region: config.region, ...(config.dockerHub ? { dockerHubCache: { prefix: dockerHubCachePrefix(config.clusterId) } } : {}) },
        vpn: config.vpn.enabled,
        infra: infraIps(parseCidr(config.network.publicSubnetCidr)!, parseCidr(config.network.privateSubnetCidr)!),
        nodes,
        mesosQuorum: mesosQuorum(masters.length),
        exhibitorStaticEnsemble: exhibitorStaticEnsemble(masters.map((node) => node.privateIp)),
        mesosZk: `zk://${zkHosts}/mesos`,
        marathonZk: `zk://${zkHosts}/marathon`,
        etcdInitialCluster: quorum.map((node) => `${node.name}=http://${node.privateIp}:${PORTS.etcdPeer}`).join(","),
    };
}

export function nodesOfRole(plan: ClusterPlan, role: Role): PlannedNode[] {
    return plan.nodes.filter((node) => node.role === role);
}
