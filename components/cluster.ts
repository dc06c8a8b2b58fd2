import * as aws from "./runtime/aws";
import * as pulumi from "@pulumi/pulumi";
import { ClusterNetwork } from "./network/network";
import { masterSetGuard } from "./nodes/masterSet";
import { NodeGroup } from "./nodes/nodeGroup";
import { ClusterPlan, nodesOfRole } from "./plan/clusterPlan";
import type { NodeUserData } from "./userdata/userData";
import { BundleStore } from "./bundles/bundleStore";
import type { Role } from "./catalog/roles";
import { ClusterDns } from "./dns/clusterDns";
import { NodeIdentities } from "./iam/nodeIdentities";
import type { RoleBundle } from "./userdata/roleBundle";
import { MESOS_DNS_DOMAIN } from "./catalog/dns";
import { PostSteps } from "./poststeps/postSteps";
import { ROLES } from "./catalog/roles";
import { ClusterSecurityGroups } from "./security/securityGroups";
import type { DockerHubCredentials } from "./config/load";
import { DockerHubCache } from "./registry/dockerHubCache";
import { cacheRoles } from "./registry/pulls";
import { ClusterSecrets } from "./secrets/clusterSecrets";
import type { LeanInstance } from "./runtime/leanResources";
import { outputsWhenBuilt } from "./runtime/batches";

export interface NodeRow {
    readonly name: string;
    readonly role: string;
    readonly fqdn: string;
    readonly privateIp: string;
    readonly instanceId: pulumi.Output<string>;
}

export interface MesosClusterArgs {
    readonly plan: ClusterPlan;
    /** Every node's rendered user data, by node name. */
    readonly userData: ReadonlyMap<string, NodeUserData>;
    /** Each role's bundle, installed by its nodes at first boot. */
    readonly bundles: ReadonlyMap<Role, RoleBundle>;
    /** Only for the post-step commands' SSH connections; never written to a node. */
    readonly sshPrivateKey: pulumi.Output<string>;
    /** The Docker Hub credential of the pull-through cache (a secret), when configured. */
    readonly dockerHub?: pulumi.Output<DockerHubCredentials>;
    /** Nodes being rebuilt on purpose (npm run replace): they take the current AMI and user data. */
    readonly rebuild: ReadonlySet<string>;
    /** The operator's own HTTP password (a secret), when set; otherwise the program generates one. */
    readonly httpOperatorPassword?: pulumi.Output<string>;
}

/** What the program reads of the cluster once it is built. */
export interface BuiltCluster {
    readonly component: MesosCluster;
    readonly borderPublicIp: pulumi.Output<string>;
    readonly instances: ReadonlyMap<string, LeanInstance>;
    readonly nodes: readonly NodeRow[];
    readonly postSteps: PostSteps;
}

/**
 * The whole cluster: network, security groups, key pair and every node of every role. The
 * component is made first and its children after, the nodes and post-steps a batch a turn of
 * the event loop (runtime/batches.ts): `await MesosCluster.create(...)`.
 */
