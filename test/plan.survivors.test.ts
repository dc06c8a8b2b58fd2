import { describe, expect, it } from "vitest";
import { exhibitorStaticEnsemble, exhibitorStaticEnsembleMembers } from "../components/plan/ensemble";
import { cidrContainsCidr, cidrContainsIp, cidrsOverlap, isIpv4, parseCidr } from "../components/plan/ipv4";
import { failureTolerance, mesosQuorum } from "../components/plan/quorum";

// Issue 15: tests written against mutants StrykerJS left alive in components/plan/ in the
// baseline run (quorum.ts, ensemble.ts and ipv4.ts have not changed since). Values written out.

const cidr = (text: string) => {
    const parsed = parseCidr(text);
    if (!parsed) throw new Error(`not a CIDR: ${text}`);
    return parsed;
};

describe("mesosQuorum", () => {
    it("is a strict majority, and refuses counts that are not positive whole numbers", () => {
        expect([1, 2, 3, 4, 5, 9].map(mesosQuorum)).toEqual([1, 2, 2, 3, 3, 5]);
        expect([1, 3, 5].map(failureTolerance)).toEqual([0, 1, 2]);
        expect(() => mesosQuorum(0)).toThrow(new RangeError("master count must be a positive integer, got 0"));
        expect(() => mesosQuorum(-3)).toThrow(RangeError);
        // Not whole, but at least 1: only the integer check stops it.
        expect(() => mesosQuorum(2.5)).toThrow("master count must be a positive integer, got 2.5");
        expect(() => mesosQuorum(Number.NaN)).toThrow(RangeError);
    });
});

describe("the static ensemble", () => {
    it("sorts the masters' IPs as strings, whatever order they come in, ids 1..n", () => {
        const expected = "1:10.0.0.10,2:10.0.0.11,3:10.0.0.9";
        expect(exhibitorStaticEnsemble(["10.0.0.9", "10.0.0.10", "10.0.0.11"])).toBe(expected);
        expect(exhibitorStaticEnsemble(["10.0.0.11", "10.0.0.9", "10.0.0.10"])).toBe(expected);
        expect(exhibitorStaticEnsemble(["10.0.0.10", "10.0.0.11", "10.0.0.9"])).toBe(expected);
        expect(exhibitorStaticEnsembleMembers(["10.1.0.2", "10.1.0.1", "10.1.0.2"])).toEqual([
            { id: 1, ip: "10.1.0.1" },
            { id: 2, ip: "10.1.0.2" },
            { id: 3, ip: "10.1.0.2" },
        ]);
    });
});

describe("IPv4 and CIDR arithmetic", () => {
    it("takes only a whole dotted quad", () => {
        expect(isIpv4("10.0.0.1")).toBe(true);
        expect(isIpv4("x10.0.0.1")).toBe(false);
        expect(isIpv4("10.0.0.1x")).toBe(false);
        expect(isIpv4("10.0.0.1.5")).toBe(false);
        expect(isIpv4("1.10.0.0.1")).toBe(false);
        expect(isIpv4("10.1")).toBe(false);
        expect(isIpv4("0x0a.0.0.1")).toBe(false);
        expect(isIpv4("10.0.0.256")).toBe(false);
    });

    it("parses a.b.c.d/n only, with a one- or two-digit prefix up to 32 and no host bits", () => {
        expect(parseCidr("10.0.0.0/8")).toEqual({ text: "10.0.0.0/8", network: 0x0a000000, prefix: 8, size: 2 ** 24 });
        expect(parseCidr("10.0.0.1/32")).toEqual({ text: "10.0.0.1/32", network: 0x0a000001, prefix: 32, size: 1 });
        expect(parseCidr("0.0.0.0/0")).toEqual({ text: "0.0.0.0/0", network: 0, prefix: 0, size: 2 ** 32 });
        for (const bad of ["10.0.0.0", "10.0.0.0/8/8", "10.0.0.0/", "10.0.0.0/x8", "10.0.0.0/8x", "10.0.0.0/008", "10.0.0.0/33", "10.0.0.0/99", "10.0.0.1/24", "10.0.0/24"]) {
            expect(parseCidr(bad), bad).toBeUndefined();
        }
    });

    it("contains an address from the network address up to the broadcast address, not past it", () => {
        const subnet = cidr("10.0.1.0/24");
        expect(cidrContainsIp(subnet, "10.0.1.0")).toBe(true);
        expect(cidrContainsIp(subnet, "10.0.1.255")).toBe(true);
        expect(cidrContainsIp(subnet, "10.0.2.0")).toBe(false);
        expect(cidrContainsIp(subnet, "10.0.0.255")).toBe(false);
    });

    it("contains a subnet that ends where it ends, and none that runs past it", () => {
        const vpc = cidr("10.0.0.0/16");
        expect(cidrContainsCidr(vpc, cidr("10.0.255.0/24"))).toBe(true);
        expect(cidrContainsCidr(vpc, cidr("10.0.0.0/16"))).toBe(true);
        expect(cidrContainsCidr(cidr("10.0.0.0/24"), cidr("10.0.0.0/23"))).toBe(false);
        expect(cidrContainsCidr(cidr("10.0.1.0/24"), cidr("10.0.0.0/24"))).toBe(false);
    });

    it("sees overlap only where the ranges share an address (adjacent ones do not)", () => {
        expect(cidrsOverlap(cidr("10.0.0.0/24"), cidr("10.0.1.0/24"))).toBe(false);
        expect(cidrsOverlap(cidr("10.0.1.0/24"), cidr("10.0.0.0/24"))).toBe(false);
        expect(cidrsOverlap(cidr("10.0.0.0/23"), cidr("10.0.1.0/24"))).toBe(true);
        expect(cidrsOverlap(cidr("10.0.1.0/24"), cidr("10.0.0.0/23"))).toBe(true);
        expect(cidrsOverlap(cidr("10.0.0.0/24"), cidr("10.0.0.0/24"))).toBe(true);
    });
});
