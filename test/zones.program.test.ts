import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation, RegisteredResource } from "../scripts/offline/mockEngine";
import { devStackConfig, SINGLE_ZONE_NETWORK } from "./helpers/devConfig";
import { byName, evaluateStack, ofType } from "./helpers/evaluate";
import { TYPES } from "../scripts/offline/resourceTypes";

// The network per zone under mocks: subnets, NAT gateways, route tables; a single shared NAT;
// the single-zone stack exactly as before zones; security-group rules by role, not by subnet.

const SUBNET = TYPES.subnet;
const NAT = TYPES.natGateway;
const EIP = TYPES.eip;
const ROUTE_TABLE = TYPES.routeTable;
const ROUTE = TYPES.route;
const ASSOCIATION = TYPES.routeTableAssociation;
const INSTANCE = TYPES.instance;
const SG = TYPES.securityGroup;
const INGRESS = TYPES.ingressRule;
const EGRESS = TYPES.egressRule;

const network = (patch: Record<string, unknown>) => {
    const current = JSON.parse(devStackConfig().config["mesos-cluster:network"]);
    return { "mesos-cluster:network": JSON.stringify({ ...current, ...patch }) };
};

/** Suffix of a resource name in each zone: the first zone keeps the single-zone names. */
const ZONES = { "eu-west-1a": "", "eu-west-1b": "-eu-west-1b", "eu-west-1c": "-eu-west-1c" } as const;

let dev: Evaluation;
let shared: Evaluation;
let single: Evaluation;
beforeAll(async () => {
    dev = await evaluateStack();
    shared = await evaluateStack({ config: network({ natGateways: "single" }) });
    single = await evaluateStack({ config: { "mesos-cluster:network": JSON.stringify(SINGLE_ZONE_NETWORK) } });
}, 120_000);

describe("three zones, a NAT gateway per zone (the dev stack)", () => {
    it.each(Object.entries(ZONES))("%s has its own public and private subnet, NAT gateway and private route table", (zone, at) => {
        const pub = byName(dev, `cell-1-net-public${at}`);
        const priv = byName(dev, `cell-1-net-private${at}`);
        expect(pub.inputs).toMatchObject({ availabilityZone: zone, mapPublicIpOnLaunch: false, vpcId: byName(dev, "cell-1-net-vpc").id });
        expect(priv.inputs).toMatchObject({ availabilityZone: zone, mapPublicIpOnLaunch: false });
        const nat = byName(dev, `cell-1-net-nat${at}`);
        expect(nat.inputs).toMatchObject({ subnetId: pub.id, allocationId: byName(dev, `cell-1-net-nat-ip${at}`).id });
        const table = byName(dev, `cell-1-net-private-rt${at}`);
        expect(byName(dev, `cell-1-net-private-default${at}`).inputs).toEqual({ routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id });
        expect(byName(dev, `cell-1-net-private-rta${at}`).inputs).toEqual({ subnetId: priv.id, routeTableId: table.id });
        expect(byName(dev, `cell-1-net-public-rta${at}`).inputs).toEqual({ subnetId: pub.id, routeTableId: byName(dev, "cell-1-net-public-rt").id });
    });

    it("keeps each NAT gateway at offset 5 of its zone's public subnet", () => {
        expect(ofType(dev, NAT).map((n) => [n.name, n.inputs.privateIp]).sort()).toEqual([
            ["cell-1-net-nat", "10.136.0.5"],
            ["cell-1-net-nat-eu-west-1b", "10.136.1.5"],
            ["cell-1-net-nat-eu-west-1c", "10.136.2.5"],
        ]);
        expect(ofType(dev, SUBNET).map((s) => [s.inputs.availabilityZone, s.inputs.cidrBlock]).sort()).toEqual([
            ["eu-west-1a", "10.136.0.0/24"],
            ["eu-west-1a", "10.136.64.0/18"],
            ["eu-west-1b", "10.136.1.0/24"],
            ["eu-west-1b", "10.136.128.0/18"],
            ["eu-west-1c", "10.136.192.0/18"],
            ["eu-west-1c", "10.136.2.0/24"],
        ]);
    });

    it("has one public route table to the internet gateway, shared by the public subnets", () => {
        const publicTable = byName(dev, "cell-1-net-public-rt");
        const toIgw = ofType(dev, ROUTE).filter((r) => r.inputs.gatewayId !== undefined);
        expect(toIgw.map((r) => r.inputs)).toEqual([{ routeTableId: publicTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: byName(dev, "cell-1-net-igw").id }]);
        expect(ofType(dev, ROUTE_TABLE)).toHaveLength(4);
    });

    it("counts per zone: 2 subnets, 1 NAT gateway and its address, 1 route table, 1 route, 2 associations, and the zone's share of nodes", () => {
        const subnetZone = new Map(ofType(dev, SUBNET).map((s) => [s.id, s.inputs.availabilityZone as string]));
        const perZone = Object.fromEntries(
            Object.entries(ZONES).map(([zone, at]) => {
                const mine = (type: string) => ofType(dev, type).filter((r) => (at === "" ? !/-eu-west-1[a-z]$/.test(r.name) : r.name.endsWith(at))).length;
                const nodes = ofType(dev, INSTANCE).filter((i) => subnetZone.get(i.inputs.subnetId) === zone).map((i) => i.inputs.tags.Name).sort();
                return [zone, { subnets: mine(SUBNET), nat: mine(NAT), natIps: ofType(dev, EIP).filter((e) => e.name === `cell-1-net-nat-ip${at}`).length, privateRouteTables: ofType(dev, ROUTE_TABLE).filter((t) => t.name === `cell-1-net-private-rt${at}`).length, privateRoutes: ofType(dev, ROUTE).filter((r) => r.name === `cell-1-net-private-default${at}`).length, associations: ofType(dev, ASSOCIATION).filter((a) => a.name.endsWith(`rta${at}`)).length, nodes }];
            }),
        );
        expect(perZone).toEqual({
            "eu-west-1a": { subnets: 2, nat: 1, natIps: 1, privateRouteTables: 1, privateRoutes: 1, associations: 2, nodes: ["border-1", "master-1", "quorum-1", "worker-1"] },
            "eu-west-1b": { subnets: 2, nat: 1, natIps: 1, privateRouteTables: 1, privateRoutes: 1, associations: 2, nodes: ["master-2", "quorum-2", "worker-2"] },
            "eu-west-1c": { subnets: 2, nat: 1, natIps: 1, privateRouteTables: 1, privateRoutes: 1, associations: 2, nodes: ["master-3", "quorum-3", "worker-3"] },
        });
    });
});

