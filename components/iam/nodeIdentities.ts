import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROLES, Role } from "../catalog/roles";
import { EC2_ASSUME_ROLE, roleStatements } from "./policies";

export interface NodeIdentitiesArgs {
    readonly roles: readonly Role[];
    readonly tags: Record<string, string>;
}

/** An IAM role and instance profile per node role, with that role's statements only. */
export class NodeIdentities extends pulumi.ComponentResource {
    readonly profiles: ReadonlyMap<Role, aws.iam.InstanceProfile>;

    constructor(name: string, args: NodeIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:iam:NodeIdentities", name, {}, opts);
        const parent = { parent: this };
        const profiles = new Map<Role, aws.iam.InstanceProfile>();
        for (const role of ROLES.filter((r) => args.roles.includes(r))) {
            const iamRole = new aws.iam.Role(`${name}-${role}`, {
                assumeRolePolicy: JSON.stringify(EC2_ASSUME_ROLE),
                description: `${role} nodes of ${args.tags.Cluster}`,
                tags: { ...args.tags, Role: role },
            }, parent);
            const statements = roleStatements(role);
            if (statements.length > 0) {
                new aws.iam.RolePolicy(`${name}-${role}`, {
                    role: iamRole.name,
                    policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
                }, parent);
            }
            profiles.set(role, new aws.iam.InstanceProfile(`${name}-${role}`, { role: iamRole.name, tags: { ...args.tags, Role: role } }, parent));
        }
        this.profiles = profiles;
        this.registerOutputs({});
    }
}
