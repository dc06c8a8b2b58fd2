import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { decodeUserData } from "../../components/userdata/encode";
import { evaluateStackFile, PROJECT_ROOT } from "./evaluateStack";
import { Evaluation, isSecretValue, RegisteredResource } from "./mockEngine";
import { stackFile } from "./stackConfig";
import { PullRow, pullWarnings } from "../../components/registry/pulls";
import { TYPES } from "./resourceTypes";

const INSTANCE = TYPES.instance;
const REMOTE_COMMAND = TYPES.remoteCommand;
const SUBNET = TYPES.subnet;

const USAGE = `usage: npm run plan -- [--stack NAME | --config FILE] [--json] [--out DIR]

Evaluates the Pulumi program offline, under Pulumi mocks, and prints the cluster it would build.
  --stack NAME   read Pulumi.NAME.yaml (default: dev)
  --config FILE  read FILE, in the Pulumi.<stack>.yaml format, instead
  --json         print one JSON object instead of the table
  --out DIR      write each node's user data to DIR/cloud-config/<name>.yaml, each role's
                 bundle to DIR/bundles/<role>.sh and each post-step command's create text
                 to DIR/scripts/<name>.sh; DIR must be new, empty, or one an earlier --out
                 wrote (it is emptied first)`;

/** Marks a directory `--out` wrote, so a later run may empty it and nothing else. */
export const OUT_MARKER = ".mesos-cluster-plan";

/**
 * Makes `dir` hold nothing from an earlier plan: a new or empty directory is taken (and
 * marked), one that carries the marker is emptied, anything else is refused (returns why), so a
 * mistyped `--out .` never deletes files this CLI did not write.
 */
export function prepareOutDir(dir: string): string | undefined {
    let entries: string[];
    try {
        entries = fs.readdirSync(dir);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOTDIR") return `--out ${dir}: is a file, not a directory`;
        if (code !== "ENOENT") return `--out ${dir}: ${(error as Error).message}`;
        entries = [];
    }
    if (entries.length > 0 && !entries.includes(OUT_MARKER)) {
        return `--out ${dir}: is not empty and was not written by npm run plan (no ${OUT_MARKER} in it); name a new or empty directory`;
    }
    for (const entry of entries) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, OUT_MARKER), "Written by npm run plan -- --out: emptied and rewritten by every run.\n");
    return undefined;
}

/** A node as its instance resource alone describes it. */
export interface InstanceNode {
    readonly name: string;
    readonly role: string;
    readonly fqdn: string;
    readonly privateIp: string;
    readonly instanceType: string;
    readonly userDataBytes: number;
    readonly userDataGzip: boolean;
}

export interface PlanNode extends InstanceNode {
    /** The zone and CIDR of the subnet the instance is launched in. */
    readonly availabilityZone: string;
    readonly subnetCidr: string;
}

/** A post-step command as the engine would run it; dependsOn and triggers by name. */
export interface PlanCommand {
    readonly name: string;
    /** The node it runs on. */
    readonly node: string;
    readonly step: string;
    /** Nodes whose instance ids are its triggers (replacing one re-runs the command). */
    readonly triggers: string[];
    /** Commands that must succeed first. */
    readonly dependsOn: string[];
}

export interface PlanReport {
    readonly nodes: PlanNode[];
    readonly mesosQuorum: number;
    readonly exhibitorStaticEnsemble: string;
    readonly resources: { type: string; name: string }[];
    readonly commands: PlanCommand[];
    /** First-boot image pulls per egress address and registry (the program's imagePulls). */
    readonly pulls: PullRow[];
}

export function nodeFromInstance(resource: RegisteredResource): InstanceNode & { userDataText: string } {
    const { inputs } = resource;
    const gzip = inputs.userDataBase64 !== undefined;
    return {
        name: inputs.tags.Name,
        role: inputs.tags.Role,
        fqdn: inputs.tags.Fqdn,
        privateIp: inputs.privateIp,
        instanceType: inputs.instanceType,
        userDataBytes: gzip ? Buffer.from(inputs.userDataBase64, "base64").length : Buffer.byteLength(inputs.userData, "utf8"),
        userDataGzip: gzip,
        userDataText: decodeUserData(inputs),
    };
}

/**
 * The post-step commands exactly as registered (create text, triggers, dependsOn URNs), with
 * ids and URNs turned back into node and command names, in an order they can run in: each
 * after everything it depends on, otherwise in registration order.
 */
