import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { exhibitorEnvFile, exhibitorStaticEnsemble, exhibitorStaticEnsembleMembers } from "../components/plan/ensemble";
import { cidrContainsIp, intToIp, ipToInt, isAwsReserved, parseCidr } from "../components/plan/ipv4";
import { DEFAULT_OFFSETS, plannedIp, roleIps } from "../components/plan/ipPlan";
import { ROLES } from "../components/catalog/roles";
import { nodeFqdn, nodeName, parseNodeName } from "../components/plan/names";
import { failureTolerance, mesosQuorum } from "../components/plan/quorum";
import { devRawConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join("."));
const role = fc.constantFrom(...ROLES);
/** An allowed master or quorum count: odd, 1 to 9. */
const oddGroup = fc.integer({ min: 0, max: 4 }).map((i) => 2 * i + 1);

describe("names", () => {
    it("role-N round-trips and the FQDN is the name under the domain", () => {
        fc.assert(
            fc.property(role, fc.integer({ min: 1, max: 5000 }), (r, i) => {
                const name = nodeName(r, i);
                expect(name).toBe(`${r}-${i}`);
                expect(parseNodeName(name)).toEqual({ role: r, index: i });
                expect(nodeFqdn(name, "cell-1.dc-1.demo.lan")).toBe(`${r}-${i}.cell-1.dc-1.demo.lan`);
            }),
        );
    });

    it("refuses names that are not role-N", () => {
        for (const bad of ["master", "master-0", "master-01", "leader-1", "master-1 ", "MASTER-1"]) {
            expect(parseNodeName(bad), bad).toBeUndefined();
        }
    });
});

describe("Mesos quorum", () => {
    it("is floor(n/2)+1: a strict majority, tolerating (n-1)/2 failures for odd n", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 1001 }), (n) => {
                const q = mesosQuorum(n);
                expect(q).toBe(Math.floor(n / 2) + 1);
                expect(2 * q).toBeGreaterThan(n); // two quorums always intersect
                expect(q).toBeLessThanOrEqual(n);
                if (n % 2 === 1) expect(failureTolerance(n)).toBe((n - 1) / 2);
            }),
        );
    });

    it("matches seed 002's table", () => {
        expect([1, 3, 5, 7, 9].map(mesosQuorum)).toEqual([1, 2, 3, 4, 5]);
        expect([1, 3, 5].map(failureTolerance)).toEqual([0, 1, 2]);
    });
});

describe("Exhibitor static ensemble", () => {
    // calculate_exhibitor_static_ensemble, transcribed: masters.sort(); '%d:%s' % (i + 1, m)
    const reference = (ips: string[]) => {
        const masters = [...ips];
        masters.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return masters.map((m, i) => `${i + 1}:${m}`).join(",");
    };

    it("sorts IPs as strings and numbers them 1..n, whatever the input order", () => {
        fc.assert(
            fc.property(fc.uniqueArray(ipv4, { minLength: 1, maxLength: 9 }), (ips) => {
                const ensemble = exhibitorStaticEnsemble(ips);
                expect(ensemble).toBe(reference(ips));
                expect(exhibitorStaticEnsemble([...ips].reverse())).toBe(ensemble);
                const members = exhibitorStaticEnsembleMembers(ips);
                expect(members.map((m) => m.id)).toEqual(ips.map((_, i) => i + 1));
                expect(new Set(members.map((m) => m.ip))).toEqual(new Set(ips));
                for (let i = 1; i < members.length; i++) expect(members[i - 1].ip < members[i].ip).toBe(true);
            }),
        );
    });

    it("reproduces seed 001's lexicographic order, not numeric order", () => {
        const masters = ["10.10.0.193", "10.10.0.122", "10.10.0.203", "10.10.0.104", "10.10.0.169"];
        expect(exhibitorStaticEnsemble(masters)).toBe("1:10.10.0.104,2:10.10.0.122,3:10.10.0.169,4:10.10.0.193,5:10.10.0.203");
        expect(exhibitorStaticEnsemble(["10.0.0.9", "10.0.0.10", "10.0.0.100"])).toBe("1:10.0.0.10,2:10.0.0.100,3:10.0.0.9");
        expect(exhibitorEnvFile(["10.136.64.12", "10.136.64.11"])).toBe(
            "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.136.64.11,2:10.136.64.12\n",
        );
    });
});

