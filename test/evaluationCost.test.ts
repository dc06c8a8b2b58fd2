import * as aws from "../components/runtime/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { beforeAll, describe, expect, it } from "vitest";
import * as tls from "@pulumi/tls";
import {
    DNS_RECORD_TYPE,
    INSTANCE_TYPE,
    LeanDnsRecord,
    LeanInstance,
    LeanPrivateKey,
    LeanRemoteCommand,
    LeanSsmParameter,
    PRIVATE_KEY_TYPE,
    REMOTE_COMMAND_TYPE,
    SSM_PARAMETER_TYPE,
} from "../components/runtime/leanResources";
import { boundPromiseStacks, promiseStacks } from "../components/runtime/promiseStacks";
import { evaluateProgram } from "../scripts/offline/mockEngine";
import { PROJECT_ROOT } from "./helpers/devConfig";

// Issue 14: what makes the plan cheap must change nothing the engine sees, and keep every stack
// and location a user needs. See components/runtime/ and the README's performance section.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: ((p: Promise<unknown>, ctx: unknown) => Promise<unknown>) & { boundedStacks?: true } };

/** Every RegisterResourceRequest the mock monitor receives, as protobuf's plain object, by name. */
const requests = new Map<string, Record<string, any>>();
const RECORDER = Symbol.for("mesos-cluster.test.requestRecorder");
/**
 * Records requests until the returned function is called. The wrapper stays (once per process:
 * other files share the SDK, and the offline engine wraps the same method), recording nothing.
 */
function recordRequests(): () => void {
    const state = ((globalThis as Record<symbol, unknown>)[RECORDER] ??= { into: undefined as Map<string, Record<string, any>> | undefined }) as {
        into?: Map<string, Record<string, any>>;
        installed?: boolean;
    };
    if (!state.installed) {
        state.installed = true;
        const original = MockMonitor.prototype.registerResource;
        MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: (err: any, res: any) => void) {
            state.into?.set(req.getName(), req.toObject());
            return original.call(this, req, callback);
        };
    }
    state.into = requests;
    return () => {
        state.into = undefined;
    };
}

/** The request without what differs between two resources by construction: name and call site. */
function comparable(name: string): Record<string, any> {
    const { name: _name, sourceposition: _position, stacktrace: _trace, ...rest } = requests.get(name)!;
    return rest;
}

const callSite = (name: string): string => requests.get(name)!.sourceposition?.uri ?? "";