export function commandsFromEvaluation(evaluation: Evaluation): (PlanCommand & { create: string })[] {
    const instances = evaluation.resources.filter((r) => r.type === INSTANCE);
    const nodeById = new Map(instances.map((r) => [r.id, r.inputs.tags.Name as string]));
    const nodeByIp = new Map(instances.map((r) => [r.inputs.privateIp as string, r.inputs.tags.Name as string]));
    const commands = evaluation.resources.filter((r) => r.type === REMOTE_COMMAND);
    const nameByUrn = new Map(commands.map((r) => [r.urn, r.name]));
    // The program's own `postSteps` output says which step each command is.
    const stepByName = new Map(((evaluation.outputs.postSteps ?? []) as { name: string; step: string }[]).map((s) => [s.name, s.step]));
    const rows = commands.map((r) => {
        const step = stepByName.get(r.name);
        if (!step) throw new Error(`${r.name}: not in the program's postSteps output`);
        // @pulumi/command marks the whole connection secret (it holds the private key).
        const connection = isSecretValue(r.inputs.connection) ? r.inputs.connection.value : r.inputs.connection;
        const sshHost = connection?.host as string | undefined;
        const node = sshHost === undefined ? undefined : nodeByIp.get(sshHost);
        if (!node) throw new Error(`${r.name}: connects to ${sshHost}, which is no node's private IP`);
        return {
            name: r.name,
            node,
            step,
            // A trigger that is no instance's id is the cluster's replacement marker: "*".
            triggers: ((r.inputs.triggers ?? []) as string[]).map((id) => nodeById.get(id) ?? ANY_REPLACEMENT),
            dependsOn: r.dependsOn.filter((urn) => nameByUrn.has(urn)).map((urn) => nameByUrn.get(urn)!),
            create: r.inputs.create as string,
        };
    });
    const done = new Set<string>();
    const ordered: typeof rows = [];
    while (ordered.length < rows.length) {
        const next = rows.find((row) => !done.has(row.name) && row.dependsOn.every((d) => done.has(d)));
        if (!next) throw new Error(`post-step commands depend on each other in a cycle: ${rows.filter((r) => !done.has(r.name)).map((r) => r.name).join(", ")}`);
        done.add(next.name);
        ordered.push(next);
    }
    return ordered;
}

/** Each instance's zone and subnet CIDR, read from the subnet resource its subnetId names. */
export function subnetOfInstance(evaluation: Evaluation, instance: RegisteredResource): { availabilityZone: string; subnetCidr: string } {
    const subnet = evaluation.resources.find((r) => r.type === SUBNET && r.id === instance.inputs.subnetId);
    if (!subnet) throw new Error(`${instance.name}: its subnet ${instance.inputs.subnetId} is not in the plan`);
    return { availabilityZone: subnet.inputs.availabilityZone as string, subnetCidr: subnet.inputs.cidrBlock as string };
}

export function buildReport(evaluation: Evaluation): PlanReport {
    const instances = evaluation.resources.filter((r) => r.type === INSTANCE);
    return {
        nodes: instances.map((instance): PlanNode => {
            const { userDataText: _text, ...node } = nodeFromInstance(instance);
            return { ...node, ...subnetOfInstance(evaluation, instance) };
        }),
        mesosQuorum: evaluation.outputs.mesosQuorum as number,
        exhibitorStaticEnsemble: evaluation.outputs.exhibitorStaticEnsemble as string,
        resources: evaluation.resources.map((r) => ({ type: r.type, name: r.name })),
        commands: commandsFromEvaluation(evaluation).map(({ create: _create, ...command }) => command),
        pulls: (evaluation.outputs.imagePulls ?? []) as PullRow[],
    };
}

function table(rows: string[][]): string {
    const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
    return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col])).join("  ").trimEnd()).join("\n");
}

/** In a command's triggers: it runs again whenever `npm run replace` rebuilds any node. */
export const ANY_REPLACEMENT = "*";

/** "any master", "its own node", "any node": who re-runs a step, in words. */
function replacedBy(commands: readonly PlanCommand[]): string {
    const parts = new Set<string>();
    for (const c of commands) {
        if (c.triggers.includes(ANY_REPLACEMENT)) parts.add("any node");
        const nodes = c.triggers.filter((t) => t !== ANY_REPLACEMENT);
        if (nodes.length === 1) parts.add(nodes[0] === c.node ? "its own node" : "the node it checks");
        else if (nodes.length > 0) parts.add(`any of ${[...new Set(nodes)].join(", ")}`);
    }
    return [...parts].join("; ");
}

function postStepLines(commands: readonly PlanCommand[]): string[] {
    if (commands.length === 0) return [];
    const bySteps = new Map<string, PlanCommand[]>();
    for (const c of commands) bySteps.set(c.step, [...(bySteps.get(c.step) ?? []), c]);
    return [
        "",
        "Post-steps, and the replacement that runs each again:",
        ...[...bySteps].map(([step, list]) => `  ${String(list.length).padStart(4)}  ${step.padEnd(18)} ${replacedBy(list)}`),
    ];
}

function pullLines(pulls: readonly PullRow[]): string[] {
    if (pulls.length === 0) return [];
    const rows = [
        ["EGRESS", "VIA", "REGISTRY", "PULLS", "LIMIT/H/ADDRESS"],
        ...pulls.map((p) => [p.natAddress, p.via, p.registry, String(p.pulls), p.limitPerHour === undefined ? "-" : String(p.limitPerHour)]),
    ];
    return [
        "",
        "First-boot image pulls, per address the nodes leave through:",
        ...table(rows).split("\n").map((line) => `  ${line}`),
        ...pullWarnings(pulls).map((line) => `  warning: ${line}`),
    ];
}

