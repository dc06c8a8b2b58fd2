import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { KeyPool, secretState } from "./mockSecrets";
import { runProgram } from "./runProgram";

/**
 * Runs the Pulumi program under the SDK's mocks and records what it registers, with the
 * resource options the mocks' own newResource() never sees. Used by the offline plan, the
 * benchmark and the tests alike, so all three look at the same graph.
 */

// Pulumi's wire form of a secret: { [SIG_KEY]: SECRET_SIG, value }.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

// Not in the SDK's typings: resolves once every outstanding registration has completed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export interface RegisteredResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly id: string;
    readonly custom: boolean;
    /** Inputs as the program passed them, secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** Inputs as serialized on the wire: secrets still wrapped (check with isSecretValue). */
    readonly wireInputs: Record<string, any>;
    readonly parent: string;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
    readonly replaceOnChanges: readonly string[];
    readonly protect: boolean;
    readonly dependsOn: readonly string[];
    /** The replacementTrigger resource option, as the engine received it (undefined if none). */
    readonly replacementTrigger: unknown;
}

export interface Evaluation {
    readonly resources: readonly RegisteredResource[];
    readonly duplicateUrns: readonly string[];
    readonly outputs: Record<string, unknown>;
}

export interface EvaluateOptions {
    /** Full stack config, keys as `namespace:key`, values as strings (JSON for objects). */
    readonly config: Record<string, string>;
    readonly secretKeys?: readonly string[];
    readonly project?: string;
    readonly stack?: string;
    /** Mock ids by resource name; others get `<name>-id`. Lets a test play `--replace`. */
    readonly ids?: Readonly<Record<string, string>>;
    /**
     * When set, every secret the program generates (random passwords, tls private keys,
     * certificates) is `<sentinel>-<resource name>`: a test can then search every rendered file
     * and output for it. Otherwise the engine answers with real keys and certificates.
     */
    readonly secretSentinel?: string;
    /** The bench's Ed25519 keys, made before its clock starts (see makeKeyPool); otherwise each key is derived from its resource. */
    readonly keyPool?: KeyPool;
    /** Imports the program and returns its module exports (index.ts: its function, which evaluateProgram calls as the CLI does). */
    readonly load: () => Promise<Record<string, unknown>>;
}

export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((value) => { resolve(value); return value; }));
}

async function resolveDeep(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) return resolveDeep(await outputValue(value));
    if (value instanceof Promise) return resolveDeep(await value);
    if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
    if (value !== null && typeof value === "object") {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)] as const));
        return Object.fromEntries(entries);
    }
    return value;
}

// Computed outputs a real provider would return, for the few properties the program reads back.
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const generated = secretState(type, name, inputs, engine.triggers.get(`${type}::${name}`), { sentinel: engine.sentinel, keyPool: engine.keyPool });
    if (generated) return generated;
    switch (type) {
        case "aws:ec2/eip:Eip":
            return { ...inputs, publicIp: "198.51.100.10", allocationId: `eipalloc-${name}` };
        case "aws:ec2/keyPair:KeyPair":
            return { ...inputs, keyName: inputs.keyName ?? name };
        case "aws:ec2/instance:Instance":
            return { ...inputs, arn: `arn:aws:ec2:::instance/${name}` };
        // Auto-named as the engine would (without its random suffix), so references resolve.
        case "aws:iam/role:Role":
        case "aws:iam/instanceProfile:InstanceProfile":
            return { ...inputs, name: inputs.name ?? name, arn: `arn:aws:iam:::${type.includes("Role") ? "role" : "instance-profile"}/${name}` };
        case "aws:s3/bucket:Bucket":
            return { ...inputs, bucket: name, arn: `arn:aws:s3:::${name}`, bucketRegionalDomainName: `${name}.s3.eu-west-1.amazonaws.com` };
        case "random:index/randomId:RandomId": {
            // A new value whenever the keepers change, as the provider does.
            const digest = createHash("sha256").update(JSON.stringify(inputs.keepers ?? {})).digest("hex").slice(0, 16);
            return { ...inputs, hex: digest, b64Std: Buffer.from(digest, "hex").toString("base64") };
        }
        case "aws:route53/zone:Zone":
            return { ...inputs, zoneId: `Z${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}` };
        default:
            return { ...inputs };
    }
}

/**
 * What the patched monitor records, one per process: the SDK is loaded once per process, and a
 * test worker that runs many files in one module graph may load this module more than once
 * (vi.resetModules); every copy must record into, and patch for, the same evaluation.
 */
interface EngineState {
    patched: boolean;
    captured: RegisteredResource[];
    /** Construction order: the program's own order, whatever order the registrations reach the monitor in. */
    constructed: Map<string, number[]>;
    constructionCount: number;
    constructionIndex: WeakMap<RegisteredResource, number>;
    idOverrides: Readonly<Record<string, string>>;
    /** What every generated secret is answered with, when a test asks (see secretState). */
    sentinel: string | undefined;
    keyPool: KeyPool | undefined;
    /** replacementTrigger by `type::name`, read from the request before the mocks' newResource runs. */
    triggers: Map<string, unknown>;
}
const ENGINE = Symbol.for("mesos-cluster.offline.mockEngine");
const engine: EngineState = ((globalThis as Record<symbol, unknown>)[ENGINE] ??= {
    patched: false,
    captured: [],
    constructed: new Map(),
    constructionCount: 0,
    constructionIndex: new WeakMap(),
    idOverrides: {},
    sentinel: undefined,
    keyPool: undefined,
    triggers: new Map(),
} satisfies EngineState) as EngineState;
const constructionKey = (type: string, name: string) => `${type}\u0000${name}`;

