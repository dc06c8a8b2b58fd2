import { beforeAll, describe, expect, it } from "vitest";
import { evaluateProgram, Evaluation, RegisteredResource } from "../scripts/offline/mockEngine";
import type { ClusterNetwork, ClusterNetworkArgs } from "../components/network/network";
import { componentOutputs, outputOf } from "./helpers/builtAlone";

// Issue 15: tests written against the mutants StrykerJS left alive in components/network/.
// ClusterNetwork is built on its own under the mocks (no whole program: ~1 s), in two zones
// named za and zb, and every expected value is written out here.

const ZONES: ClusterNetworkArgs["zones"] = [
    { name: "za", publicSubnetCidr: "10.9.0.0/24", privateSubnetCidr: "10.9.64.0/18" },
    { name: "zb", publicSubnetCidr: "10.9.1.0/24", privateSubnetCidr: "10.9.128.0/18" },
];
const TAGS = { Cluster: "c9", ManagedBy: "test" };
const OWN_NATS = [{ zone: "za", ip: "10.9.0.5" }, { zone: "zb", ip: "10.9.1.5" }];


/** Builds the network on its own; `use` runs on the component before the evaluation ends. */
async function build(args: Partial<ClusterNetworkArgs>, use?: (network: ClusterNetwork) => Promise<void>): Promise<Evaluation> {
    return evaluateProgram({
        config: {},
        load: async () => {
            const { ClusterNetwork } = await import("../components/network/network.js");
            const network = new ClusterNetwork("t-net", { vpcCidr: "10.9.0.0/16", zones: ZONES, natGateways: OWN_NATS, tags: TAGS, ...args });
            await use?.(network);
            return {};
        },
    });
}

