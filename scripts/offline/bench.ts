import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DNS_RECORD_TYPE, INSTANCE_TYPE, LeanDnsRecord, LeanInstance, LeanPrivateKey, LeanRemoteCommand, LeanSsmParameter, PRIVATE_KEY_TYPE, REMOTE_COMMAND_TYPE, SSM_PARAMETER_TYPE } from "../../components/runtime/leanResources";
import { inBatches, NODES_PER_TURN } from "../../components/runtime/batches";
import { evaluateProgram } from "./mockEngine";
import { makeKeyPool } from "./mockSecrets";
import { readStackConfig, stackFile } from "./stackConfig";

/**
 * `npm run bench` (issue 14): plan evaluation cost at 3 masters with 3, 100, 500 and 1,000
 * workers, beside two baselines under the same mocks and the same loader, each with as many
 * resources as the program registered:
 *  - bare: minimal CustomResources (a type and a name, no inputs);
 *  - flat: the program's own resources, same classes (the SDK's, or the lean ones the program
 *    uses for instances, DNS records and remote commands) and inputs, registered one after
 *    another with no config, plan, templates or components: the cost of these resource types.
 *
 * Honest figures: every measurement runs in a process of its own (so its peak RSS is its own),
 * loaded as the Pulumi CLI loads a program (scripts/offline/register.js: source-map-support,
 * then ts-node with the project's tsconfig; type-checking off, PULUMI_NODEJS_TRANSPILE_ONLY, the
 * CLI's own switch: it is a per-process constant, not evaluation cost). Each is repeated (3 times
 * unless --reps says more), repetitions interleaved over the modes so that a change of load hits
 * all of them; the time is the minimum over the repetitions, the peak RSS the maximum. Every
 * mode loads @pulumi/aws, @pulumi/command and @pulumi/random, and the program's first module
 * (components/runtime/promiseStacks.ts), before its clock starts; so all three run with the
 * same SDK settings, and module loading cancels out (the program still compiles its own modules
 * inside its time, a constant that the marginal figures leave out).
 *
 * Targets, checked in the same run (exit code 1 and an `OVER` line naming what was missed):
 *  - the program's marginal cost per resource, from 3 workers to 500 and to 1,000, at most 4x
 *    that of bare resources over the same resource counts;
 *  - 1,000 workers within 1 GiB of peak RSS.
 *
 * The offline engine answers the Ed25519 host keys (one a node) from a pool of real keys made
 * before the clock starts (mockSecrets.ts, makeKeyPool): under `pulumi up` the tls provider makes
 * them in its own process, and a key made in the program's process would be charged to the
 * program. Every other answer of the engine (decoding each request, echoing its inputs, the
 * etcd PKI's certificates) is still inside the clock, in every mode.
 *
 * The program builds its nodes a batch a turn of the event loop (components/runtime/batches.ts),
 * and is loaded and called as run.js does (runProgram, inside evaluateProgram). The baselines
 * get the same chance: flat and bare let the event loop run after every RESOURCES_PER_TURN
 * resources, the program's largest batch (NODES_PER_TURN nodes of a node group, five resources
 * each), so neither pays for keeping a whole plan's registrations pending while the program
 * does not.
 *
 * `--sdk-default` measures the SDK's own per-promise stack capture instead (the children run
 * with PULUMI_DEBUG_PROMISE_LEAKS set, which keeps it: see promiseStacks.ts): the "before".
 * `--workers 3,100` and `--reps 1` make a quick run; targets only apply to the rows measured.
 */

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const DEFAULT_WORKERS = [3, 100, 500, 1000];
const DEFAULT_REPS = 3;
const TARGET_MARGINAL_RATIO = 4;
const TARGET_AT = [500, 1000];
const TARGET_RSS_MIB = 1024;
const TARGET_RSS_AT = 1000;

type Mode = "program" | "flat" | "bare";
const MODES: readonly Mode[] = ["program", "flat", "bare"];
type Clock = "seconds" | "cpuSeconds";