export class MesosCluster extends pulumi.ComponentResource {
    private constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:index:MesosCluster", name, {}, opts);
    }

    static async create(name: string, args: MesosClusterArgs, opts?: pulumi.ComponentResourceOptions): Promise<BuiltCluster> {
        const component = new MesosCluster(name, opts);
        const built = component.build(name, args);
        component.registerOutputs(outputsWhenBuilt(built, (cluster) => ({ borderPublicIp: cluster.borderPublicIp })));
        return built;
    }

    private async build(name: string, args: MesosClusterArgs): Promise<BuiltCluster> {
        const { plan } = args;
        const parent = { parent: this };
        const tags = { Cluster: plan.clusterId, ManagedBy: "pulumi:mesos-cluster" };

        const network = new ClusterNetwork(`${name}-net`, {
            vpcCidr: plan.network.vpcCidr,
            zones: plan.network.zones,
            natGateways: plan.infra.natGateways,
            tags,
        }, parent);
        const security = new ClusterSecurityGroups(`${name}-sg`, {
            vpcId: network.vpc.id,
            adminCidrs: plan.adminCidrs,
            vpn: plan.vpn,
            tags,
        }, parent);
        const keyPair = new aws.ec2.KeyPair(`${name}-key`, { publicKey: plan.sshPublicKey, tags }, parent);

        const ami = plan.ami.id ?? aws.ec2.getAmiOutput({
            owners: [plan.ami.owner],
            mostRecent: true,
            filters: [
                { name: "name", values: [plan.ami.namePattern] },
                { name: "virtualization-type", values: ["hvm"] },
                { name: "root-device-type", values: ["ebs"] },
            ],
        }, parent).id;

        // Docker Hub images come through the cluster's ECR pull-through cache (components/registry).
        const cachePlan = plan.registry.dockerHubCache;
        if (cachePlan && !args.dockerHub) throw new Error("the plan has a Docker Hub cache but no credential for it");
        const cache = cachePlan && args.dockerHub ? new DockerHubCache(`${name}-dockerhub`, { prefix: cachePlan.prefix, credentials: args.dockerHub, tags }, parent) : undefined;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const roles = [...args.bundles.keys()];
        // Every secret, generated here and kept in SSM; each role's profile reads its own path.
        const secrets = new ClusterSecrets(`${name}-secrets`, { plan, roles, operatorPassword: args.httpOperatorPassword, tags }, parent);
        const identities = new NodeIdentities(`${name}-iam`, {
            roles,
            tags,
            secrets: account.apply((id) => ({ region: plan.region, account: id, clusterId: plan.clusterId })),
            ...(cachePlan ? { ecrCache: { roles: cacheRoles(plan), scope: account.apply((id) => ({ region: plan.region, account: id, prefix: cachePlan.prefix })) } } : {}),
        }, parent);
        const bundles = new BundleStore(`${name}-bundles`, {
            region: plan.region,
            vpcId: network.vpc.id,
            routeTableIds: network.routeTables.map((table) => table.id),
            bundles: args.bundles,
            tags,
        }, parent);
        const dns = new ClusterDns(`${name}-dns`, {
            vpcId: network.vpc.id,
            domain: plan.domain,
            mesosDomain: MESOS_DNS_DOMAIN,
            masterIps: nodesOfRole(plan, "master").map((node) => node.privateIp),
            // Each address in the private subnet of its zone: two zones when the stack has them.
            forwarderAddresses: plan.infra.dnsForwarder.map(({ zone, ip }) => ({ subnetId: network.subnet(zone, "private").id, ip })),
            forwarderSecurityGroupId: security.dnsForwarder.id,
            tags,
        }, parent);

        const masterSet = masterSetGuard(name, { clusterId: plan.clusterId, ensemble: plan.exhibitorStaticEnsemble, tags }, parent);

        const instances = new Map<string, LeanInstance>();
        const hostKeys = new Map<string, pulumi.Output<string>>();
        // A role with no nodes (workers: 0) has no bundle, no identity and no group.
        for (const role of ROLES.filter((r) => args.bundles.has(r))) {
            const group = await NodeGroup.create(`${name}-${role}`, {
                role,
                nodes: nodesOfRole(plan, role),
                userData: args.userData,
                // Each node in the subnet of the zone the plan placed it in.
                subnetId: (node) => network.subnet(node.availabilityZone, node.subnet).id,
                securityGroupId: security.groups[role].id,
                keyName: keyPair.keyName,
                ami,
                rebuild: args.rebuild,
                tags,
                instanceProfile: identities.profiles.get(role)!.name,
                bundleHost: bundles.host,
                // The bundle, and what its first pulls need: the cache rule and the role's policy;
                // and the master-set guard, so a changed master set stops before any instance.
                bootDependencies: [bundles.objects.get(role)!, ...bundles.ready, ...identities.policies, ...(cache ? [cache.rule] : []), masterSet],
                zoneId: dns.zone.zoneId,
                secrets,
            }, parent);
            for (const [nodeName, instance] of group.instances) instances.set(nodeName, instance);
            for (const [nodeName, key] of group.hostKeys) hostKeys.set(nodeName, key);
        }

        const border = instances.get("border-1");
        if (!border) throw new Error("the plan has no border-1");
        // An Elastic IP keeps the jump host's address across a border replacement.
        const borderIp = new aws.ec2.Eip(`${name}-border-ip`, { domain: "vpc", instance: border.id, tags: { ...tags, Name: "border-1" } }, parent);

        const nodes = plan.nodes.map((node) => ({
            name: node.name,
            role: node.role,
            fqdn: node.fqdn,
            privateIp: node.privateIp,
            instanceId: instances.get(node.name)!.id,
        }));
        // Last: the post-steps need every instance and the jump host's address.
        const postSteps = await PostSteps.create(name, {
            plan,
            instances,
            borderPublicIp: borderIp.publicIp,
            sshUser: plan.sshUser,
            sshPrivateKey: args.sshPrivateKey,
            hostKeys,
            rebuild: args.rebuild,
        }, parent);
        return { component: this, borderPublicIp: borderIp.publicIp, instances, nodes, postSteps };
    }
}
