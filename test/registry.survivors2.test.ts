import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { validateConfig, type RawConfig } from "../components/config/validate";
import { planCluster, type ClusterPlan } from "../components/plan/clusterPlan";
import { evaluateProgram } from "../scripts/offline/mockEngine";
import { devRawConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";

// Issue 15, the registry run of 2026-11-22 (79.3% after test/registry.survivors.test.ts): the
// module-level patterns and names of images.ts (evaluated when the module loads, before
// StrykerJS activates a mutant, so each test here loads it afresh after vi.resetModules()),
// the pull counting per egress address with its counts written out, which roles pull through
// the cache, and the cache's own resources. Expected values are stated literally.

const images = async () => {
    vi.resetModules();
    return import("../components/registry/images.js");
};
const pulls = async () => {
    vi.resetModules();
    return import("../components/registry/pulls.js");
};

function planOf(raw: RawConfig): ClusterPlan {
    const result = validateConfig(raw);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return planCluster(result.config);
}
const withoutDockerHub = (raw: RawConfig): RawConfig => {
    const { dockerHub: _hub, ...rest } = raw;
    return rest;
};
/** Every Docker Hub image of the catalog moved to another registry. */
const OFF_HUB = Object.fromEntries(["mesosMaster", "mesosAgent", "marathon", "mesosDns", "marathonLb"].map((k) => [k, `registry.example.com/mirror/${k.toLowerCase()}:1`]));

describe("Docker Hub and the node's ECR registry, by name (images.ts loaded afresh)", () => {
    it("knows Docker Hub as docker.io, index.docker.io and registry-1.docker.io", async () => {
        const m = await images();
        expect(m.parseImage("redis:7")).toEqual({ registry: "docker.io", repository: "library/redis", reference: ":7" });
        expect(m.isDockerHubHost("docker.io")).toBe(true);
        expect(m.isDockerHubHost("index.docker.io")).toBe(true);
        expect(m.isDockerHubHost("registry-1.docker.io")).toBe(true);
        expect(m.isDockerHubHost("")).toBe(false);
        expect(m.isDockerHubHost("quay.io")).toBe(false);
    });

    it("writes a cached image as ${ECR_REGISTRY}/<prefix>/..., and labels the registry <account>.dkr.ecr.<region>.<suffix>", async () => {
        const m = await images();
        expect(m.ECR_REGISTRY_VAR).toBe("ECR_REGISTRY");
        expect(m.pullReference("docker.io/mesosphere/marathon:v1.11.24", { region: "eu-west-1", dockerHubCache: { prefix: "c-dockerhub" } })).toBe(
            "${ECR_REGISTRY}/c-dockerhub/mesosphere/marathon:v1.11.24",
        );
        expect(m.ECR_REGISTRY_LABEL("eu-west-1")).toBe("<account>.dkr.ecr.eu-west-1.amazonaws.com");
        expect(m.pullRegistry("redis:7", { region: "us-gov-west-1", dockerHubCache: { prefix: "c-dockerhub" } })).toBe("<account>.dkr.ecr.us-gov-west-1.amazonaws.com");
    });
});

describe("ECR registry hosts (images.ts loaded afresh)", () => {
    it.each([
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
        "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
        "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com:443",
    ])("takes %s", async (host) => {
        const m = await images();
        expect(m.registryHostProblem(host)).toBeUndefined();
    });

    it.each([
        ["1.dkr.ecr.eu-west-1.amazonaws.com", "1.dkr.ecr.eu-west-1.amazonaws.com"],
        ["mirror.123456789012.dkr.ecr.eu-west-1.amazonaws.com", "mirror.123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
        ["123456789012.dkr.ecr.eu-west-1.amazonaws.com.example.org", "123456789012.dkr.ecr.eu-west-1.amazonaws.com.example.org"],
        ["123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn.example.org:5000", "123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn.example.org"],
    ])("refuses %s as no ECR registry", async (host, shown) => {
        const m = await images();
        expect(m.registryHostProblem(host)).toBe(`its registry host ${shown} is not an ECR registry like 123456789012.dkr.ecr.eu-west-1.amazonaws.com`);
    });

    it("checks the host without its port", async () => {
        const m = await images();
        expect(m.registryHostProblem("999.1.1.1:5000")).toBe("its registry host 999.1.1.1 is neither an IPv4 address nor a DNS name");
        expect(m.registryHostProblem("10.1.2.3:5000")).toBeUndefined();
    });
});

describe("dotted numbers as registry hosts (images.ts loaded afresh)", () => {
    it.each([
        ["10.1.2.256", "its registry host 10.1.2.256 is neither an IPv4 address nor a DNS name"],
        ["172.16.0", "its registry host 172.16.0 is neither an IPv4 address nor a DNS name"],
        ["10.1.2.3", undefined],
        // A DNS name whose first or last label is a number is not a dotted number.
        ["1.registry.example.com", undefined],
        ["registry.example.1", undefined],
        ["registry-1.10.20", undefined],
    ])("%s", async (host, problem) => {
        const m = await images();
        expect(m.registryHostProblem(host)).toBe(problem);
    });
});

describe("ECR's repository prefix pattern (images.ts loaded afresh)", () => {
    it.each(["cell-1-dockerhub", "a", "my-team/app", "a.b_c/d-e/f", "x1/y2"])("takes %s", async (prefix) => {
        const m = await images();
        expect(m.ECR_PREFIX.test(prefix)).toBe(true);
    });

    it.each(["-cell", "cell-", "cell--1", "team/", "/app", "Cell", "a//b", "my-/app"])("refuses %s", async (prefix) => {
        const m = await images();
        expect(m.ECR_PREFIX.test(prefix)).toBe(false);
    });
});

describe("the cache prefix of a long cluster id", () => {
    it("keeps a - inside the shortened id, dropping only one at its end", async () => {
        const m = await images();
        const id = `ab-${"c".repeat(19)}`; // 22 characters: shortened to its first 20
        expect(m.dockerHubCachePrefix(id)).toMatch(/^ab-c{17}-[0-9a-f]{6}-dh$/);
    });
});

describe("first-boot pulls per egress address (pulls.ts loaded afresh)", () => {
    it("limits anonymous Docker Hub to 10 an hour per address and no other registry", async () => {
        const m = await pulls();
        expect(m.PER_ADDRESS_LIMITS).toEqual({ "docker.io": 10 });
    });

    it("states a limit only on the rows of a limited registry", async () => {
        const m = await pulls();
        // One zone, no credential, marathon-lb taken from Docker Hub anonymously: the border
        // pulls through its own address, every private node through the one NAT gateway.
        const plan = planOf(withoutDockerHub(withPatch(singleZoneRawConfig(), { images: { ...OFF_HUB, marathonLb: "docker.io/mesosphere/marathon-lb:v1.14.2" } })));
        expect(m.firstBootPulls(plan)).toStrictEqual([
            { natAddress: "10.136.0.11", via: "border-1", registry: "quay.io", pulls: 1 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "quay.io", pulls: 15 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "public.ecr.aws", pulls: 6 },
            // mesos-master, marathon and mesos-dns on 3 masters, the agent on 3 workers.
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "registry.example.com", pulls: 12 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "gcr.io", pulls: 6 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "docker.io", pulls: 3, limitPerHour: 10 },
        ]);
    });

    it("warns only above the limit, and says how many hours the pulls take", async () => {
        const m = await pulls();
        const row = (pulls: number) => ({ natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "docker.io", pulls, limitPerHour: 10 });
        expect(m.pullWarnings([row(9), row(10), { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "quay.io", pulls: 500 }])).toEqual([]);
        expect(m.pullWarnings([row(11), row(25)])).toEqual([
            "first boot pulls 11 images from docker.io through 10.136.0.5 (nat-gateway eu-west-1a), more than the 10 per hour it allows one address: about 2 hours before the last unit starts; set mesos-cluster:dockerHub to pull through the ECR cache",
            "first boot pulls 25 images from docker.io through 10.136.0.5 (nat-gateway eu-west-1a), more than the 10 per hour it allows one address: about 3 hours before the last unit starts; set mesos-cluster:dockerHub to pull through the ECR cache",
        ]);
    });
});

describe("the roles and images of the cache (pulls.ts loaded afresh)", () => {
    it("gives no role the cache without one", async () => {
        const m = await pulls();
        expect(m.cacheRoles(planOf(withoutDockerHub(withPatch(devRawConfig(), { images: OFF_HUB }))))).toEqual([]);
    });

    it("gives the workers the cache even when none of their own images goes through it", async () => {
        const m = await pulls();
        expect(m.cacheRoles(planOf(withPatch(devRawConfig(), { images: OFF_HUB })))).toEqual(["worker"]);
        expect(m.cacheRoles(planOf(withPatch(devRawConfig(), { vpn: { enabled: true }, images: OFF_HUB })))).toEqual(["border", "worker"]);
    });

    it("fetches upstream only the images of roles that have nodes", async () => {
        const m = await pulls();
        const plan = planOf(withPatch(devRawConfig(), { vpn: { enabled: true } }));
        expect(m.cacheUpstreamImages(plan)).toEqual([
            "docker.io/jippi/pritunl:1.32.3697.80",
            "docker.io/mesosphere/mesos-master:1.7.0",
            "docker.io/mesosphere/marathon:v1.11.24",
            "docker.io/mesosphere/mesos-dns:v0.6.0",
            "docker.io/mesosphere/mesos-slave:1.7.0",
            "docker.io/mesosphere/marathon-lb:v1.14.1",
        ]);
        const noBorder = { ...plan, nodes: plan.nodes.filter((node) => node.role !== "border") };
        expect(m.cacheUpstreamImages(noBorder)).toEqual([
            "docker.io/mesosphere/mesos-master:1.7.0",
            "docker.io/mesosphere/marathon:v1.11.24",
            "docker.io/mesosphere/mesos-dns:v0.6.0",
            "docker.io/mesosphere/mesos-slave:1.7.0",
            "docker.io/mesosphere/marathon-lb:v1.14.1",
        ]);
    });
});

describe("the cache's resources, built on their own under mocks", () => {
    it("parents its secret and rule to the component and describes the secret by prefix and cluster", async () => {
        vi.resetModules();
        const evaluation = await evaluateProgram({
            config: {},
            load: async () => {
                const { DockerHubCache } = await import("../components/registry/dockerHubCache.js");
                new DockerHubCache("c9-hub", {
                    prefix: "c9-dockerhub",
                    credentials: pulumi.secret({ username: "someone", accessToken: "dckr_pat_x" }),
                    tags: { Cluster: "c9" },
                });
                return {};
            },
        });
        const component = evaluation.resources.find((r) => r.type === "mesos-cluster:registry:DockerHubCache")!;
        expect(component.name).toBe("c9-hub");
        const children = evaluation.resources.filter((r) => r !== component);
        expect(children.map((r) => [r.type, r.name, r.parent])).toEqual([
            ["aws:secretsmanager/secret:Secret", "c9-hub-credential", component.urn],
            ["aws:secretsmanager/secretVersion:SecretVersion", "c9-hub-credential", component.urn],
            ["aws:ecr/pullThroughCacheRule:PullThroughCacheRule", "c9-hub", component.urn],
        ]);
        expect(children[0]!.inputs).toMatchObject({
            namePrefix: "ecr-pullthroughcache/c9-dockerhub-",
            description: "Docker Hub credential of the ECR pull-through cache c9-dockerhub (c9)",
            tags: { Cluster: "c9" },
        });
    });
});