describe("natGateways: single", () => {
    it("has one NAT gateway, in the first zone, and every zone's private route table goes to it", () => {
        expect(ofType(shared, NAT).map((n) => [n.name, n.inputs.privateIp])).toEqual([["cell-1-net-nat", "10.136.0.5"]]);
        expect(ofType(shared, EIP).map((e) => e.name).sort()).toEqual(["cell-1-border-ip", "cell-1-net-nat-ip"]);
        const nat = byName(shared, "cell-1-net-nat");
        expect(nat.inputs.subnetId).toBe(byName(shared, "cell-1-net-public").id);
        for (const at of Object.values(ZONES)) {
            const table = byName(shared, `cell-1-net-private-rt${at}`);
            expect(byName(shared, `cell-1-net-private-default${at}`).inputs).toEqual({ routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id });
            expect(byName(shared, `cell-1-net-private-rta${at}`).inputs.routeTableId).toBe(table.id);
        }
        // Switching modes changes routes, not subnets or associations.
        const names = (e: Evaluation, type: string) => ofType(e, type).map((r) => r.name).sort();
        expect(names(shared, SUBNET)).toEqual(names(dev, SUBNET));
        expect(names(shared, ASSOCIATION)).toEqual(names(dev, ASSOCIATION));
    });
});

describe("the single-zone keys", () => {
    const NETWORK_TYPES = [
        "aws:ec2/vpc:Vpc", SUBNET, "aws:ec2/internetGateway:InternetGateway", EIP, NAT, ROUTE_TABLE, ROUTE, ASSOCIATION,
        "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:route53/resolverEndpoint:ResolverEndpoint",
    ];

    it("register the network, the nodes' addresses and subnets and the forwarder exactly as before zones (recorded from the program before the change)", () => {
        const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "single-zone-network.json"), "utf8"));
        const pick = (r: RegisteredResource) => {
            if (r.type === INSTANCE) return { privateIp: r.inputs.privateIp, subnetId: r.inputs.subnetId };
            return NETWORK_TYPES.includes(r.type) ? r.inputs : undefined;
        };
        const now = single.resources
            .filter((r) => pick(r) !== undefined)
            .map((r) => ({ type: r.type, name: r.name, inputs: pick(r) }))
            .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
        expect(JSON.parse(JSON.stringify(now))).toEqual(fixture);
    });
});

describe("security groups: rules by role, not by subnet", () => {
    /** Every rule with groups named by role, so that two evaluations compare. */
    function matrix(e: Evaluation): string[] {
        const role = new Map(ofType(e, SG).map((sg) => [sg.id, (sg.inputs.tags.Role as string | undefined) ?? sg.name]));
        const rule = (kind: string) => (r: RegisteredResource) =>
            [kind, role.get(r.inputs.securityGroupId), r.inputs.referencedSecurityGroupId ? role.get(r.inputs.referencedSecurityGroupId) : r.inputs.cidrIpv4, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort].join(" ");
        return [...ofType(e, INGRESS).map(rule("in")), ...ofType(e, EGRESS).map(rule("out"))].sort();
    }

    it("the three-zone stack has exactly the single-zone stack's rules, and none names a subnet", () => {
        expect(matrix(dev).length).toBeGreaterThan(20);
        expect(matrix(dev)).toEqual(matrix(single));
        expect(matrix(shared)).toEqual(matrix(single));
        const cidrs = ofType(dev, INGRESS).concat(ofType(dev, EGRESS)).map((r) => r.inputs.cidrIpv4).filter((c) => c !== undefined);
        expect(cidrs.filter((c) => c.startsWith("10.136."))).toEqual([]);
    });
});
