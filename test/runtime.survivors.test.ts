import { describe, expect, it } from "vitest";
import { outputsWhenBuilt } from "../components/runtime/batches";
import { evaluateProgram } from "../scripts/offline/mockEngine";

// Issue 15, the runtime run of 2026-11-22 (96.0%): what a failed build registers, and that a
// lean resource holds no Output for an input the caller left unset.

describe("outputsWhenBuilt", () => {
    it("registers the outputs of a finished build, and none (an empty object, no rejection) for a failed one", async () => {
        await expect(outputsWhenBuilt(Promise.resolve(3), (n) => ({ count: n }))).resolves.toEqual({ count: 3 });
        await expect(outputsWhenBuilt(Promise.reject(new Error("no border-1")), () => ({ count: 1 }))).resolves.toStrictEqual({});
    });
});

describe("lean resources", () => {
    it("hold an Output for each input set, and none for one left unset", async () => {
        const held: Record<string, boolean> = {};
        const evaluation = await evaluateProgram({
            config: {},
            load: async () => {
                const { LeanInstance, LeanDnsRecord } = await import("../components/runtime/leanResources.js");
                const instance = new LeanInstance("n-1", { ami: "ami-1", instanceType: "t3.micro", userData: undefined, keyName: undefined });
                const record = new LeanDnsRecord("n-1-dns", { zoneId: "Z1", name: "n-1.c9.internal", type: "A", ttl: undefined, records: ["10.9.64.10"] });
                Object.assign(held, {
                    ami: "ami" in instance,
                    instanceType: "instanceType" in instance,
                    userData: "userData" in instance,
                    keyName: "keyName" in instance,
                    zoneId: "zoneId" in record,
                    ttl: "ttl" in record,
                });
                return {};
            },
        });
        expect(held).toEqual({ ami: true, instanceType: true, userData: false, keyName: false, zoneId: true, ttl: false });
        expect(evaluation.resources.map((r) => [r.name, r.inputs])).toEqual([
            ["n-1", { ami: "ami-1", instanceType: "t3.micro" }],
            ["n-1-dns", { zoneId: "Z1", name: "n-1.c9.internal", type: "A", records: ["10.9.64.10"] }],
        ]);
    });
});
