import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { evaluateProgram } from "./mockEngine";
import { readStackConfig, stackFile } from "./stackConfig";

/**
 * Plan evaluation cost at 3 masters with 3, 100 and 500 workers, beside two baselines under
 * the same mocks, each with as many resources as the program registered:
 *  - bare: minimal CustomResources (a type and a name, no inputs);
 *  - flat: the program's own resources, same classes and inputs, registered one after another
 *    with no config, plan, templates or components — the SDK's cost for these AWS types.
 * program/flat is what this program's own logic costs; flat/bare is what @pulumi/aws's
 * resource classes cost over a bare resource (an Output per property, each with a stack trace).
 * Each measurement runs in a child process of its own so peak RSS is that run's alone.
 * Children load TypeScript transpile-only (PULUMI_NODEJS_TRANSPILE_ONLY, the CLI's own switch):
 * type-checking is a per-process constant, not evaluation cost. Every mode loads @pulumi/aws
 * and @pulumi/command before the clock starts, so module loading cancels out.
 */

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const WORKERS = [3, 100, 500];
const TARGET_RATIO_AT_500 = 1.3;

interface Sample {
    readonly resources: number;
    readonly seconds: number;
    readonly peakRssMiB: number;
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

/** "aws:ec2/instance:Instance" -> aws.ec2.Instance; "command:remote:Command" -> command.remote.Command */
function resourceClass(type: string): ResourceClass {
    const [pkg, modulePath, className] = type.split(":");
    const sdk = require(pkg === "aws" ? "@pulumi/aws" : `@pulumi/${pkg}`);
    const cls = sdk[modulePath.split("/")[0]]?.[className];
    if (typeof cls !== "function") throw new Error(`no SDK class for ${type}`);
    return cls as ResourceClass;
}

async function child(mode: string, arg: string): Promise<void> {
    const stack = configFor(mode === "program" ? Number(arg) : 3);
    require("@pulumi/aws"); // loaded before the clock starts, in every mode
    require("@pulumi/command");
    const recorded: RecordedResource[] = mode === "flat" ? JSON.parse(fs.readFileSync(arg, "utf8")) : [];
    const start = process.hrtime.bigint();
    const evaluation = await evaluateProgram({
        config: stack.config,
        secretKeys: stack.secretKeys,
        load: async () => {
            if (mode === "program") return require(path.join(PROJECT_ROOT, "index.ts"));
            if (mode === "flat") {
                for (const r of recorded) {
                    if (r.custom) new (resourceClass(r.type))(r.name, r.inputs);
                    else new pulumi.ComponentResource(r.type, r.name);
                }
                return {};
            }
            for (let i = 0; i < Number(arg); i++) new BareResource(`bare-${i}`);
            return {};
        },
    });
    if (mode === "program" && process.env.BENCH_RECORD) {
        const record: RecordedResource[] = evaluation.resources.map((r) => ({ type: r.type, name: r.name, custom: r.custom, inputs: r.inputs }));
        fs.writeFileSync(process.env.BENCH_RECORD, JSON.stringify(record));
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const sample: Sample = {
        resources: evaluation.resources.length,
        seconds,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(JSON.stringify(sample));
}

function measure(mode: "program" | "bare" | "flat", arg: string, record?: string): Sample {
    const run = spawnSync(process.execPath, [path.join(__dirname, "..", "bench.js"), "--child", mode, arg], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true", BENCH_RECORD: record ?? "" },
        maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`${mode} ${arg} failed:\n${run.stderr}`);
    return JSON.parse(run.stdout) as Sample;
}

export async function main(argv: string[]): Promise<number> {
    if (argv[0] === "--child") {
        await child(argv[1], argv[2]);
        return 0;
    }
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const rows: string[][] = [
        ["workers", "resources", "program s", "flat s", "bare s", "prog/flat", "prog/bare", "program MiB", "flat MiB", "bare MiB", "prog/flat", "prog/bare"],
    ];
    const verdicts: string[] = [];
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
    for (const workers of WORKERS) {
        const record = path.join(tmp, `program-${workers}.json`);
        const program = measure("program", String(workers), record);
        const flat = measure("flat", record);
        const bare = measure("bare", String(program.resources));
        rows.push([
            String(workers),
            String(program.resources),
            program.seconds.toFixed(2),
            flat.seconds.toFixed(2),
            bare.seconds.toFixed(2),
            ratio(program.seconds, flat.seconds),
            ratio(program.seconds, bare.seconds),
            program.peakRssMiB.toFixed(0),
            flat.peakRssMiB.toFixed(0),
            bare.peakRssMiB.toFixed(0),
            ratio(program.peakRssMiB, flat.peakRssMiB),
            ratio(program.peakRssMiB, bare.peakRssMiB),
        ]);
        if (workers === 500) {
            for (const [label, base] of [["flat", flat], ["bare", bare]] as const) {
                const r = program.seconds / base.seconds;
                verdicts.push(`time at 500 workers vs ${label}: ${r.toFixed(2)}x (${r <= TARGET_RATIO_AT_500 ? "within" : "OVER"} the ${TARGET_RATIO_AT_500}x target)`);
            }
        }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    console.log("Plan evaluation under Pulumi mocks, 3 masters (each figure from its own process)");
    console.log("flat = the same resource classes and inputs, registered without the program; bare = minimal resources");
    for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c])).join("  "));
    for (const verdict of verdicts) console.log(verdict);
    return 0;
}
