import * as pulumi from "@pulumi/pulumi";
import type { PlannedNode } from "../plan/clusterPlan";
import type { Role } from "../catalog/roles";
import type { NodeUserData } from "../userdata/userData";
import type { ClusterSecrets } from "../secrets/clusterSecrets";
import { LeanDnsRecord, LeanInstance } from "../runtime/leanResources";
import { inBatches, NODES_PER_TURN, outputsWhenBuilt } from "../runtime/batches";

export interface NodeGroupArgs {
    readonly role: Role;
    readonly nodes: readonly PlannedNode[];
    readonly userData: ReadonlyMap<string, NodeUserData>;
    /** The subnet of the node's zone. */
    readonly subnetId: (node: PlannedNode) => pulumi.Input<string>;
    readonly securityGroupId: pulumi.Input<string>;
    readonly keyName: pulumi.Input<string>;
    readonly ami: pulumi.Input<string>;
    /** Nodes being rebuilt on purpose (npm run replace): they take the current AMI and user data. */
    readonly rebuild: ReadonlySet<string>;
    readonly tags: Record<string, string>;
    /** The role's instance profile. */
    readonly instanceProfile: pulumi.Input<string>;
    /** Where the node fetches its role bundle: the bundle bucket's host, read from its own tags. */
    readonly bundleHost: pulumi.Input<string>;
    /** What must exist before a node boots (its bundle, the bucket policy, the S3 endpoint). */
    readonly bootDependencies: pulumi.Resource[];
    /** The private zone that gets each node's A record. */
    readonly zoneId: pulumi.Input<string>;
    /** The cluster's secrets: what a node reads at boot must exist first; each node's host key. */
    readonly secrets: ClusterSecrets;
}

/**
 * A running node must never be replaced or rebooted by surprise: a newly published AMI or a
 * user-data change elsewhere in the cluster (one more worker rewrites every /etc/hosts) would
 * otherwise stop/start or replace every instance at once. So AMI and user data only count when
 * a node is created, and `npm run replace -- <node>` is the one way to move a node to new ones.
 */
export const FROZEN_AFTER_CREATE = ["ami", "userData", "userDataBase64"];

export function instanceOptions(node: PlannedNode, rebuild: ReadonlySet<string>): Pick<pulumi.CustomResourceOptions, "deleteBeforeReplace" | "ignoreChanges"> {
    return {
        // The fixed private IP cannot be held by two instances: the old one must go first.
        deleteBeforeReplace: true,
        ignoreChanges: rebuild.has(node.name) ? [] : FROZEN_AFTER_CREATE,
    };
}

/**
 * One EC2 instance per node of a role, each at its planned private IP, with its DNS name. The
 * component is made first and its nodes after, a batch a turn of the event loop
 * (runtime/batches.ts): `await NodeGroup.create(...)`.
 */
export class NodeGroup extends pulumi.ComponentResource {
    private readonly made = { instances: new Map<string, LeanInstance>(), hostKeys: new Map<string, pulumi.Output<string>>() };
    /** aws.ec2.Instance as registered, holding `id` only (see runtime/leanResources.ts). */
    readonly instances: ReadonlyMap<string, LeanInstance> = this.made.instances;
    /** Each node's SSH host key public half (authorized_keys form): what the post-steps pin. */
    readonly hostKeys: ReadonlyMap<string, pulumi.Output<string>> = this.made.hostKeys;

    private constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:nodes:NodeGroup", name, {}, opts);
    }

    static async create(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions): Promise<NodeGroup> {
        const group = new NodeGroup(name, opts);
        const built = inBatches(args.nodes, NODES_PER_TURN, (node) => group.addNode(name, node, args));
        group.registerOutputs(outputsWhenBuilt(built, () => ({ instanceIds: [...group.instances.values()].map((i) => i.id) })));
        await built;
        return group;
    }

    private addNode(name: string, node: PlannedNode, args: NodeGroupArgs): void {
        const userData = args.userData.get(node.name);
        if (!userData) throw new Error(`no user data rendered for ${node.name}`);
        const instance = new LeanInstance(`${name}-${node.index}`, {
            ami: args.ami,
            instanceType: node.instanceType,
            subnetId: args.subnetId(node),
            privateIp: node.privateIp,
            vpcSecurityGroupIds: [args.securityGroupId],
            keyName: args.keyName,
            iamInstanceProfile: args.instanceProfile,
            userData: userData.userData,
            userDataBase64: userData.userDataBase64,
            metadataOptions: {
                httpEndpoint: "enabled",
                httpTokens: "required", // IMDSv2 only
                // Containers sit one hop behind the host; IMDSv2 answers need a limit of 2.
                httpPutResponseHopLimit: 2,
                // The node reads its BundleBucket tag from IMDS at first boot.
                instanceMetadataTags: "enabled",
            },
            rootBlockDevice: {
                encrypted: true,
                volumeType: "gp3",
                volumeSize: node.rootVolumeGiB,
                deleteOnTermination: true,
            },
            tags: { ...args.tags, Name: node.name, Role: node.role, Fqdn: node.fqdn, BundleBucket: args.bundleHost },
            volumeTags: { ...args.tags, Name: node.name, Role: node.role },
        }, {
            parent: this,
            dependsOn: [...args.bootDependencies, ...(args.secrets.bootParameters.get(node.name) ?? [])],
            ...instanceOptions(node, args.rebuild),
        });
        this.made.instances.set(node.name, instance);
        // After the instance: the key is replaced with it (and the node waits for it at boot).
        this.made.hostKeys.set(node.name, args.secrets.hostKey(node, instance));
        // The node's name belongs to the node: added and removed with it, nothing else changes.
        new LeanDnsRecord(`${name}-${node.index}-dns`, {
            zoneId: args.zoneId,
            name: node.fqdn,
            type: "A",
            ttl: 60,
            records: [node.privateIp],
        }, { parent: this });
    }
}