describe("IPv4 arithmetic", () => {
    it("int <-> dotted quad round-trips", () => {
        fc.assert(fc.property(ipv4, (ip) => {
            expect(intToIp(ipToInt(ip))).toBe(ip);
        }));
    });

    it("reserves exactly the first four and the last address of a subnet", () => {
        fc.assert(
            fc.property(fc.integer({ min: 16, max: 28 }), fc.nat(), (prefix, seed) => {
                const size = 2 ** (32 - prefix);
                const network = ((10 << 24) >>> 0) + (seed % (2 ** 24 / size)) * size;
                const cidr = parseCidr(`${intToIp(network)}/${prefix}`)!;
                expect(cidr).toBeDefined();
                const reserved = [0, 1, 2, 3, size - 1].map((o) => intToIp(network + o));
                for (const ip of reserved) expect(isAwsReserved(cidr, ip), ip).toBe(true);
                expect(isAwsReserved(cidr, intToIp(network + 4))).toBe(false);
                expect(isAwsReserved(cidr, intToIp(network + size - 2))).toBe(false);
            }),
        );
    });
});

describe("fixed-IP plan", () => {
    it("puts master-1 at 10.136.64.11 and border-1 at 10.136.0.11 by default (seed 000)", () => {
        const priv = parseCidr("10.136.64.0/18")!;
        expect(plannedIp("master", 1, priv)).toBe("10.136.64.11");
        expect(plannedIp("border", 1, parseCidr("10.136.0.0/24")!)).toBe("10.136.0.11");
    });

    it("default addresses are inside the subnet, unique across roles and never AWS-reserved", () => {
        fc.assert(
            fc.property(
                oddGroup,
                oddGroup,
                fc.integer({ min: 0, max: 2000 }),
                (masters, quorum, workers) => {
                    const priv = parseCidr("10.136.64.0/18")!;
                    const ips = [
                        ...roleIps("master", masters, priv),
                        ...roleIps("quorum", quorum, priv),
                        ...roleIps("worker", workers, priv),
                    ];
                    expect(new Set(ips).size).toBe(ips.length);
                    // Every address outside the subnet or reserved, named, in one expect per run
                    // (two expects per address, up to 2,000 a run, took seconds of CPU).
                    expect(ips.filter((ip) => !cidrContainsIp(priv, ip) || isAwsReserved(priv, ip))).toEqual([]);
                },
            ),
        );
    });

    it("explicit ips win over the offsets", () => {
        fc.assert(
            fc.property(fc.uniqueArray(fc.integer({ min: 4, max: 16000 }), { minLength: 3, maxLength: 3 }), (offsets) => {
                const priv = parseCidr("10.136.64.0/18")!;
                const ips = offsets.map((o) => intToIp(priv.network + o));
                expect(roleIps("master", 3, priv, ips)).toEqual(ips);
            }),
        );
    });

    it("every valid stack plans unique addresses, one node per count, and the DC/OS ensemble of its masters", () => {
        // The dev stack in three zones (where 1 master or quorum node is refused: it cannot
        // survive its zone) and in one zone (every odd count).
        const spreadable = fc.integer({ min: 1, max: 4 }).map((i) => 2 * i + 1);
        const cases = fc.oneof(
            fc.record({ base: fc.constant(devRawConfig()), masters: spreadable, quorum: spreadable }),
            fc.record({ base: fc.constant(singleZoneRawConfig()), masters: oddGroup, quorum: oddGroup }),
        );
        fc.assert(
            fc.property(
                cases,
                fc.integer({ min: 0, max: 60 }),
                ({ base, masters, quorum }, workers) => {
                    const result = validateConfig(withPatch(base, { nodes: { master: { count: masters }, quorum: { count: quorum }, worker: { count: workers } } }));
                    expect(result.ok).toBe(true);
                    if (!result.ok) return;
                    const plan = planCluster(result.config);
                    expect(plan.nodes).toHaveLength(1 + masters + quorum + workers);
                    expect(new Set(plan.nodes.map((n) => n.privateIp)).size).toBe(plan.nodes.length);
                    expect(new Set(plan.nodes.map((n) => n.name)).size).toBe(plan.nodes.length);
                    const masterIps = plan.nodes.filter((n) => n.role === "master").map((n) => n.privateIp);
                    expect(plan.exhibitorStaticEnsemble).toBe(exhibitorStaticEnsemble(masterIps));
                    expect(plan.mesosQuorum).toBe(Math.floor(masters / 2) + 1);
                    expect(plan.mesosZk).toBe(`zk://${masterIps.map((ip) => `${ip}:2181`).join(",")}/mesos`);
                },
            ),
            { numRuns: 50 },
        );
    });

    it("keeps the role ranges disjoint for every allowed count", () => {
        expect(DEFAULT_OFFSETS.master + 9).toBeLessThan(DEFAULT_OFFSETS.quorum + 1);
        expect(DEFAULT_OFFSETS.quorum + 9).toBeLessThan(DEFAULT_OFFSETS.worker + 1);
    });
});
