import { beforeEach, describe, expect, it } from "vitest";
import { ClusterConfig } from "../components/config/schema";
import { validateConfig } from "../components/config/validate";
import { nodesOfRole, planCluster } from "../components/plan/clusterPlan";
import { parseNodeName } from "../components/plan/names";
import { configZones, nodesInZone } from "../components/plan/zones";
import { devRawConfig, withPatch } from "./helpers/devConfig";

// Issue 15, the plan run of 2026-11-22 (`npm run mutate -- plan`): what the pure planning
// tests left unchecked in clusterPlan.ts, zones.ts, ipPlan.ts and names.ts. Expected values are
// written out, from the dev stack (Pulumi.dev.yaml) and the single-zone form.

function validated(patch: Record<string, unknown> = {}): ClusterConfig {
    const result = validateConfig(withPatch(devRawConfig(), patch));
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return result.config;
}

/** The single-zone form: today's keys, with network.zones removed. */
function singleZone(network: Record<string, unknown>): ClusterConfig {
    const raw = devRawConfig() as Record<string, any>;
    raw.network = { vpcCidr: "10.136.0.0/16", natGateways: "perZone", ...network };
    const result = validateConfig(raw);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return result.config;
}

// Plans are made inside each test, never while the file is collected: a mutant is active only
// from the test run's hooks on (StrykerJS activates it in a beforeAll), so a plan made in a
// describe body would be the unmutated one.
describe("the dev stack's plan, field by field", () => {
    let plan: ReturnType<typeof planCluster>;
    beforeEach(() => {
        plan = planCluster(validated());
    });

    it("carries the three zones with their subnets, and the ZooKeeper and etcd strings the units take", () => {
        expect(plan.network).toEqual({
            vpcCidr: "10.136.0.0/16",
            zones: [
                { name: "eu-west-1a", publicSubnetCidr: "10.136.0.0/24", privateSubnetCidr: "10.136.64.0/18" },
                { name: "eu-west-1b", publicSubnetCidr: "10.136.1.0/24", privateSubnetCidr: "10.136.128.0/18" },
                { name: "eu-west-1c", publicSubnetCidr: "10.136.2.0/24", privateSubnetCidr: "10.136.192.0/18" },
            ],
            natGateways: "perZone",
        });
        expect(plan.mesosZk).toBe("zk://10.136.64.11:2181,10.136.128.11:2181,10.136.192.11:2181/mesos");
        expect(plan.marathonZk).toBe("zk://10.136.64.11:2181,10.136.128.11:2181,10.136.192.11:2181/marathon");
        expect(plan.etcdInitialCluster).toBe(
            "quorum-1=https://10.136.64.21:2380,quorum-2=https://10.136.128.21:2380,quorum-3=https://10.136.192.21:2380",
        );
        expect(plan.mesosQuorum).toBe(2);
        expect(plan.exhibitorStaticEnsemble).toBe("1:10.136.128.11,2:10.136.192.11,3:10.136.64.11");
    });

    it("names the Docker Hub cache's ECR prefix only when a Docker Hub credential is configured", () => {
        expect(plan.registry).toEqual({ region: "eu-west-1", dockerHubCache: { prefix: "cell-1-dockerhub" } });
        // Validation requires the credential while an image still comes through the cache;
        // planning alone only asks whether one is there.
        const withoutHub = planCluster({ ...validated(), dockerHub: undefined });
        expect(withoutHub.registry).toEqual({ region: "eu-west-1" });
    });

    it("puts the DNS forwarder's two addresses in the first two zones, .5 of each private subnet", () => {
        expect(plan.infra.dnsForwarder).toEqual([
            { zone: "eu-west-1a", ip: "10.136.64.5" },
            { zone: "eu-west-1b", ip: "10.136.128.5" },
        ]);
        expect(plan.infra.natGateways).toEqual([
            { zone: "eu-west-1a", ip: "10.136.0.5" },
            { zone: "eu-west-1b", ip: "10.136.1.5" },
            { zone: "eu-west-1c", ip: "10.136.2.5" },
        ]);
    });

    it("refuses a config whose subnets are not CIDRs, public or private alone (validation is bypassed here)", () => {
        const good = validated();
        const zones = good.network.zones!;
        const badPublic = { ...good, network: { ...good.network, zones: [{ ...zones[0], publicSubnetCidr: "10.136.0.0" }, ...zones.slice(1)] } };
        const badPrivate = { ...good, network: { ...good.network, zones: [zones[0], { ...zones[1], privateSubnetCidr: "not-a-cidr" }, zones[2]] } };
        expect(() => planCluster(badPublic)).toThrow("planCluster needs validated config: zone eu-west-1a has a subnet that is not a CIDR");
        expect(() => planCluster(badPrivate)).toThrow("planCluster needs validated config: zone eu-west-1b has a subnet that is not a CIDR");
    });
});

