import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { validateConfig, type RawConfig } from "../components/config/validate";
import { planCluster, type ClusterPlan } from "../components/plan/clusterPlan";
import { renderAllUserData } from "../components/userdata/userData";
import { evaluateProgram, type Evaluation } from "../scripts/offline/mockEngine";
import { devRawConfig, devStackConfig, withPatch } from "./helpers/devConfig";
import { byName, ofType } from "./helpers/evaluate";
import { componentOutputs } from "./helpers/builtAlone";

// Issue 15, the run over components/cluster.ts of 2026-11-22 (65.1% against the program-level
// files): what the composition passes on, stated literally. The dev stack, a stack with no
// worker, and MesosCluster built directly for the cases index.ts never produces (a planned cache
// without its credential, a credential without a planned cache, a plan without border-1).
// Evaluated in beforeAll hooks, where StrykerJS's mutant is already active.

/** Every provider function the program calls, with its arguments. */
const invokes: { token: string; args: Record<string, unknown> }[] = [];
const invoke = MockMonitor.prototype.invoke;
MockMonitor.prototype.invoke = function (this: MockMonitor, req: any, callback: (err: any, res: any) => void) {
    invokes.push({ token: req.getTok(), args: pulumi.runtime.deserializeProperties(req.getArgs()) });
    return invoke.call(this, req, callback);
};

const CLUSTER = "urn:pulumi:dev::mesos-cluster::mesos-cluster:index:MesosCluster::cell-1";
const TAGS = { Cluster: "cell-1", ManagedBy: "pulumi:mesos-cluster" };

function planOf(raw: RawConfig): ClusterPlan {
    const result = validateConfig(raw);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return planCluster(result.config);
}

/** MesosCluster.create called directly; what it threw, if anything, and what it registered. */
async function buildDirectly(plan: ClusterPlan, dockerHub: boolean, dropBorder = false): Promise<{ error: unknown; evaluation: Evaluation }> {
    let error: unknown;
    const evaluation = await evaluateProgram({
        config: {},
        load: async () => {
            const { MesosCluster } = await import("../components/cluster.js");
            const rendered = renderAllUserData(plan);
            const bundles = new Map([...rendered.bundles].filter(([role]) => !dropBorder || role !== "border"));
            const built = dropBorder ? { ...plan, nodes: plan.nodes.filter((n) => n.role !== "border") } : plan;
            try {
                await MesosCluster.create("c9", {
                    plan: built,
                    userData: rendered.userData,
                    bundles,
                    sshPrivateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----"),
                    dockerHub: dockerHub ? pulumi.secret({ username: "someone", accessToken: "dckr_pat_x" }) : undefined,
                    rebuild: new Set(),
                });
            } catch (err) {
                error = err;
            }
            return {};
        },
    });
    return { error, evaluation };
}

/**
 * The dev stack (keys of `config` laid over it) evaluated here, never one shared with another
 * file (test/helpers/evaluate.ts): the invokes and outputs above are recorded while it runs.
 */
async function evaluateDev(config: Record<string, string> = {}): Promise<Evaluation> {
    const stack = devStackConfig();
    vi.resetModules();
    return evaluateProgram({ config: { ...stack.config, ...config }, secretKeys: stack.secretKeys, load: () => import("../index.js") as Promise<Record<string, unknown>> });
}

let dev: Evaluation;
let devInvokes: typeof invokes = [];
let noWorkers: Evaluation;
let cacheWithoutCredential: { error: unknown; evaluation: Evaluation };
let credentialWithoutCache: { error: unknown; evaluation: Evaluation };
let noBorder: { error: unknown; evaluation: Evaluation };
beforeAll(async () => {
    invokes.length = 0;
    dev = await evaluateDev();
    devInvokes = [...invokes];
    const nodes = { border: { count: 1, instanceType: "t3.small" }, quorum: { count: 3, instanceType: "t3.medium" }, master: { count: 3, instanceType: "m5.large" }, worker: { count: 0 } };
    noWorkers = await evaluateDev({ "mesos-cluster:nodes": JSON.stringify(nodes) });
    cacheWithoutCredential = await buildDirectly(planOf(devRawConfig()), false);
    const elsewhere = Object.fromEntries(["mesosMaster", "mesosAgent", "marathon", "mesosDns", "marathonLb"].map((k) => [k, `registry.example.com/mirror/${k.toLowerCase()}:1`]));
    const { dockerHub: _hub, ...withoutHub } = withPatch(devRawConfig(), { images: elsewhere });
    credentialWithoutCache = await buildDirectly(planOf(withoutHub), true);
    noBorder = await buildDirectly(planOf(devRawConfig()), true, true);
}, 120_000);