function patchMonitor(): void {
    if (engine.patched) return;
    engine.patched = true;
    // The Resource constructor calls it synchronously, in the order the program makes resources;
    // the request reaches the monitor once its inputs have resolved, in an order that depends on
    // how many turns each input takes. Resources are listed in the first order.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeResource = require("@pulumi/pulumi/runtime/resource") as { registerResource: (res: unknown, parent: unknown, t: string, name: string, ...rest: unknown[]) => void };
    const register = runtimeResource.registerResource;
    runtimeResource.registerResource = function (res, parent, t, name, ...rest) {
        const key = constructionKey(t, name);
        if (!engine.constructed.has(key)) engine.constructed.set(key, []);
        engine.constructed.get(key)!.push(engine.constructionCount++);
        return register.call(this, res, parent, t, name, ...rest);
    };
    const original = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = async function (this: MockMonitor, req: any, callback: (err: any, res: any) => void) {
        const trigger = req.hasReplacementTrigger?.() ? req.getReplacementTrigger().toJavaScript() : undefined;
        engine.triggers.set(`${req.getType()}::${req.getName()}`, trigger);
        return original.call(this, req, (err: any, res: any) => {
            if (!err && res) {
                const record = recordOf(req, res, trigger);
                engine.constructionIndex.set(record, engine.constructed.get(constructionKey(record.type, record.name))?.shift() ?? Number.MAX_SAFE_INTEGER);
                engine.captured.push(record);
            }
            callback(err, res);
        });
    };
}

/**
 * What the engine keeps of a registration: its fields, and its inputs (a protobuf Struct),
 * decoded when first read: the bench never reads most of them, and decoding thousands of
 * requests twice is the offline engine's cost, not the program's. Built outside the monitor's
 * closures so that the record holds the Struct alone: a getter defined there would keep the
 * whole request alive through the closure's context, its stack trace included (~40 protobuf
 * objects a resource, over 100 MiB at 1,000 workers), which the real engine never holds in the
 * program's process.
 */
function recordOf(req: any, res: any, trigger: unknown): RegisteredResource {
    const struct = req.getObject();
    let inputs: Record<string, any> | undefined;
    let wireInputs: Record<string, any> | undefined;
    return {
        type: req.getType(),
        name: req.getName(),
        urn: res.getUrn(),
        id: res.getId(),
        custom: req.getCustom(),
        get inputs() {
            return (inputs ??= pulumi.runtime.deserializeProperties(struct));
        },
        get wireInputs() {
            return (wireInputs ??= struct?.toJavaScript() ?? {});
        },
        parent: req.getParent(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        protect: req.getProtect(),
        dependsOn: req.getDependenciesList(),
        replacementTrigger: trigger,
    };
}

/** The AWS account id the offline engine answers with. */
export const MOCK_ACCOUNT = "123456789012";
// The closures below read this local, not the export: under the CLI's loader (ts-node 7,
// CommonJS) they read `exports.MOCK_ACCOUNT`, which was found undefined at call time there.
const ACCOUNT = MOCK_ACCOUNT;

/** Evaluates the program once under mocks (preview=false, so Outputs resolve). */
export async function evaluateProgram(options: EvaluateOptions): Promise<Evaluation> {
    patchMonitor();
    engine.captured = [];
    engine.constructed = new Map();
    engine.constructionCount = 0;
    engine.idOverrides = options.ids ?? {};
    engine.triggers.clear();
    engine.sentinel = options.secretSentinel;
    engine.keyPool = options.keyPool;
    pulumi.runtime.setAllConfig(options.config, [...(options.secretKeys ?? [])]);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({
                id: args.custom ? engine.idOverrides[args.name] ?? `${args.name}-id` : undefined,
                state: mockState(args.type, args.name, args.inputs),
            }),
            call: (args) => {
                if (args.token === "aws:ec2/getAmi:getAmi") return { id: "ami-0mock0ubuntu2404", imageId: "ami-0mock0ubuntu2404" };
                // The account is only the engine's to know; offline, AWS's documentation account.
                if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") return { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/offline-plan`, userId: "offline-plan" };
                return args.inputs;
            },
        },
        options.project ?? "mesos-cluster",
        options.stack ?? "dev",
        false,
    );
    let exports: Record<string, unknown>;
    try {
        // Called as the CLI calls it: index.ts exports an async function (see runProgram).
        exports = await runProgram(await options.load());
    } catch (err) {
        // Tells a caller how far the program got: a config error must come before any resource.
        if (err !== null && typeof err === "object") Object.assign(err, { resourcesRegistered: engine.captured.length });
        throw err;
    }
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exports)) {
        if (key === "default" || key === "__esModule") continue;
        outputs[key] = await resolveDeep(value);
    }
    await waitForRPCs();
    const resources = [...engine.captured].sort((a, b) => engine.constructionIndex.get(a)! - engine.constructionIndex.get(b)!);
    const seen = new Set<string>();
    const duplicateUrns = resources.map((r) => r.urn).filter((urn) => (seen.has(urn) ? true : (seen.add(urn), false)));
    return { resources, duplicateUrns, outputs };
}