describe("zones of the single-zone form", () => {
    it("defaults the zone to the region's a and the subnets to the documented defaults", () => {
        const config = singleZone({});
        expect(configZones(config.network, "eu-west-1")).toEqual([
            {
                name: "eu-west-1a",
                publicSubnetCidr: "10.136.0.0/24",
                privateSubnetCidr: "10.136.64.0/18",
                keys: { name: ["network", "availabilityZone"], publicSubnetCidr: ["network", "publicSubnetCidr"], privateSubnetCidr: ["network", "privateSubnetCidr"] },
            },
        ]);
        expect(configZones(config.network, "us-east-2")[0]!.name).toBe("us-east-2a");
    });

    it("takes the zone and both subnets as given", () => {
        const config = singleZone({ availabilityZone: "eu-west-1c", publicSubnetCidr: "10.136.3.0/24", privateSubnetCidr: "10.136.128.0/18" });
        const [zone] = configZones(config.network, "eu-west-1");
        expect(zone).toMatchObject({ name: "eu-west-1c", publicSubnetCidr: "10.136.3.0/24", privateSubnetCidr: "10.136.128.0/18" });
        const plan = planCluster(config);
        expect(plan.nodes.find((n) => n.name === "master-1")).toMatchObject({ availabilityZone: "eu-west-1c", privateIp: "10.136.128.11", subnetCidr: "10.136.128.0/18" });
        expect(plan.infra.dnsForwarder).toEqual([
            { zone: "eu-west-1c", ip: "10.136.128.5" },
            { zone: "eu-west-1c", ip: "10.136.128.6" },
        ]);
    });

    it("names each listed zone's keys by its index, for error lines", () => {
        const [, second] = configZones(validated().network, "eu-west-1");
        expect(second!.keys).toEqual({
            name: ["network", "zones", 1, "name"],
            publicSubnetCidr: ["network", "zones", 1, "publicSubnetCidr"],
            privateSubnetCidr: ["network", "zones", 1, "privateSubnetCidr"],
        });
    });
});

describe("placement counts", () => {
    it("lists a role's nodes in order, and counts a zone's share down to none", () => {
        const plan = planCluster(validated());
        expect(nodesOfRole(plan, "quorum").map((n) => n.name)).toEqual(["quorum-1", "quorum-2", "quorum-3"]);
        expect(nodesOfRole(plan, "border").map((n) => n.name)).toEqual(["border-1"]);
        // 2 nodes over 3 zones: zones a and b hold one each, zone c none; 0 nodes: none anywhere.
        expect([0, 1, 2].map((zone) => nodesInZone(2, 3, zone))).toEqual([1, 1, 0]);
        expect([0, 1, 2].map((zone) => nodesInZone(0, 3, zone))).toEqual([0, 0, 0]);
        expect([0, 1, 2].map((zone) => nodesInZone(7, 3, zone))).toEqual([3, 2, 2]);
    });
});

describe("node names typed by an operator", () => {
    it.each([
        ["master-1", { role: "master", index: 1 }],
        ["worker-10", { role: "worker", index: 10 }],
        ["xmaster-1", undefined],
        ["master-1x", undefined],
        ["master-01", undefined],
        ["master-0", undefined],
        ["Master-1", undefined],
    ])("%s", (name, expected) => {
        expect(parseNodeName(name)).toEqual(expected);
    });
});