describe("the composition of the dev stack", () => {
    it("parents every component and resource it makes itself to the cluster", () => {
        const children = dev.resources.filter((r) => r.parent === CLUSTER).map((r) => `${r.type} ${r.name}`);
        expect(children).toEqual([
            "mesos-cluster:network:ClusterNetwork cell-1-net",
            "mesos-cluster:security:ClusterSecurityGroups cell-1-sg",
            "aws:ec2/keyPair:KeyPair cell-1-key",
            "mesos-cluster:registry:DockerHubCache cell-1-dockerhub",
            "mesos-cluster:secrets:ClusterSecrets cell-1-secrets",
            "mesos-cluster:iam:NodeIdentities cell-1-iam",
            "mesos-cluster:bundles:BundleStore cell-1-bundles",
            "mesos-cluster:dns:ClusterDns cell-1-dns",
            "aws:ssm/parameter:Parameter cell-1-master-set",
            "mesos-cluster:nodes:NodeGroup cell-1-border",
            "mesos-cluster:nodes:NodeGroup cell-1-quorum",
            "mesos-cluster:nodes:NodeGroup cell-1-master",
            "mesos-cluster:nodes:NodeGroup cell-1-worker",
            "aws:ec2/eip:Eip cell-1-border-ip",
            "mesos-cluster:poststeps:PostSteps cell-1",
        ]);
    });

    it("looks up Canonical's newest Ubuntu 24.04 HVM EBS image when no AMI id is set", () => {
        expect(devInvokes.filter((i) => i.token === "aws:ec2/getAmi:getAmi").map((i) => i.args)).toEqual([
            {
                owners: ["099720109477"],
                mostRecent: true,
                filters: [
                    { name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] },
                    { name: "virtualization-type", values: ["hvm"] },
                    { name: "root-device-type", values: ["ebs"] },
                ],
            },
        ]);
    });

    it("guards the master set with the plan's ensemble", () => {
        const guard = byName(dev, "cell-1-master-set");
        expect(guard.inputs.name).toBe("/mesos-cluster/cell-1/master-set");
        const value = guard.inputs.value;
        expect(typeof value === "object" && value !== null && "value" in value ? value.value : value).toBe("1:10.136.128.11,2:10.136.192.11,3:10.136.64.11");
        expect(guard.inputs.tags).toEqual(TAGS);
    });

    it("boots every node after its bundle, the bucket's policy and endpoint, every role's policy, the cache rule and the master-set guard", () => {
        const urn = (type: string, name: string) => ofType(dev, type).find((r) => r.name === name)!.urn;
        const always = [
            urn("aws:s3/bucketPolicy:BucketPolicy", "cell-1-bundles-policy"),
            urn("aws:ec2/vpcEndpoint:VpcEndpoint", "cell-1-bundles-s3-endpoint"),
            ...["border", "quorum", "master", "worker"].map((role) => urn("aws:iam/rolePolicy:RolePolicy", `cell-1-iam-${role}`)),
            urn("aws:ecr/pullThroughCacheRule:PullThroughCacheRule", "cell-1-dockerhub"),
            urn("aws:ssm/parameter:Parameter", "cell-1-master-set"),
        ];
        for (const [node, role] of [["cell-1-border-1", "border"], ["cell-1-quorum-2", "quorum"], ["cell-1-worker-3", "worker"]]) {
            const instance = ofType(dev, "aws:ec2/instance:Instance").find((r) => r.name === node)!;
            expect(instance.dependsOn.slice(0, 9), node).toEqual([urn("aws:s3/bucketObjectv2:BucketObjectv2", `cell-1-bundles-${role}`), ...always]);
        }
    });

    it("registers the border's public address as the cluster's output", () => {
        expect(componentOutputs.get("mesos-cluster:index:MesosCluster::cell-1")).toEqual({ borderPublicIp: "198.51.100.10" });
    });
});

describe("a stack with no worker", () => {
    it("makes no worker group, identity or bundle", () => {
        expect(ofType(noWorkers, "mesos-cluster:nodes:NodeGroup").map((r) => r.name)).toEqual(["cell-1-border", "cell-1-quorum", "cell-1-master"]);
        expect(ofType(noWorkers, "aws:iam/instanceProfile:InstanceProfile").map((r) => r.name)).toEqual(["cell-1-iam-border", "cell-1-iam-quorum", "cell-1-iam-master"]);
    });
});

describe("MesosCluster called directly", () => {
    it("refuses a planned Docker Hub cache without its credential", () => {
        expect(String(cacheWithoutCredential.error)).toBe("Error: the plan has a Docker Hub cache but no credential for it");
        expect(ofType(cacheWithoutCredential.evaluation, "mesos-cluster:registry:DockerHubCache")).toEqual([]);
    });

    it("makes no cache for a credential the plan has no cache for, and boots the nodes without one", () => {
        expect(credentialWithoutCache.error).toBeUndefined();
        const resources = credentialWithoutCache.evaluation.resources;
        expect(resources.filter((r) => r.type.startsWith("aws:ecr") || r.type.startsWith("aws:secretsmanager") || r.type.includes("DockerHubCache"))).toEqual([]);
        const instances = resources.filter((r) => r.type === "aws:ec2/instance:Instance");
        expect(instances).toHaveLength(10);
        const known = new Set(resources.map((r) => r.urn));
        for (const instance of instances) for (const dep of instance.dependsOn) expect(known.has(dep), `${instance.name} -> ${dep}`).toBe(true);
    });

    it("refuses a plan without border-1, naming it", () => {
        expect(String(noBorder.error)).toBe("Error: the plan has no border-1");
    });
});
