import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ROLES } from "../components/catalog/roles";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { cidrContainsIp, isAwsReserved, parseCidr } from "../components/plan/ipv4";
import { infraIps, MAX_ODD_GROUP, placeRole, roleIps, subnetOf, ZoneSubnets } from "../components/plan/ipPlan";
import { nodesInZone, rankInZone, survivesZoneLoss, zoneOfNode } from "../components/plan/zones";
import { devRawConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";

// The placement over zones, pure: node N of a role in zone (N-1) mod Z, at offset + its rank
// in that zone of the zone's subnet. Expected values below are written out, not computed.

const LETTERS = "abcdef";
/** Z zones of eu-west-1 inside 10.136.0.0/16: public 10.136.i.0/24, private 10.136.16(i+1).0/20. */
function zonesOf(count: number, letters = LETTERS.slice(0, count)): { name: string; publicSubnetCidr: string; privateSubnetCidr: string }[] {
    return [...letters].map((letter, i) => ({ name: `eu-west-1${letter}`, publicSubnetCidr: `10.136.${i}.0/24`, privateSubnetCidr: `10.136.${16 * (i + 1)}.0/20` }));
}
const parsed = (zones: ReturnType<typeof zonesOf>): ZoneSubnets[] =>
    zones.map((z) => ({ name: z.name, public: parseCidr(z.publicSubnetCidr)!, private: parseCidr(z.privateSubnetCidr)! }));

const zoneCount = fc.integer({ min: 1, max: 6 });
const oddGroup = fc.integer({ min: 0, max: (MAX_ODD_GROUP - 1) / 2 }).map((i) => 2 * i + 1);

describe("round-robin placement", () => {
    it("puts node N in zone (N-1) mod Z and spreads every role evenly: zone counts differ by at most 1", () => {
        fc.assert(
            fc.property(zoneCount, fc.integer({ min: 0, max: 3000 }), fc.constantFrom(...ROLES), (z, count, role) => {
                const placed = placeRole(role, count, parsed(zonesOf(z)));
                const perZone = Array.from({ length: z }, (_, i) => placed.filter((p) => p.zone === i).length);
                expect(Math.max(...perZone) - Math.min(...perZone)).toBeLessThanOrEqual(1);
                expect(perZone).toEqual(Array.from({ length: z }, (_, i) => nodesInZone(count, z, i)));
                // One comparison per run, not one expect per node (up to 3,000 a run: seconds of CPU).
                expect(placed.map((p) => p.zone)).toEqual(placed.map((_, i) => i % z));
                // Zones fill in config order: the first zones hold the extra node.
                expect([...perZone].sort((a, b) => b - a)).toEqual(perZone);
            }),
        );
    });

    it("gives each node an address inside its zone's subnet, never AWS-reserved, none shared with another node or the NAT gateways and DNS forwarder", () => {
        fc.assert(
            fc.property(zoneCount, oddGroup, oddGroup, fc.integer({ min: 0, max: 1500 }), fc.constantFrom("perZone" as const, "single" as const), (z, masters, quorum, workers, nat) => {
                const zones = parsed(zonesOf(z));
                const counts = { border: 1, master: masters, quorum, worker: workers };
                const infra = infraIps(zones, nat);
                const ips = [...infra.natGateways.map((n) => n.ip), ...infra.dnsForwarder.map((f) => f.ip)];
                // Every misplaced node named, in one expect per run (not two per node).
                const misplaced: string[] = [];
                for (const role of ROLES) {
                    for (const { zone, ip } of placeRole(role, counts[role], zones)) {
                        const subnet = zones[zone][subnetOf(role)];
                        if (!cidrContainsIp(subnet, ip)) misplaced.push(`${role} ${ip} outside ${subnet.text}`);
                        if (isAwsReserved(subnet, ip)) misplaced.push(`${role} ${ip} AWS-reserved in ${subnet.text}`);
                        ips.push(ip);
                    }
                }
                expect(misplaced).toEqual([]);
                expect(new Set(ips).size).toBe(ips.length);
                // Infra addresses sit where the plan keeps them: a NAT in each zone's public subnet
                // (or the first's), the forwarder in two zones' private subnets when there are two.
                expect(infra.natGateways.map((n) => n.zone)).toEqual(nat === "single" ? [zones[0].name] : zones.map((zz) => zz.name));
                expect(new Set(infra.dnsForwarder.map((f) => f.zone)).size).toBe(Math.min(z, 2));
            }),
        );
    });

    it("with one zone plans exactly today's addresses (roleIps: node N at offset + N)", () => {
        fc.assert(
            fc.property(fc.constantFrom(...ROLES), fc.integer({ min: 0, max: 3000 }), (role, count) => {
                const zones = parsed(zonesOf(1));
                expect(placeRole(role, count, zones).map((p) => p.ip)).toEqual(roleIps(role, count, zones[0][subnetOf(role)]));
                expect(placeRole(role, count, zones).every((p) => p.zone === 0)).toBe(true);
            }),
        );
    });

    it("ranks nodes within their zone: N-th of a role is the ((N-1) div Z + 1)-th in its zone", () => {
        expect([1, 2, 3, 4, 5, 6, 7].map((n) => [zoneOfNode(n, 3), rankInZone(n, 3)])).toEqual([[0, 1], [1, 1], [2, 1], [0, 2], [1, 2], [2, 2], [0, 3]]);
        const zones = parsed(zonesOf(3));
        expect(placeRole("master", 5, zones)).toEqual([
            { zone: 0, ip: "10.136.16.11" },
            { zone: 1, ip: "10.136.32.11" },
            { zone: 2, ip: "10.136.48.11" },
            { zone: 0, ip: "10.136.16.12" },
            { zone: 1, ip: "10.136.32.12" },
        ]);
    });

    it("explicit ips win, in the zone the round-robin gives their node", () => {
        const zones = parsed(zonesOf(3));
        expect(placeRole("master", 3, zones, ["10.136.16.50", "10.136.32.50", "10.136.48.50"])).toEqual([
            { zone: 0, ip: "10.136.16.50" },
            { zone: 1, ip: "10.136.32.50" },
            { zone: 2, ip: "10.136.48.50" },
        ]);
    });
});

describe("the zone-loss rule: count - ceil(count/Z) >= floor(count/2) + 1", () => {
    it("holds for 3..9 masters over 3 or more zones, never over 2, never for 1 over 2 or more", () => {
        const table: [number, number, boolean][] = [
            [3, 2, false], [5, 2, false], [7, 2, false], [9, 2, false],
            [3, 3, true], [5, 3, true], [7, 3, true], [9, 3, true],
            [3, 4, true], [5, 4, true], [5, 5, true], [9, 6, true],
            [1, 2, false], [1, 3, false], [1, 6, false],
        ];
        for (const [count, zones, survives] of table) expect(survivesZoneLoss(count, zones), `${count} over ${zones}`).toBe(survives);
    });

    it("matches the placement: removing the fullest zone's members leaves a majority exactly when the rule says so", () => {
        fc.assert(
            fc.property(oddGroup, fc.integer({ min: 2, max: 6 }), (count, z) => {
                const placed = placeRole("master", count, parsed(zonesOf(z)));
                const worst = Math.max(...Array.from({ length: z }, (_, i) => placed.filter((p) => p.zone === i).length));
                expect(count - worst >= Math.floor(count / 2) + 1).toBe(survivesZoneLoss(count, z));
            }),
        );
    });
});

describe("plans of valid zoned stacks", () => {
    it("place every node in its zone's subnet, uniquely, and tell its zone and subnet", () => {
        const spreadable = fc.integer({ min: 1, max: 4 }).map((i) => 2 * i + 1);
        fc.assert(
            fc.property(
                fc.integer({ min: 3, max: 6 }).chain((z) => fc.shuffledSubarray([...LETTERS], { minLength: z, maxLength: z })),
                spreadable,
                spreadable,
                fc.integer({ min: 0, max: 60 }),
                (letters, masters, quorum, workers) => {
                    const zones = zonesOf(letters.length, letters.join(""));
                    const result = validateConfig(
                        withPatch(devRawConfig(), { network: { zones }, nodes: { master: { count: masters }, quorum: { count: quorum }, worker: { count: workers } } }),
                    );
                    expect(result.ok, result.ok ? "" : result.errors.join("\n")).toBe(true);
                    if (!result.ok) return;
                    const plan = planCluster(result.config);
                    expect(new Set(plan.nodes.map((n) => n.privateIp)).size).toBe(plan.nodes.length);
                    // Each node's zone, subnet and whether its address is inside, compared in one expect.
                    const told = plan.nodes.map((node) => [node.name, node.availabilityZone, node.subnetCidr, cidrContainsIp(parseCidr(node.subnetCidr)!, node.privateIp)]);
                    const expected = plan.nodes.map((node) => {
                        const zone = zones[(node.index - 1) % zones.length];
                        return [node.name, zone.name, node.role === "border" ? zone.publicSubnetCidr : zone.privateSubnetCidr, true];
                    });
                    expect(told).toEqual(expected);
                },
            ),
            { numRuns: 50 },
        );
    });

    it("the dev stack: master-1 stays 10.136.64.11, the others follow their zones", () => {
        const result = validateConfig(devRawConfig());
        if (!result.ok) throw new Error(result.errors.join("\n"));
        const rows = planCluster(result.config).nodes.map((n) => `${n.name} ${n.availabilityZone} ${n.subnetCidr} ${n.privateIp}`);
        expect(rows).toEqual([
            "border-1 eu-west-1a 10.136.0.0/24 10.136.0.11",
            "quorum-1 eu-west-1a 10.136.64.0/18 10.136.64.21",
            "quorum-2 eu-west-1b 10.136.128.0/18 10.136.128.21",
            "quorum-3 eu-west-1c 10.136.192.0/18 10.136.192.21",
            "master-1 eu-west-1a 10.136.64.0/18 10.136.64.11",
            "master-2 eu-west-1b 10.136.128.0/18 10.136.128.11",
            "master-3 eu-west-1c 10.136.192.0/18 10.136.192.11",
            "worker-1 eu-west-1a 10.136.64.0/18 10.136.64.101",
            "worker-2 eu-west-1b 10.136.128.0/18 10.136.128.101",
            "worker-3 eu-west-1c 10.136.192.0/18 10.136.192.101",
        ]);
    });

    it("the single-zone keys plan today's addresses, literally", () => {
        const result = validateConfig(singleZoneRawConfig());
        if (!result.ok) throw new Error(result.errors.join("\n"));
        const plan = planCluster(result.config);
        expect(plan.nodes.map((n) => `${n.name} ${n.availabilityZone} ${n.privateIp}`)).toEqual([
            "border-1 eu-west-1a 10.136.0.11",
            "quorum-1 eu-west-1a 10.136.64.21",
            "quorum-2 eu-west-1a 10.136.64.22",
            "quorum-3 eu-west-1a 10.136.64.23",
            "master-1 eu-west-1a 10.136.64.11",
            "master-2 eu-west-1a 10.136.64.12",
            "master-3 eu-west-1a 10.136.64.13",
            "worker-1 eu-west-1a 10.136.64.101",
            "worker-2 eu-west-1a 10.136.64.102",
            "worker-3 eu-west-1a 10.136.64.103",
        ]);
        expect(plan.infra).toEqual({
            natGateways: [{ zone: "eu-west-1a", ip: "10.136.0.5" }],
            dnsForwarder: [
                { zone: "eu-west-1a", ip: "10.136.64.5" },
                { zone: "eu-west-1a", ip: "10.136.64.6" },
            ],
        });
        expect(plan.exhibitorStaticEnsemble).toBe("1:10.136.64.11,2:10.136.64.12,3:10.136.64.13");
    });
});
