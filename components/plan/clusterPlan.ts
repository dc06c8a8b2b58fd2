import { PORTS } from "../catalog/services";
import { etcdPeerUrl } from "../catalog/etcd";
import type { ClusterConfig } from "../config/schema";
import { exhibitorStaticEnsemble } from "./ensemble";
import { parseCidr } from "./ipv4";
import { InfraIps, infraIps, placeRole, subnetOf, ZoneSubnets } from "./ipPlan";
import { nodeFqdn, nodeName } from "./names";
import { ROLES, Role } from "../catalog/roles";
import { mesosQuorum } from "./quorum";
import { dockerHubCachePrefix, RegistryPlan } from "../registry/images";
import { configZones } from "./zones";
import type { NatGatewayMode } from "../config/schema";

export interface PlannedNode {
    readonly name: string; // role-N
    readonly role: Role;
    readonly index: number; // N, from 1
    readonly fqdn: string;
    readonly privateIp: string;
    readonly subnet: "public" | "private";
    /** The zone the round-robin placed the node in: node N of a role in zone (N-1) mod Z. */
    readonly availabilityZone: string;
    /** The CIDR of the node's subnet (its zone's public or private one). */
    readonly subnetCidr: string;
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
    readonly network: {
        readonly vpcCidr: string;
        /** In config order; the first is the home zone: the border, the single NAT gateway. */
        readonly zones: readonly PlannedZone[];
        readonly natGateways: NatGatewayMode;
    };
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
    /** Fixed addresses of the NAT gateways and the DNS forwarder, each with its zone. */
    readonly infra: InfraIps;
    readonly nodes: readonly PlannedNode[];
    readonly mesosQuorum: number;
    readonly exhibitorStaticEnsemble: string;
    /** ZooKeeper on the masters, as mesos-master/marathon/mesos-agent take it: zk://ip:2181,.../mesos */
    readonly mesosZk: string;
    readonly marathonZk: string;
    /** "name=https://ip:2380,..." for etcd's static --initial-cluster (peers speak TLS). */
    readonly etcdInitialCluster: string;
}

export interface PlannedZone {
    readonly name: string;
    readonly publicSubnetCidr: string;
    readonly privateSubnetCidr: string;
}

function parsedZones(config: ClusterConfig): ZoneSubnets[] {
    return configZones(config.network, config.region).map((zone) => {
        const pub = parseCidr(zone.publicSubnetCidr);
        const priv = parseCidr(zone.privateSubnetCidr);
        if (!pub || !priv) throw new Error(`planCluster needs validated config: zone ${zone.name} has a subnet that is not a CIDR`);
        return { name: zone.name, public: pub, private: priv };
    });
}

export function planCluster(config: ClusterConfig): ClusterPlan {
    const zones = parsedZones(config);
    const nodes = ROLES.flatMap((role) => {
        const group = config.nodes[role];
        return placeRole(role, group.count, zones, group.ips).map(({ zone, ip }, i): PlannedNode => {
            const name = nodeName(role, i + 1);
            return {
                name,
                role,
                index: i + 1,
                fqdn: nodeFqdn(name, config.domain),
                privateIp: ip,
                subnet: subnetOf(role),
                availabilityZone: zones[zone].name,
                subnetCidr: zones[zone][subnetOf(role)].text,
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
        network: {
            vpcCidr: config.network.vpcCidr,
            zones: zones.map((zone) => ({ name: zone.name, publicSubnetCidr: zone.public.text, privateSubnetCidr: zone.private.text })),
            natGateways: config.network.natGateways,
        },
        adminCidrs: config.adminCidrs,
        sshUser: config.sshUser,
        sshPublicKey: config.sshPublicKey,
        preferredLeader: config.preferredLeader,
        ami: config.ami,
        images: config.images,
        // Only whether a credential exists: the credential itself stays a secret Output.
        registry: { region: config.region, ...(config.dockerHub ? { dockerHubCache: { prefix: dockerHubCachePrefix(config.clusterId) } } : {}) },
        vpn: config.vpn.enabled,
        infra: infraIps(zones, config.network.natGateways),
        nodes,
        mesosQuorum: mesosQuorum(masters.length),
        exhibitorStaticEnsemble: exhibitorStaticEnsemble(masters.map((node) => node.privateIp)),
        mesosZk: `zk://${zkHosts}/mesos`,
        marathonZk: `zk://${zkHosts}/marathon`,
        etcdInitialCluster: quorum.map((node) => `${node.name}=${etcdPeerUrl(node.privateIp)}`).join(","),
    };
}

export function nodesOfRole(plan: ClusterPlan, role: Role): PlannedNode[] {
    return plan.nodes.filter((node) => node.role === role);
}
