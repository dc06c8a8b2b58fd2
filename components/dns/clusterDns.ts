import * as aws from "../runtime/aws";
import * as pulumi from "@pulumi/pulumi";
import { PORTS } from "../catalog/services";

export interface ClusterDnsArgs {
    readonly vpcId: pulumi.Input<string>;
    /** The nodes' domain: role-N.<domain>, served by a Route 53 private zone. */
    readonly domain: string;
    /** Mesos-DNS's own domain, forwarded to the masters by the VPC resolver. */
    readonly mesosDomain: string;
    readonly masterIps: readonly string[];
    /** The forwarder's two network interfaces: fixed addresses of the plan, each in its zone's private subnet. */
    readonly forwarderAddresses: readonly { readonly subnetId: pulumi.Input<string>; readonly ip: string }[];
    readonly forwarderSecurityGroupId: pulumi.Input<string>;
    readonly tags: Record<string, string>;
}

/**
 * Names as a property of the cluster, not of each node's user data: a private hosted zone for
 * the node domain (one A record per node, added with the node), a DHCP options set that makes
 * it every node's search domain (so `master-1` resolves as well as its FQDN), and a resolver
 * rule that sends Mesos-DNS's domain to the masters, so tasks and nodes resolve both through
 * the VPC resolver they already use.
 */
export class ClusterDns extends pulumi.ComponentResource {
    readonly zone: aws.route53.Zone;

    constructor(name: string, args: ClusterDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:dns:ClusterDns", name, {}, opts);
        const parent = { parent: this };
        this.zone = new aws.route53.Zone(`${name}-zone`, {
            name: args.domain,
            comment: `nodes of ${args.tags.Cluster}`,
            vpcs: [{ vpcId: args.vpcId }],
            // Records belong to their nodes; a destroy of the cluster takes the zone with them.
            forceDestroy: true,
            tags: args.tags,
        }, parent);
        const dhcp = new aws.ec2.VpcDhcpOptions(`${name}-dhcp`, {
            domainName: args.domain,
            domainNameServers: ["AmazonProvidedDNS"],
            tags: { ...args.tags, Name: `${name}-dhcp` },
        }, parent);
        new aws.ec2.VpcDhcpOptionsAssociation(`${name}-dhcp`, { vpcId: args.vpcId, dhcpOptionsId: dhcp.id }, parent);

        const forwarder = new aws.route53.ResolverEndpoint(`${name}-forwarder`, {
            direction: "OUTBOUND",
            securityGroupIds: [args.forwarderSecurityGroupId],
            ipAddresses: args.forwarderAddresses.map(({ subnetId, ip }) => ({ subnetId, ip })),
            tags: { ...args.tags, Name: `${name}-forwarder` },
        }, parent);
        const rule = new aws.route53.ResolverRule(`${name}-mesos`, {
            domainName: args.mesosDomain,
            ruleType: "FORWARD",
            resolverEndpointId: forwarder.id,
            targetIps: args.masterIps.map((ip) => ({ ip, port: PORTS.dns })),
            tags: args.tags,
        }, parent);
        new aws.route53.ResolverRuleAssociation(`${name}-mesos`, { resolverRuleId: rule.id, vpcId: args.vpcId }, parent);
        this.registerOutputs({ zoneId: this.zone.zoneId });
    }
}