interface Sample {
    readonly resources: number;
    /** Wall time of the evaluation. */
    readonly seconds: number;
    /** CPU time (user + system, every thread of the process: GC included) of the evaluation. */
    readonly cpuSeconds: number;
    readonly peakRssMiB: number;
    readonly promiseStacks: string;
}

function configFor(workers: number) {
    const stack = readStackConfig(stackFile(PROJECT_ROOT, "dev"));
    const nodes = JSON.parse(stack.config["mesos-cluster:nodes"]);
    nodes.worker.count = workers;
    nodes.master.count = 3;
    return { ...stack, config: { ...stack.config, "mesos-cluster:nodes": JSON.stringify(nodes) } };
}

/** The least a resource can be: a type, a name, no inputs. */
class BareResource extends pulumi.CustomResource {
    constructor(name: string) {
        super("bench:index:Bare", name, {});
    }
}

interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
}

type ResourceClass = new (name: string, args: Record<string, unknown>) => pulumi.Resource;

/** The classes the program registers these types with instead of the SDK's (same requests). */
const LEAN: Record<string, ResourceClass> = {
    [INSTANCE_TYPE]: LeanInstance as unknown as ResourceClass,
    [DNS_RECORD_TYPE]: LeanDnsRecord as unknown as ResourceClass,
    [REMOTE_COMMAND_TYPE]: LeanRemoteCommand as unknown as ResourceClass,
    // Registered lean since issue 12 (each node's host key and its SSM parameters); until they
    // were listed here, "flat" registered them through the SDK classes, heavier than the program.
    [PRIVATE_KEY_TYPE]: LeanPrivateKey as unknown as ResourceClass,
    [SSM_PARAMETER_TYPE]: LeanSsmParameter as unknown as ResourceClass,
};

/** The program's largest batch between two turns: a node group's NODES_PER_TURN nodes, five resources each. */
const RESOURCES_PER_TURN = 5 * NODES_PER_TURN;

/** Ed25519 keys the engine answers with, made before the clock starts (see makeKeyPool). */
const KEY_POOL_SIZE = 64;

/** The class the program uses for a type: a lean one, or the SDK's: "aws:ec2/instance:Instance" -> aws.ec2.Instance; "command:remote:Command" -> command.remote.Command; "random:index/randomId:RandomId" -> random.RandomId */
function resourceClass(type: string): ResourceClass {
    if (LEAN[type]) return LEAN[type];
    const [pkg, modulePath, className] = type.split(":");
    const sdk = require(`@pulumi/${pkg}`);
    const module = modulePath.split("/")[0];
    const cls = module === "index" ? sdk[className] : sdk[module]?.[className];
    if (typeof cls !== "function") throw new Error(`no SDK class for ${type}`);
    return cls as ResourceClass;
}

