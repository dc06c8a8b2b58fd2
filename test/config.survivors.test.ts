import { describe, expect, it } from "vitest";
import { rawFromStackConfig } from "../components/config/load";
import { ConfigError, configKey, show, validateConfig } from "../components/config/validate";
import { devRawConfig, withPatch } from "./helpers/devConfig";

// Issue 15: tests written against mutants StrykerJS left alive in components/config/ in the
// baseline run, on lines the code still has. Expected values are written out.

const domainErrors = (domain: string, workers = 3): string[] => {
    const result = validateConfig(withPatch(devRawConfig(), { domain, nodes: { worker: { count: workers } } }));
    return result.ok ? [] : result.errors.filter((e) => e.startsWith("mesos-cluster:domain:"));
};

describe("error texts", () => {
    it("ConfigError prefixes each line with error: and keeps lines and warnings", () => {
        const error = new ConfigError(["a: bad", "b: worse"], ["c: odd"]);
        expect(error.message).toBe("error: a: bad\nerror: b: worse");
        expect(error.name).toBe("ConfigError");
        expect(error.lines).toEqual(["a: bad", "b: worse"]);
        expect(error.warnings).toEqual(["c: odd"]);
        expect(new ConfigError(["x"]).warnings).toEqual([]);
    });

    it("configKey names region under aws: and indexes lists with brackets", () => {
        expect(configKey(["region"])).toBe("aws:region");
        expect(configKey(["regions"])).toBe("mesos-cluster:regions");
        expect(configKey(["nodes", "worker", "count"])).toBe("mesos-cluster:nodes.worker.count");
        expect(configKey(["network", "zones", 1, "name"])).toBe("mesos-cluster:network.zones[1].name");
        expect(configKey(["ips", "12"])).toBe("mesos-cluster:ips[12]");
        expect(configKey(["a", "1x", "x1"])).toBe("mesos-cluster:a.1x.x1");
    });

    it("show writes JSON, undefined by name, and cuts what is longer than 80 characters", () => {
        expect(show(undefined)).toBe("undefined");
        expect(show("x")).toBe('"x"');
        expect(show(null)).toBe("null");
        const eighty = "a".repeat(78); // 80 characters with its quotes
        expect(show(eighty)).toBe(`"${eighty}"`);
        expect(show(`${eighty}b`)).toBe(`"${"a".repeat(76)}...`);
        expect(show(`${eighty}b`)).toHaveLength(80);
    });
});

describe("the cluster domain", () => {
    it("needs two or more lower-case DNS labels of 1-63 characters", () => {
        const refused = (domain: string) => [`mesos-cluster:domain: ${JSON.stringify(domain)} is not a lower-case DNS domain like cell-1.dc-1.demo.lan`];
        expect(domainErrors("cell-1")).toEqual(refused("cell-1"));
        expect(domainErrors("a.lan")).toEqual([]);
        expect(domainErrors(`${"a".repeat(63)}.lan`)).toEqual([]);
        expect(domainErrors(`${"a".repeat(64)}.lan`)).toEqual(refused(`${"a".repeat(64)}.lan`));
        expect(domainErrors("-a.lan")).toEqual(refused("-a.lan"));
        expect(domainErrors("a-.lan")).toEqual(refused("a-.lan"));
        expect(domainErrors("a.lan-")).toEqual(refused("a.lan-"));
        expect(domainErrors("x.Cell.lan")).toEqual(refused("x.Cell.lan"));
        expect(domainErrors("a..lan")).toEqual(refused("a..lan"));
    });

    it("keeps the longest node name (the last worker's) within 253 characters", () => {
        /** A valid domain of exactly `length` characters: three 63-character labels and a last one. */
        const domainOf = (length: number) => `${["a", "b", "c"].map((c) => c.repeat(63)).join(".")}.${"d".repeat(length - 192)}`;
        expect(domainOf(243)).toHaveLength(243);
        const tooLong = (domain: string) => [`mesos-cluster:domain: ${show(domain)} makes node names longer than 253 characters`];
        // "worker-10." and 243 characters make 253 exactly; one more is too long.
        expect(domainErrors(domainOf(243), 10)).toEqual([]);
        expect(domainErrors(domainOf(244), 10)).toEqual(tooLong(domainOf(244)));
        // With 9 workers the longest name is one character shorter.
        expect(domainErrors(domainOf(244), 9)).toEqual([]);
        // No workers: the name a first worker would get still counts.
        expect(domainErrors(domainOf(244), 0)).toEqual([]);
        expect(domainErrors(domainOf(245), 0)).toEqual(tooLong(domainOf(245)));
    });
});

describe("stack config values as the engine hands them over", () => {
    it("parses JSON objects, lists, numbers, booleans and null; keeps every other string as written", () => {
        const raw = rawFromStackConfig({
            "aws:region": "eu-central-1",
            "aws:profile": "ops",
            "mesos-cluster:region": "us-east-1",
            "other:key": "v",
            "mesos-cluster:obj": '{"worker":{"count":2}}',
            "mesos-cluster:list": "  [1, 2]",
            "mesos-cluster:int": "12",
            "mesos-cluster:negative": "-1.5",
            "mesos-cluster:decimal": "1.25",
            "mesos-cluster:yes": "true",
            "mesos-cluster:no": "false",
            "mesos-cluster:nothing": "null",
            "mesos-cluster:leadingSpace": " 5",
            "mesos-cluster:trailingSpace": "5 ",
            "mesos-cluster:exponent": "1e5",
            "mesos-cluster:quoted": '"x"',
            "mesos-cluster:version": "1.2.3",
            "mesos-cluster:dot": "5.",
            "mesos-cluster:broken": "[not json",
            "mesos-cluster:word": "cell-1",
        });
        expect(raw).toEqual({
            region: "eu-central-1",
            obj: { worker: { count: 2 } },
            list: [1, 2],
            int: 12,
            negative: -1.5,
            decimal: 1.25,
            yes: true,
            no: false,
            nothing: null,
            leadingSpace: " 5",
            trailingSpace: "5 ",
            exponent: "1e5",
            quoted: '"x"',
            version: "1.2.3",
            dot: "5.",
            broken: "[not json",
            word: "cell-1",
        });
    });
});
