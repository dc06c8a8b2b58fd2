import * as aws from "../runtime/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROLES, Role } from "../catalog/roles";
import type { Source } from "../catalog/services";
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
    /** The DNS forwarder's group: it may only ask the masters' Mesos-DNS. */
    readonly dnsForwarder: aws.ec2.SecurityGroup;

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

        const dnsForwarder = new aws.ec2.SecurityGroup(`${name}-dns-forwarder`, {
            vpcId: args.vpcId,
            description: `DNS forwarder of ${args.tags.Cluster}: asks the masters' Mesos-DNS`,
            tags: { ...args.tags, Name: `${name}-dns-forwarder` },
        }, parent);
        const sourceGroup = (source: Exclude<Source, "admin">) => (source === "dnsForwarder" ? dnsForwarder : groups[source]);

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
                    referencedSecurityGroupId: sourceGroup(r.from).id,
                }, parent);
                if (r.from === "dnsForwarder") {
                    // Its only way out: the same port on the same group.
                    new aws.vpc.SecurityGroupEgressRule(`${name}-dns-forwarder-to-${r.to}-${r.protocol}-${r.fromPort}`, {
                        securityGroupId: dnsForwarder.id,
                        ipProtocol: r.protocol,
                        fromPort: r.fromPort,
                        toPort: r.toPort,
                        referencedSecurityGroupId: groups[r.to].id,
                        description: r.description,
                    }, parent);
                }
            }
        }

        this.groups = groups;
        this.dnsForwarder = dnsForwarder;
        this.registerOutputs(Object.fromEntries(ROLES.map((role) => [`${role}SecurityGroupId`, groups[role].id])));
    }
}