export function formatReport(report: PlanReport, source: string, outputs: Record<string, unknown>): string {
    const masters = report.nodes.filter((n) => n.role === "master").length;
    const byType = new Map<string, number>();
    for (const r of report.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    const nodeRows = [
        ["NAME", "ROLE", "FQDN", "ZONE", "PRIVATE IP", "TYPE", "USER DATA"],
        ...report.nodes.map((n) => [n.name, n.role, n.fqdn, n.availabilityZone, n.privateIp, n.instanceType, `${n.userDataBytes} B${n.userDataGzip ? " gzip" : ""}`]),
    ];
    return [
        `Plan of ${source} (offline, under Pulumi mocks: nothing was created)`,
        "",
        table(nodeRows),
        "",
        `Mesos quorum:              ${report.mesosQuorum} of ${masters} masters`,
        `Exhibitor static ensemble: ${report.exhibitorStaticEnsemble}`,
        `Mesos:                     ${outputs.mesosUrl}`,
        `Marathon:                  ${outputs.marathonUrl}`,
        "",
        `Resources: ${report.resources.length}`,
        ...[...byType].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => `  ${String(count).padStart(4)}  ${type}`),
        ...postStepLines(report.commands),
        ...pullLines(report.pulls),
    ].join("\n");
}

export function writeOut(dir: string, evaluation: Evaluation): string[] {
    const written: string[] = [];
    const cloudConfigDir = path.join(dir, "cloud-config");
    fs.mkdirSync(cloudConfigDir, { recursive: true });
    for (const node of evaluation.resources.filter((r) => r.type === INSTANCE).map(nodeFromInstance)) {
        const file = path.join(cloudConfigDir, `${node.name}.yaml`);
        fs.writeFileSync(file, node.userDataText);
        written.push(file);
    }
    // Each role's bundle, as the node fetches it from the bucket.
    const bundlesDir = path.join(dir, "bundles");
    fs.mkdirSync(bundlesDir, { recursive: true });
    for (const object of evaluation.resources.filter((r) => r.type === TYPES.bundleObject)) {
        const file = path.join(bundlesDir, `${object.inputs.tags.Role}.sh`);
        fs.writeFileSync(file, object.inputs.content as string, { mode: 0o755 });
        written.push(file);
    }
    // The lab runs exactly these files over ssh, so they are the create texts byte for byte.
    const scriptsDir = path.join(dir, "scripts");
    fs.mkdirSync(scriptsDir, { recursive: true });
    for (const command of commandsFromEvaluation(evaluation)) {
        const file = path.join(scriptsDir, `${command.name}.sh`);
        fs.writeFileSync(file, command.create, { mode: 0o755 });
        written.push(file);
    }
    return written;
}

/**
 * `load` imports the program: by default index.ts through this process's loader (the CLI's
 * ts-node, as `pulumi up`); the tests run main() in-process with their own.
 */
export async function main(argv: string[], load?: () => Promise<Record<string, unknown>>): Promise<number> {
    let args;
    try {
        args = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                config: { type: "string" },
                json: { type: "boolean", default: false },
                out: { type: "string" },
                help: { type: "boolean", short: "h", default: false },
            },
            strict: true,
            allowPositionals: false,
        }).values;
    } catch (err) {
        console.error(`error: ${(err as Error).message}\n${USAGE}`);
        return 2;
    }
    if (args.help) {
        console.log(USAGE);
        return 0;
    }
    if (args.stack !== undefined && args.config !== undefined) {
        console.error(`error: --stack and --config exclude each other\n${USAGE}`);
        return 2;
    }
    const stack = args.stack ?? "dev";
    const file = args.config !== undefined ? path.resolve(args.config) : stackFile(PROJECT_ROOT, stack);
    const stackName = args.config !== undefined ? path.basename(file).replace(/^Pulumi\.|\.ya?ml$/g, "") : stack;
    // Before evaluating: a refused directory costs nothing, and a failed plan leaves no old files.
    const outDir = args.out === undefined ? undefined : path.resolve(args.out);
    const outProblem = outDir === undefined ? undefined : prepareOutDir(outDir);
    if (outProblem) {
        console.error(`error: ${outProblem}`);
        return 2;
    }
    const evaluated = await evaluateStackFile(file, stackName, (line) => console.error(line), load);
    if (!evaluated.ok) return evaluated.exitCode;
    const { evaluation } = evaluated;

    const report = buildReport(evaluation);
    // Registries asked for more than they allow one address: the first boot would crawl.
    for (const line of pullWarnings(report.pulls)) console.error(`warning: ${line}`);
    if (outDir !== undefined) {
        const written = writeOut(outDir, evaluation);
        console.error(`wrote ${written.length} files under ${outDir}`);
    }
    console.log(args.json ? JSON.stringify(report, null, 2) : formatReport(report, path.relative(process.cwd(), file) || file, evaluation.outputs));
    return 0;
}