async function child(mode: Mode, arg: string): Promise<void> {
    const stack = configFor(mode === "program" ? Number(arg) : 3);
    // Loaded before the clock starts, in every mode.
    require("@pulumi/aws");
    require("@pulumi/command");
    require("@pulumi/random");
    const { promiseStacks } = require("../../components/runtime/promiseStacks");
    const recorded: RecordedResource[] = mode === "flat" ? JSON.parse(fs.readFileSync(arg, "utf8")) : [];
    // The tls provider's work under `pulumi up`, done in its own process: here, before the clock.
    const keyPool = makeKeyPool(KEY_POOL_SIZE);
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const evaluation = await evaluateProgram({
        config: stack.config,
        secretKeys: stack.secretKeys,
        keyPool,
        load: async () => {
            if (mode === "program") return require(path.join(PROJECT_ROOT, "index.ts"));
            if (mode === "flat") {
                await inBatches(recorded, RESOURCES_PER_TURN, (r) => {
                    if (r.custom) new (resourceClass(r.type))(r.name, r.inputs);
                    else new pulumi.ComponentResource(r.type, r.name);
                });
                return {};
            }
            await inBatches(Array.from({ length: Number(arg) }, (_, i) => i), RESOURCES_PER_TURN, (i) => new BareResource(`bare-${i}`));
            return {};
        },
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (mode === "program" && process.env.BENCH_RECORD) {
        const record: RecordedResource[] = evaluation.resources.map((r) => ({ type: r.type, name: r.name, custom: r.custom, inputs: r.inputs }));
        fs.writeFileSync(process.env.BENCH_RECORD, JSON.stringify(record));
    }
    const sample: Sample = { resources: evaluation.resources.length, seconds, cpuSeconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, promiseStacks };
    process.stdout.write(JSON.stringify(sample));
}

function measure(mode: Mode, arg: string, env: NodeJS.ProcessEnv): Sample {
    const run = spawnSync(process.execPath, [path.join(__dirname, "..", "bench.js"), "--child", mode, arg], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true", ...env },
        maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`${mode} ${arg} failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
    return JSON.parse(run.stdout) as Sample;
}

interface Row {
    readonly workers: number;
    readonly resources: number;
    /** Minimum time and maximum peak RSS over the repetitions, per mode. */
    readonly best: Record<Mode, { seconds: number; cpuSeconds: number; peakRssMiB: number }>;
    readonly all: Record<Mode, Sample[]>;
}

function loadAverage(): string {
    return os.loadavg().map((l) => l.toFixed(2)).join(" ");
}

function commit(): string {
    try {
        const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
        const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
        return dirty ? `${head} + uncommitted changes` : head;
    } catch {
        return "unknown";
    }
}

function option(argv: string[], name: string): string | undefined {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
}

export async function main(argv: string[]): Promise<number> {
    if (argv[0] === "--child") {
        await child(argv[1] as Mode, argv[2]);
        return 0;
    }
    const workers = option(argv, "--workers")?.split(",").map(Number) ?? DEFAULT_WORKERS;
    const reps = Number(option(argv, "--reps") ?? DEFAULT_REPS);
    if (workers.some((w) => !Number.isInteger(w) || w < 1) || !Number.isInteger(reps) || reps < 1) {
        console.error("usage: npm run bench [-- --workers 3,100,500,1000] [--reps 3] [--sdk-default]");
        return 2;
    }
    const sdkDefault = argv.includes("--sdk-default");
    const env: NodeJS.ProcessEnv = sdkDefault ? { PULUMI_DEBUG_PROMISE_LEAKS: "1" } : { PULUMI_DEBUG_PROMISE_LEAKS: "" };
    const out = (line: string) => console.log(line);
    out(`Plan evaluation under Pulumi mocks, 3 masters, loaded as the Pulumi CLI loads the program (transpile-only)`);
    out(`${new Date().toISOString()}, commit ${commit()}, node ${process.version}, ${os.cpus().length} cores, load average at start ${loadAverage()}`);
    out(`each figure: the minimum time (the maximum peak RSS) over ${reps} runs, each in its own process, interleaved over the modes`);
    out(`flat = the same resource classes and inputs, registered without the program; bare = minimal resources`);
    const rows: Row[] = [];
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
    let stacks = "";
    try {
        for (const w of workers) {
            const record = path.join(tmp, `program-${w}.json`);
            const all: Record<Mode, Sample[]> = { program: [], flat: [], bare: [] };
            for (let rep = 0; rep < reps; rep++) {
                all.program.push(measure("program", String(w), { ...env, BENCH_RECORD: rep === 0 ? record : "" }));
                all.flat.push(measure("flat", record, env));
                all.bare.push(measure("bare", String(all.program[0].resources), env));
            }
            stacks = all.program[0].promiseStacks;
            const best = Object.fromEntries(
                MODES.map((m) => [
                    m,
                    {
                        seconds: Math.min(...all[m].map((s) => s.seconds)),
                        cpuSeconds: Math.min(...all[m].map((s) => s.cpuSeconds)),
                        peakRssMiB: Math.max(...all[m].map((s) => s.peakRssMiB)),
                    },
                ]),
            ) as Row["best"];
            rows.push({ workers: w, resources: all.program[0].resources, best, all });
            process.stderr.write(`  ${w} workers done (load average ${loadAverage()})\n`);
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    out(`SDK per-promise stack capture: ${stacks}${sdkDefault ? " (--sdk-default)" : ""}`);

    const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const base = rows.find((r) => r.workers === Math.min(...workers))!;
    /** Milliseconds per resource from the smallest row to `row`, for one mode and clock. */
    const marginal = (row: Row, mode: Mode, clock: Clock) => ((row.best[mode][clock] - base.best[mode][clock]) * 1000) / (row.resources - base.resources);
    const print = (table: string[][]) => {
        const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
        for (const line of table) out(line.map((cell, c) => cell.padStart(widths[c])).join("  "));
    };
    for (const [clock, title] of [["seconds", "wall time"], ["cpuSeconds", "CPU time (user + system)"]] as const) {
        out("");
        out(`${title}, s; marginal ms per resource from ${base.workers} workers`);
        const table: string[][] = [["workers", "resources", "program", "flat", "bare", "prog/flat", "prog/bare", "marginal prog", "flat", "bare", "prog/bare"]];
        for (const row of rows) {
            const m = (mode: Mode) => (row === base ? "-" : marginal(row, mode, clock).toFixed(3));
            table.push([
                String(row.workers),
                String(row.resources),
                ...MODES.map((mode) => row.best[mode][clock].toFixed(2)),
                x(row.best.program[clock], row.best.flat[clock]),
                x(row.best.program[clock], row.best.bare[clock]),
                m("program"),
                m("flat"),
                m("bare"),
                row === base ? "-" : x(marginal(row, "program", clock), marginal(row, "bare", clock)),
            ]);
        }
        print(table);
    }
    out("");
    out("peak RSS, MiB");
    print([["workers", "program", "flat", "bare"], ...rows.map((row) => [String(row.workers), ...MODES.map((mode) => row.best[mode].peakRssMiB.toFixed(0))])]);
    out("");

    // Targets on CPU time: on a shared machine the wall clock also counts the time other
    // processes hold the cores; the CPU time of the process does not (both are printed above).
    const verdicts: { ok: boolean; line: string }[] = [];
    for (const row of rows.filter((r) => TARGET_AT.includes(r.workers) && r !== base)) {
        const ratio = marginal(row, "program", "cpuSeconds") / marginal(row, "bare", "cpuSeconds");
        const ok = ratio <= TARGET_MARGINAL_RATIO;
        const wall = marginal(row, "program", "seconds") / marginal(row, "bare", "seconds");
        verdicts.push({ ok, line: `${ok ? "ok  " : "OVER"} marginal CPU time per resource, ${base.workers} -> ${row.workers} workers: program ${ratio.toFixed(2)}x bare (target <= ${TARGET_MARGINAL_RATIO}x; wall time ${wall.toFixed(2)}x)` });
    }
    for (const row of rows.filter((r) => r.workers === TARGET_RSS_AT)) {
        const ok = row.best.program.peakRssMiB <= TARGET_RSS_MIB;
        verdicts.push({ ok, line: `${ok ? "ok  " : "OVER"} peak RSS of the program at ${row.workers} workers: ${row.best.program.peakRssMiB.toFixed(0)} MiB (target <= ${TARGET_RSS_MIB} MiB)` });
    }
    for (const v of verdicts) out(v.line);
    out(`load average at end ${loadAverage()}`);
    const missed = verdicts.filter((v) => !v.ok);
    if (missed.length > 0) {
        console.error(`bench: ${missed.length} target(s) missed:`);
        for (const v of missed) console.error(`  ${v.line}`);
        return 1;
    }
    return 0;
}