describe("the lean resources register exactly what the SDK classes register", () => {
    beforeAll(async () => {
        const restore = recordRequests();
        try {
            await evaluateProgram({
            config: {},
            load: async () => {
                const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
                const subnet = new aws.ec2.Subnet("subnet", { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24" }, { parent });
                const instanceArgs = (): aws.ec2.InstanceArgs => ({
                    ami: "ami-1",
                    instanceType: "m5.large",
                    subnetId: subnet.id,
                    privateIp: "10.0.0.11",
                    vpcSecurityGroupIds: [subnet.id],
                    userDataBase64: pulumi.secret("H4sI"),
                    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
                    rootBlockDevice: { encrypted: true, volumeSize: 40 },
                    tags: { Name: "node-1", Role: pulumi.output("master") },
                    userData: undefined, // unset, as the program leaves one of userData and userDataBase64
                });
                const instanceOpts = (): pulumi.CustomResourceOptions => ({ parent, dependsOn: [subnet], deleteBeforeReplace: true, ignoreChanges: ["ami", "userDataBase64"] });
                const sdkInstance = new aws.ec2.Instance("sdk-instance", instanceArgs(), instanceOpts());
                const leanInstance = new LeanInstance("lean-instance", instanceArgs(), instanceOpts());
                const recordArgs = (): aws.route53.RecordArgs => ({ zoneId: subnet.id, name: "node-1.cell-1.demo.lan", type: "A", ttl: 60, records: ["10.0.0.11"] });
                new aws.route53.Record("sdk-record", recordArgs(), { parent });
                new LeanDnsRecord("lean-record", recordArgs(), { parent });
                const commandArgs = (): command.remote.CommandArgs => ({
                    connection: { host: "10.0.0.11", user: "ubuntu", privateKey: pulumi.secret("key"), proxy: { host: subnet.id, user: "ubuntu", privateKey: "key" } },
                    create: "echo ready",
                    triggers: [sdkInstance.id, "marker"],
                });
                new command.remote.Command("sdk-command", commandArgs(), { parent, dependsOn: [sdkInstance] });
                new LeanRemoteCommand("lean-command", commandArgs(), { parent, dependsOn: [sdkInstance] });
                // Without a connection proxy, and as the program uses it: another lean resource as a trigger.
                new command.remote.Command("sdk-command-2", { connection: { host: "10.0.0.12" }, create: "true", triggers: [leanInstance.id] }, { parent });
                new LeanRemoteCommand("lean-command-2", { connection: { host: "10.0.0.12" }, create: "true", triggers: [leanInstance.id] }, { parent });
                // A node's host key and its two parameters, as clusterSecrets.hostKey makes them.
                const sdkKey = new tls.PrivateKey("sdk-key", { algorithm: "ED25519" }, { parent, replacementTrigger: leanInstance.id });
                const leanKey = new LeanPrivateKey("lean-key", { algorithm: "ED25519" }, { parent, replacementTrigger: leanInstance.id });
                const secureArgs = (key: { privateKeyOpenssh: pulumi.Output<string> }): aws.ssm.ParameterArgs => ({
                    name: "/cell-1/worker/worker-1/ssh_host_ed25519_key",
                    type: "SecureString",
                    tier: "Standard",
                    value: pulumi.secret(key.privateKeyOpenssh),
                    tags: { Name: "worker-1" },
                });
                const sdkStored = new aws.ssm.Parameter("sdk-param", secureArgs(sdkKey), { parent });
                const leanStored = new LeanSsmParameter("lean-param", secureArgs(leanKey), { parent });
                // A plain value the caller unsecrets: the class still sends it as a secret.
                const bindingArgs = (key: { publicKeyOpenssh: pulumi.Output<string> }): aws.ssm.ParameterArgs => ({
                    name: "/cell-1/worker/worker-1/host-key-binding",
                    type: "String",
                    value: pulumi.unsecret(pulumi.interpolate`i-1 ${key.publicKeyOpenssh}`),
                });
                new aws.ssm.Parameter("sdk-binding", bindingArgs(sdkKey), { parent, dependsOn: [sdkStored] });
                new LeanSsmParameter("lean-binding", bindingArgs(leanKey), { parent, dependsOn: [leanStored] });
                return {};
            },
            });
        } finally {
            restore();
        }
    });

    it("uses the classes' own type tokens", () => {
        expect((aws.ec2.Instance as unknown as { __pulumiType: string }).__pulumiType).toBe(INSTANCE_TYPE);
        expect((command.remote.Command as unknown as { __pulumiType: string }).__pulumiType).toBe(REMOTE_COMMAND_TYPE);
        expect((aws.route53.Record as unknown as { __pulumiType: string }).__pulumiType).toBe(DNS_RECORD_TYPE);
    });

    it("an instance: same type, inputs, secrets, dependencies and options (provider version, deleteBeforeReplace, ignoreChanges)", () => {
        const sdk = comparable("sdk-instance");
        expect(sdk.type).toBe(INSTANCE_TYPE);
        expect(sdk.version).toMatch(/^\d+\.\d+\.\d+/);
        expect(sdk.deletebeforereplace).toBe(true);
        expect(comparable("lean-instance")).toEqual(sdk);
    });

    it("a DNS record: same type, inputs, dependencies and options (provider version)", () => {
        const sdk = comparable("sdk-record");
        expect(sdk.type).toBe(DNS_RECORD_TYPE);
        expect(comparable("lean-record")).toEqual(sdk);
    });

    it("a remote command: same type, inputs (the connection's defaults, sent as a secret) and options (version, secret outputs, replaceOnChanges)", () => {
        for (const suffix of ["", "-2"]) {
            const sdk = comparable(`sdk-command${suffix}`);
            expect(sdk.type).toBe(REMOTE_COMMAND_TYPE);
            expect(sdk.replaceonchangesList).toEqual(["triggers[*]"]);
            expect(sdk.additionalsecretoutputsList).toEqual(["connection"]);
            expect(comparable(`lean-command${suffix}`)).toEqual(sdk);
        }
    });

    it("an SSH host key: same type, inputs and options (provider version, secret outputs, replacementTrigger)", () => {
        const sdk = comparable("sdk-key");
        expect(sdk.type).toBe(PRIVATE_KEY_TYPE);
        expect(sdk.additionalsecretoutputsList).toEqual(["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"]);
        expect(sdk.replacementTrigger).toBeDefined();
        expect(comparable("lean-key")).toEqual(sdk);
    });

    it("an SSM parameter: same type, inputs (the value always a secret), dependencies and options", () => {
        for (const what of ["param", "binding"]) {
            const sdk = comparable(`sdk-${what}`);
            expect(sdk.type).toBe(SSM_PARAMETER_TYPE);
            expect(sdk.additionalsecretoutputsList).toEqual(["value", "valueWo"]);
            const lean = comparable(`lean-${what}`);
            // Dependencies name the other side's resources: compare their count, then the rest.
            expect(lean.dependenciesList.length).toBe(sdk.dependenciesList.length);
            // The offline engine derives each key from its resource's name, so the two values
            // differ by construction: compare where the value is and that it is a secret.
            const strip = ({ dependenciesList: _d, propertydependenciesMap: _p, object, ...rest }: Record<string, any>) => ({
                ...rest,
                object: JSON.stringify(object).replace(/-----BEGIN OPENSSH PRIVATE KEY-----[^"]*-----END OPENSSH PRIVATE KEY-----(\\n)?/, "<key>").replace(/ssh-ed25519 [A-Za-z0-9+/=]+/, "<public key>"),
            });
            expect(strip(lean)).toEqual(strip(sdk));
        }
    });

    it("gives the engine the caller's line as the resource's source position, as the classes do", () => {
        for (const name of ["sdk-instance", "lean-instance", "sdk-record", "lean-record", "sdk-command", "lean-command", "sdk-key", "lean-key", "sdk-param", "lean-param"]) {
            expect(callSite(name)).toMatch(/\/test\/evaluationCost\.test\.ts$/);
        }
    });
});

describe("the SDK's per-promise stack capture is bounded, and nothing else", () => {
    it("is the program's first import, so it is in effect before any resource registers", () => {
        const statements = fs.readFileSync(path.join(PROJECT_ROOT, "index.ts"), "utf8").split("\n").filter((line) => line.trim() && !line.trim().startsWith("//"));
        expect(statements[0]).toBe(`import "./components/runtime/promiseStacks";`);
    });

    it("makes the SDK's promises record no frames, and leaves the limit as it was", async () => {
        expect(promiseStacks).toBe("bounded");
        expect(debuggable.debuggablePromise.boundedStacks).toBe(true);
        const limit = Error.stackTraceLimit;
        const p = debuggable.debuggablePromise(Promise.resolve(1), "probe") as unknown as Record<string, unknown>;
        expect(Error.stackTraceLimit).toBe(limit);
        void p;
        const inner = Promise.resolve(2);
        await debuggable.debuggablePromise(inner, "probe");
        const trace = (inner as unknown as { _debugStackTrace: string })._debugStackTrace;
        expect(trace).toMatch(/^Error/);
        expect(trace).not.toMatch(/\n\s*at /); // not one frame
    });

    it("keeps the stack of an error thrown while resources register, with the program's frames", async () => {
        const failure = await evaluateProgram({
            config: {},
            load: async () => {
                const subnet = new aws.ec2.Subnet("subnet", { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24" });
                await new Promise<void>((resolve, reject) =>
                    subnet.id.apply((id) => {
                        try {
                            throw new Error(`cannot use ${id}`);
                        } catch (err) {
                            reject(err);
                        }
                        resolve();
                    }),
                );
                return {};
            },
        }).then(
            () => undefined,
            (err: Error) => err,
        );
        expect(failure?.message).toBe("cannot use subnet-id");
        expect(failure?.stack).toMatch(/evaluationCost\.test\.ts:\d+:\d+/);
    });

    it("changes nothing when PULUMI_DEBUG_PROMISE_LEAKS asks for the leak report's traces, and wraps once", () => {
        const original = (p: Promise<unknown>) => p;
        const sdk = { debuggablePromise: original };
        expect(boundPromiseStacks(sdk, { PULUMI_DEBUG_PROMISE_LEAKS: "1" })).toBe("kept: PULUMI_DEBUG_PROMISE_LEAKS is set");
        expect(sdk.debuggablePromise).toBe(original);
        expect(boundPromiseStacks({}, {})).toBe("kept: the SDK has no debuggablePromise to wrap");
        expect(boundPromiseStacks(sdk, {})).toBe("bounded");
        const once = sdk.debuggablePromise;
        expect(once).not.toBe(original);
        expect(boundPromiseStacks(sdk, {})).toBe("bounded");
        expect(sdk.debuggablePromise).toBe(once);
    });

    it("restores the stack limit even when the SDK's wrapper throws", () => {
        const sdk = {
            debuggablePromise: () => {
                throw new Error("boom");
            },
        };
        boundPromiseStacks(sdk, {});
        const limit = Error.stackTraceLimit;
        expect(() => sdk.debuggablePromise()).toThrow("boom");
        expect(Error.stackTraceLimit).toBe(limit);
    });
});
