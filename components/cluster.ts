import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LoadedCluster } from "./config/load";
import { ClusterNetwork } from "./network/network";
import { NodeGroup } from "./nodes/nodeGroup";
import { nodesOfRole } from "./plan/clusterPlan";
import { PostSteps } from "./poststeps/postSteps";
import { ROLES } from "./plan/names";
import { ClusterSecurityGroups } from "./security/securityGroups";

export interface NodeRow {
    readonly name: string;
    readonly role: string;
    readonly fqdn: string;
    readonly privateIp: string;
    readonly instanceId: pulumi.Output<string>;
}

/** The whole cluster: network, security groups, key pair and every node of every role. */
export class MesosCluster extends pulumi.ComponentResource {
    readonly borderPublicIp: pulumi.Output<string>;
    readonly instances: ReadonlyMap<string, aws.ec2.Instance>;
    readonly nodes: readonly NodeRow[];
    readonly postSteps: PostSteps;

    constructor(name: string, cluster: LoadedCluster, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:index:MesosCluster", name, {}, opts);
        const { plan } = cluster;
        const { config } = plan;
        const parent = { parent: this };
        const tags = { Cluster: config.clusterId, ManagedBy: "pulumi:mesos-cluster" };

        const network = new ClusterNetwork(`${name}-net`, {
            ...config.network,
            availabilityZone: config.network.availabilityZone ?? `${config.region}a`,
            tags,
        }, parent);
        const security = new ClusterSecurityGroups(`${name}-sg`, {
            vpcId: network.vpc.id,
            adminCidrs: config.adminCidrs,
            vpn: config.vpn.enabled,
            tags,
        }, parent);
        const keyPair = new aws.ec2.KeyPair(`${name}-key`, { publicKey: config.sshPublicKey, tags }, parent);

        const ami = config.ami.id ?? aws.ec2.getAmiOutput({
            owners: [config.ami.owner],
            mostRecent: true,
            filters: [
                { name: "name", values: [config.ami.namePattern] },
                { name: "virtualization-type", values: ["hvm"] },
                { name: "root-device-type", values: ["ebs"] },
            ],
        }, parent).id;

        const instances = new Map<string, aws.ec2.Instance>();
        for (const role of ROLES) {
            const group = new NodeGroup(`${name}-${role}`, {
                role,
                nodes: nodesOfRole(plan, role),
                userData: cluster.userData,
                subnetId: role === "border" ? network.publicSubnet.id : network.privateSubnet.id,
                securityGroupId: security.groups[role].id,
                keyName: keyPair.keyName,
                ami,
                rebuild: cluster.rebuild,
                tags,
            }, parent);
            for (const [nodeName, instance] of group.instances) instances.set(nodeName, instance);
        }

        const border = instances.get("border-1");
        if (!border) throw new Error("the plan has no border-1");
        // An Elastic IP keeps the jump host's address across a border replacement.
        const borderIp = new aws.ec2.Eip(`${name}-border-ip`, { domain: "vpc", instance: border.id, tags: { ...tags, Name: "border-1" } }, parent);

        this.borderPublicIp = borderIp.publicIp;
        this.instances = instances;
        this.nodes = plan.nodes.map((node) => ({
            name: node.name,
            role: node.role,
            fqdn: node.fqdn,
            privateIp: node.privateIp,
            instanceId: instances.get(node.name)!.id,
        }));
        // Last: the post-steps need every instance and the jump host's address.
        this.postSteps = new PostSteps(name, {
            plan,
            instances,
            borderPublicIp: borderIp.publicIp,
            sshUser: config.sshUser,
            sshPrivateKey: cluster.sshPrivateKey,
        }, parent);
        this.registerOutputs({ borderPublicIp: this.borderPublicIp });
    }
}