const named = (e: Evaluation, name: string): RegisteredResource => {
    const found = e.resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource ${name}`);
    return found;
};
const tagged = (name: string) => ({ ...TAGS, Name: name });

let own: Evaluation;
let single: Evaluation;
let routeTableUrns: string[] = [];
let picked: Record<string, string> = {};
/**
 * What went wrong while building, kept for the tests to fail on: StrykerJS's vitest runner (9.6)
 * counts tests skipped by a failed root-level beforeAll as passing, so a mutant that makes the
 * build throw would survive a beforeAll that throws.
 */
const failures: unknown[] = [];
beforeAll(async () => {
    try {
        own = await build({}, async (network) => {
            routeTableUrns = await Promise.all(network.routeTables.map((t) => outputOf(t.urn)));
            picked = {
                "za public": await outputOf(network.subnet("za", "public").urn),
                "za private": await outputOf(network.subnet("za", "private").urn),
                "zb public": await outputOf(network.subnet("zb", "public").urn),
                "zb private": await outputOf(network.subnet("zb", "private").urn),
            };
        });
    } catch (err) {
        failures.push(err);
    }
    try {
        single = await build({ natGateways: [{ zone: "za", ip: "10.9.0.5" }] });
    } catch (err) {
        failures.push(err);
    }
}, 60_000);

describe("ClusterNetwork on its own, two zones", () => {
    it("builds with a NAT gateway in each zone and with one shared", () => {
        expect(failures).toEqual([]);
    });

    it("registers as mesos-cluster:network:ClusterNetwork and parents every resource to itself", () => {
        const component = own.resources.filter((r) => !r.custom);
        expect(component.map((r) => [r.type, r.name])).toEqual([["mesos-cluster:network:ClusterNetwork", "t-net"]]);
        expect(own.resources.filter((r) => r.custom && r.parent !== component[0].urn).map((r) => r.name)).toEqual([]);
    });

    it("has a VPC with DNS support and hostnames, and the default group stripped of its rules", () => {
        expect(named(own, "t-net-vpc").inputs).toEqual({ cidrBlock: "10.9.0.0/16", enableDnsSupport: true, enableDnsHostnames: true, tags: tagged("t-net-vpc") });
        expect(named(own, "t-net-default-sg")).toMatchObject({ type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", inputs: { vpcId: "t-net-vpc-id", tags: tagged("t-net-default-sg") } });
        expect(Object.keys(named(own, "t-net-default-sg").inputs).sort()).toEqual(["tags", "vpcId"]);
        expect(named(own, "t-net-igw").inputs).toEqual({ vpcId: "t-net-vpc-id", tags: tagged("t-net-igw") });
    });

    it("names the first zone's resources without a suffix and the others with the zone's name", () => {
        expect(own.resources.filter((r) => r.custom).map((r) => r.name).sort()).toEqual([
            "t-net-default-sg",
            "t-net-igw",
            "t-net-nat",
            "t-net-nat-ip",
            "t-net-nat-ip-zb",
            "t-net-nat-zb",
            "t-net-private",
            "t-net-private-default",
            "t-net-private-default-zb",
            "t-net-private-rt",
            "t-net-private-rt-zb",
            "t-net-private-rta",
            "t-net-private-rta-zb",
            "t-net-private-zb",
            "t-net-public",
            "t-net-public-default",
            "t-net-public-rt",
            "t-net-public-rta",
            "t-net-public-rta-zb",
            "t-net-public-zb",
            "t-net-vpc",
        ]);
    });

    it("puts each zone's subnets in that zone, public ones with no public IP on launch", () => {
        expect(named(own, "t-net-public-zb").inputs).toEqual({ vpcId: "t-net-vpc-id", cidrBlock: "10.9.1.0/24", availabilityZone: "zb", mapPublicIpOnLaunch: false, tags: tagged("t-net-public-zb") });
        expect(named(own, "t-net-private").inputs).toEqual({ vpcId: "t-net-vpc-id", cidrBlock: "10.9.64.0/18", availabilityZone: "za", mapPublicIpOnLaunch: false, tags: tagged("t-net-private") });
    });

    it("gives each NAT gateway an Elastic IP and its fixed address, both created after the internet gateway", () => {
        const igw = named(own, "t-net-igw").urn;
        expect(named(own, "t-net-nat-ip-zb").inputs).toEqual({ domain: "vpc", tags: tagged("t-net-nat-ip-zb") });
        expect(named(own, "t-net-nat-zb").inputs).toEqual({ subnetId: "t-net-public-zb-id", allocationId: "t-net-nat-ip-zb-id", privateIp: "10.9.1.5", tags: tagged("t-net-nat-zb") });
        for (const name of ["t-net-nat-ip", "t-net-nat", "t-net-nat-ip-zb", "t-net-nat-zb"]) expect(named(own, name).dependsOn, name).toContain(igw);
    });

    it("routes the public subnets to the internet gateway and each private subnet to its zone's NAT gateway", () => {
        expect(named(own, "t-net-public-default").inputs).toEqual({ routeTableId: "t-net-public-rt-id", destinationCidrBlock: "0.0.0.0/0", gatewayId: "t-net-igw-id" });
        expect(named(own, "t-net-public-rta-zb").inputs).toEqual({ subnetId: "t-net-public-zb-id", routeTableId: "t-net-public-rt-id" });
        expect(named(own, "t-net-private-rt-zb").inputs).toEqual({ vpcId: "t-net-vpc-id", tags: tagged("t-net-private-rt-zb") });
        expect(named(own, "t-net-private-default-zb").inputs).toEqual({ routeTableId: "t-net-private-rt-zb-id", destinationCidrBlock: "0.0.0.0/0", natGatewayId: "t-net-nat-zb-id" });
        expect(named(own, "t-net-private-default").inputs).toEqual({ routeTableId: "t-net-private-rt-id", destinationCidrBlock: "0.0.0.0/0", natGatewayId: "t-net-nat-id" });
        expect(named(own, "t-net-private-rta-zb").inputs).toEqual({ subnetId: "t-net-private-zb-id", routeTableId: "t-net-private-rt-zb-id" });
    });

    it("sends every zone through the first zone's NAT gateway when only it has one", () => {
        expect(single.resources.filter((r) => r.type === "aws:ec2/natGateway:NatGateway").map((r) => r.name)).toEqual(["t-net-nat"]);
        expect(single.resources.filter((r) => r.type === "aws:ec2/eip:Eip").map((r) => r.name)).toEqual(["t-net-nat-ip"]);
        expect(named(single, "t-net-private-default-zb").inputs.natGatewayId).toBe("t-net-nat-id");
    });

    it("lists its route tables, public first, for the S3 endpoint; hands out each zone's subnets", () => {
        expect(routeTableUrns.map((urn) => urn.split("::").pop())).toEqual(["t-net-public-rt", "t-net-private-rt", "t-net-private-rt-zb"]);
        expect(Object.fromEntries(Object.entries(picked).map(([k, urn]) => [k, urn.split("::").pop()]))).toEqual({
            "za public": "t-net-public",
            "za private": "t-net-private",
            "zb public": "t-net-public-zb",
            "zb private": "t-net-private-zb",
        });
    });

    it("registers the VPC and the subnet ids as its outputs, in zone order", () => {
        expect(componentOutputs.get("mesos-cluster:network:ClusterNetwork::t-net")).toEqual({
            vpcId: "t-net-vpc-id",
            publicSubnetIds: ["t-net-public-id", "t-net-public-zb-id"],
            privateSubnetIds: ["t-net-private-id", "t-net-private-zb-id"],
        });
    });
});

describe("ClusterNetwork refuses a network it cannot build", () => {
    it("without a zone", async () => {
        await expect(build({ zones: [], natGateways: [] })).rejects.toThrow(/^ClusterNetwork needs at least one zone$/);
    });

    it("with NAT gateways in zones it does not have, naming them all", async () => {
        await expect(build({ natGateways: [...OWN_NATS, { zone: "zx", ip: "10.9.2.5" }, { zone: "zy", ip: "10.9.3.5" }] })).rejects.toThrow(
            /^NAT gateways planned in zones the network does not have: zx, zy$/,
        );
    });

    it("without a NAT gateway in the first zone", async () => {
        await expect(build({ natGateways: [{ zone: "zb", ip: "10.9.1.5" }] })).rejects.toThrow(/^the first zone za has no NAT gateway$/);
        await expect(build({ natGateways: [] })).rejects.toThrow(/^the first zone za has no NAT gateway$/);
    });

    it("when asked for a zone it does not have", async () => {
        let message = "";
        await build({}, async (network) => {
            try {
                network.subnet("zq", "private");
            } catch (err) {
                message = (err as Error).message;
            }
        });
        expect(message).toBe("the network has no zone zq");
    });
});
