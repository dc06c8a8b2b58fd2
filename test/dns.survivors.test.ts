import { beforeAll, describe, expect, it } from "vitest";
import { evaluateProgram, type Evaluation } from "../scripts/offline/mockEngine";
import { componentOutputs, outputOf, resourceIn } from "./helpers/builtAlone";

// Issue 15: components/dns/ measured on its own. ClusterDns built alone under mocks (no whole
// program: that made every mutant here cost a program evaluation), each resource's inputs
// stated literally. Built in a beforeAll, where StrykerJS's mutant is already active.


const COMPONENT = "urn:pulumi:dev::mesos-cluster::mesos-cluster:dns:ClusterDns::c9-dns";
const TAGS = { Cluster: "c9", ManagedBy: "test" };

let built: Evaluation;
let zoneUrn = "";
beforeAll(async () => {
    built = await evaluateProgram({
        config: {},
        load: async () => {
            const { ClusterDns } = await import("../components/dns/clusterDns.js");
            const dns = new ClusterDns("c9-dns", {
                vpcId: "vpc-9",
                domain: "c9.internal",
                mesosDomain: "mesos",
                masterIps: ["10.9.64.10", "10.9.128.10"],
                forwarderAddresses: [{ subnetId: "subnet-a", ip: "10.9.64.4" }, { subnetId: "subnet-b", ip: "10.9.128.4" }],
                forwarderSecurityGroupId: "sg-fwd",
                tags: TAGS,
            });
            zoneUrn = await outputOf(dns.zone.urn);
            return {};
        },
    });
});

const resource = (type: string, name: string) => resourceIn(built, type, name);

describe("ClusterDns, built on its own", () => {
    it("registers the component and six resources under it, in this order", () => {
        expect(built.resources.map((r) => [r.type, r.name, r.parent])).toEqual([
            ["mesos-cluster:dns:ClusterDns", "c9-dns", ""],
            ["aws:route53/zone:Zone", "c9-dns-zone", COMPONENT],
            ["aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "c9-dns-dhcp", COMPONENT],
            ["aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation", "c9-dns-dhcp", COMPONENT],
            ["aws:route53/resolverEndpoint:ResolverEndpoint", "c9-dns-forwarder", COMPONENT],
            ["aws:route53/resolverRule:ResolverRule", "c9-dns-mesos", COMPONENT],
            ["aws:route53/resolverRuleAssociation:ResolverRuleAssociation", "c9-dns-mesos", COMPONENT],
        ]);
        expect(built.duplicateUrns).toEqual([]);
    });

    it("serves the node domain from a private zone of the VPC, destroyed with its records", () => {
        expect(resource("aws:route53/zone:Zone", "c9-dns-zone").inputs).toEqual({
            name: "c9.internal",
            comment: "nodes of c9",
            vpcs: [{ vpcId: "vpc-9" }],
            forceDestroy: true,
            tags: { Cluster: "c9", ManagedBy: "test" },
        });
        expect(zoneUrn).toBe("urn:pulumi:dev::mesos-cluster::mesos-cluster:dns:ClusterDns$aws:route53/zone:Zone::c9-dns-zone");
    });

    it("makes the node domain every node's search domain, with Amazon's resolver", () => {
        expect(resource("aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "c9-dns-dhcp").inputs).toEqual({
            domainName: "c9.internal",
            domainNameServers: ["AmazonProvidedDNS"],
            tags: { Cluster: "c9", ManagedBy: "test", Name: "c9-dns-dhcp" },
        });
        expect(resource("aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation", "c9-dns-dhcp").inputs).toEqual({ vpcId: "vpc-9", dhcpOptionsId: "c9-dns-dhcp-id" });
    });

    it("forwards Mesos-DNS's domain to every master on port 53, through an outbound endpoint at the plan's two addresses", () => {
        expect(resource("aws:route53/resolverEndpoint:ResolverEndpoint", "c9-dns-forwarder").inputs).toEqual({
            direction: "OUTBOUND",
            securityGroupIds: ["sg-fwd"],
            ipAddresses: [
                { subnetId: "subnet-a", ip: "10.9.64.4" },
                { subnetId: "subnet-b", ip: "10.9.128.4" },
            ],
            tags: { Cluster: "c9", ManagedBy: "test", Name: "c9-dns-forwarder" },
        });
        expect(resource("aws:route53/resolverRule:ResolverRule", "c9-dns-mesos").inputs).toEqual({
            domainName: "mesos",
            ruleType: "FORWARD",
            resolverEndpointId: "c9-dns-forwarder-id",
            targetIps: [
                { ip: "10.9.64.10", port: 53 },
                { ip: "10.9.128.10", port: 53 },
            ],
            tags: { Cluster: "c9", ManagedBy: "test" },
        });
        expect(resource("aws:route53/resolverRuleAssociation:ResolverRuleAssociation", "c9-dns-mesos").inputs).toEqual({ resolverRuleId: "c9-dns-mesos-id", vpcId: "vpc-9" });
    });

    it("registers its outputs", () => {
        expect(componentOutputs.get("mesos-cluster:dns:ClusterDns::c9-dns")).toEqual({ zoneId: "ZC9DNSZONE" });
    });
});
