import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROLES, Role } from "../catalog/roles";
import { clusterRules, ruleName } from "./rules";

export interface ClusterSecurityGroupsArgs {
    readonly vpcId: pulumi.Input<string>;
    readonly adminCidrs: readonly string[];
    readonly vpn: boolean;
    readonly tags: Record<string, string>;
}

/** A security group per role, and one ingress rule resource per line of the port matrix. */
export class ClusterSecurityGroups extends pulumi.ComponentResource {
    readonly groups: Readonly<Record<Role, aws.ec2.SecurityGroup>>;

    constructor(name: string, args: ClusterSecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:security:ClusterSecurityGroups", name, {}, opts);
        const parent = { parent: this };

        const groups = {} as Record<Role, aws.ec2.SecurityGroup>;
        for (const role of ROLES) {
            groups[role] = new aws.ec2.SecurityGroup(`${name}-${role}`, {
                vpcId: args.vpcId,
                description: `${role} nodes of ${args.tags.Cluster}`,
                tags: { ...args.tags, Name: `${name}-${role}`, Role: role },
            }, parent);
            // Nodes pull images and packages through the NAT gateway; outbound stays open.
            new aws.vpc.SecurityGroupEgressRule(`${name}-${role}-egress`, {
                securityGroupId: groups[role].id,
                ipProtocol: "-1",
                cidrIpv4: "0.0.0.0/0",
                description: "outbound",
            }, parent);
        }

        for (const r of clusterRules({ vpn: args.vpn })) {
            const common = {
                securityGroupId: groups[r.to].id,
                ipProtocol: r.protocol,
                fromPort: r.fromPort,
                toPort: r.toPort,
                description: r.description,
            };
            if (r.from === "admin") {
                args.adminCidrs.forEach((cidr, i) => {
                    new aws.vpc.SecurityGroupIngressRule(`${name}-${ruleName(r)}-${i}`, { ...common, cidrIpv4: cidr }, parent);
                });
            } else {
                new aws.vpc.SecurityGroupIngressRule(`${name}-${ruleName(r)}`, {
                    ...common,
                    referencedSecurityGroupId: groups[r.from].id,
                }, parent);
            }
        }

        this.groups = groups;
        this.registerOutputs(Object.fromEntries(ROLES.map((role) => [`${role}SecurityGroupId`, groups[role].id])));
    }
}
