import * as aws from "../runtime/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROLES, Role } from "../catalog/roles";
import { EC2_ASSUME_ROLE, EcrCacheScope, roleStatements, SecretsScope } from "./policies";

export interface NodeIdentitiesArgs {
    readonly roles: readonly Role[];
    readonly tags: Record<string, string>;
    /** The Docker Hub cache and the roles that pull through it; its account is the engine's. */
    readonly ecrCache?: { readonly roles: readonly Role[]; readonly scope: pulumi.Input<EcrCacheScope> };
    /** Where the cluster's secrets live: every role may read its own path (and only that). */
    readonly secrets?: pulumi.Input<SecretsScope>;
}

/** An IAM role and instance profile per node role, with that role's statements only. */
export class NodeIdentities extends pulumi.ComponentResource {
    readonly profiles: ReadonlyMap<Role, aws.iam.InstanceProfile>;
    /** The inline policies: a node must not boot before its role may do what it needs. */
    readonly policies: readonly aws.iam.RolePolicy[];

    constructor(name: string, args: NodeIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:iam:NodeIdentities", name, {}, opts);
        const parent = { parent: this };
        const profiles = new Map<Role, aws.iam.InstanceProfile>();
        const policies: aws.iam.RolePolicy[] = [];
        for (const role of ROLES.filter((r) => args.roles.includes(r))) {
            const iamRole = new aws.iam.Role(`${name}-${role}`, {
                assumeRolePolicy: JSON.stringify(EC2_ASSUME_ROLE),
                description: `${role} nodes of ${args.tags.Cluster}`,
                tags: { ...args.tags, Role: role },
            }, parent);
            const cache = args.ecrCache?.roles.includes(role) ? args.ecrCache.scope : undefined;
            if (roleStatements(role).length > 0 || cache !== undefined || args.secrets !== undefined) {
                policies.push(new aws.iam.RolePolicy(`${name}-${role}`, {
                    role: iamRole.name,
                    policy: pulumi
                        .all([cache, args.secrets])
                        .apply(([scope, secrets]) => JSON.stringify({ Version: "2012-10-17", Statement: roleStatements(role, scope, secrets) })),
                }, parent));
            }
            profiles.set(role, new aws.iam.InstanceProfile(`${name}-${role}`, { role: iamRole.name, tags: { ...args.tags, Role: role } }, parent));
        }
        this.profiles = profiles;
        this.policies = policies;
        this.registerOutputs({});
    }
}
