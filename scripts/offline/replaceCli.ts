import { spawnSync, SpawnSyncReturns } from "child_process";
import { REBUILD_ENV } from "../../components/config/load";
import { failureTolerance } from "../../components/plan/quorum";
import { shellWord } from "../../components/text/shellQuote";
import { errorLines, evaluateStackFile, PROJECT_ROOT } from "./evaluateStack";
import { Evaluation, RegisteredResource } from "./mockEngine";
import { stackFile } from "./stackConfig";
import { TYPES } from "./resourceTypes";

const INSTANCE = TYPES.instance;

const USAGE = `usage: npm run replace -- <node> [--stack NAME] [--dry-run] [-- extra pulumi up args]

Replaces one node with a new instance of the same name and IP, on the current AMI and user
data, and lets the post-step commands repair the cluster around it (ARP purge on every node,
Exhibitor rewrite, leader step-down). Runs:
  ${REBUILD_ENV}=<node> pulumi up --replace <the node's instance URN> --stack NAME [extra args]
  --stack NAME  the stack (default: dev; its config is read from Pulumi.NAME.yaml)
  --dry-run     print that command line instead of running it (no pulumi CLI needed)
See docs/replace.md.`;

export interface ReplaceArgs {
    readonly node: string;
    readonly stack: string;
    readonly dryRun: boolean;
    readonly extra: string[];
}

/** Our flags before the first `--`, pulumi's after it. */
export function parseReplaceArgs(argv: readonly string[]): ReplaceArgs | { error: string } | { help: true } {
    const split = argv.indexOf("--");
    const own = split === -1 ? [...argv] : argv.slice(0, split);
    const extra = split === -1 ? [] : argv.slice(split + 1);
    let stack = "dev";
    let dryRun = false;
    const positional: string[] = [];
    for (let i = 0; i < own.length; i++) {
        const arg = own[i];
        if (arg === "-h" || arg === "--help") return { help: true };
        if (arg === "--dry-run") dryRun = true;
        else if (arg === "--stack") {
            const value = own[++i];
            if (value === undefined || value.startsWith("-")) return { error: "--stack needs a stack name" };
            stack = value;
        } else if (arg.startsWith("--stack=")) stack = arg.slice("--stack=".length);
        else if (arg.startsWith("-")) return { error: `unknown option ${arg} (pulumi's own options go after --)` };
        else positional.push(arg);
    }
    if (positional.length !== 1) return { error: positional.length === 0 ? "which node? e.g. master-1" : `one node at a time, got ${positional.join(" ")}` };
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) return { error: `not a stack name: ${stack}` };
    return { node: positional[0], stack, dryRun, extra };
}

export interface PlannedInstance {
    readonly node: string;
    readonly role: string;
    readonly urn: string;
}

/**
 * The URN the engine gives a resource. The SDK's mocks qualify a type with its parent's type
 * only, while the engine (and the SDK's own createUrn) chains every ancestor's type, so
 * `--replace` needs it rebuilt: ...::MesosCluster$NodeGroup$Instance::name.
 */
export function engineUrn(resource: RegisteredResource, byMockUrn: ReadonlyMap<string, RegisteredResource>): string {
    const [, , , name] = resource.urn.split("::");
    const parent = resource.parent ? byMockUrn.get(resource.parent) : undefined;
    if (!parent || parent.type === "pulumi:pulumi:Stack") {
        const [prefix, project] = resource.urn.split("::");
        return `${prefix}::${project}::${resource.type}::${name}`;
    }
    const parentUrn = engineUrn(parent, byMockUrn);
    return `${parentUrn.substring(0, parentUrn.lastIndexOf("::"))}$${resource.type}::${name}`;
}

/** The instances of the program's own plan, each with the URN pulumi up gives it. */
export function plannedInstances(evaluation: Evaluation): PlannedInstance[] {
    const byMockUrn = new Map(evaluation.resources.map((r) => [r.urn, r]));
    return evaluation.resources
        .filter((r) => r.type === INSTANCE)
        .map((r) => ({ node: r.inputs.tags.Name as string, role: r.inputs.tags.Role as string, urn: engineUrn(r, byMockUrn) }));
}

export function pulumiUpArgs(urn: string, args: ReplaceArgs): string[] {
    return ["up", "--replace", urn, "--stack", args.stack, ...args.extra];
}

export function commandLine(urn: string, args: ReplaceArgs): string {
    return [`${REBUILD_ENV}=${shellWord(args.node)}`, "pulumi", ...pulumiUpArgs(urn, args)].map((w, i) => (i === 0 ? w : shellWord(w))).join(" ");
}

interface StateResource {
    readonly urn: string;
    readonly type?: string;
    readonly outputs?: Record<string, unknown>;
}

export function stateResources(exported: unknown): StateResource[] {
    const resources = (exported as { deployment?: { resources?: unknown } })?.deployment?.resources;
    if (!Array.isArray(resources)) throw new Error("pulumi stack export: no deployment.resources in its output");
    return resources as StateResource[];
}

/**
 * Other masters that are not running according to the stack state (as of the last up or
 * refresh): missing from the state, or an instanceState other than "running".
 */
export function mastersDown(planned: readonly PlannedInstance[], state: readonly StateResource[], except: string): { node: string; why: string }[] {
    const byUrn = new Map(state.map((r) => [r.urn, r]));
    return planned
        .filter((p) => p.role === "master" && p.node !== except)
        .flatMap((p) => {
            const resource = byUrn.get(p.urn);
            if (!resource) return [{ node: p.node, why: "not in the stack state" }];
            const instanceState = resource.outputs?.instanceState;
            if (instanceState === undefined) return [{ node: p.node, why: "no instanceState recorded" }];
            return instanceState === "running" ? [] : [{ node: p.node, why: `instanceState ${String(instanceState)}` }];
        });
}

export function quorumWarning(node: string, masters: number, down: readonly { node: string; why: string }[]): string {
    const tolerance = failureTolerance(masters);
    return [
        `warning: replacing ${node} while another master is down: ${down.map((d) => `${d.node} (${d.why})`).join(", ")}.`,
        `warning: ${masters} masters keep a Mesos quorum of ${masters - tolerance} and tolerate ${tolerance} down (seed 002).`,
        `warning: with ${node} gone as well, ${masters - 1 - down.length} of ${masters} would run: ${masters - 1 - down.length < masters - tolerance ? "the quorum is LOST until a master comes back" : "still a quorum, but no margin left"}.`,
        `warning: never lose the quorum; and a replaced master may start with an empty log only if the old one can never come back`,
        `warning: (pulumi terminates the old ${node} before creating the new one, so it cannot). Bring the other master back first if you can.`,
    ].join("\n");
}

export interface ReplaceDeps {
    /** Runs pulumi with these args; undefined result.error with ENOENT = no CLI on PATH. */
    readonly pulumi: (args: string[], env: NodeJS.ProcessEnv, capture: boolean) => SpawnSyncReturns<string>;
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    /** Imports the program (default: index.ts through this process's loader); the tests run main() in-process with their own. */
    readonly load?: () => Promise<Record<string, unknown>>;
}

const defaultDeps: ReplaceDeps = {
    pulumi: (args, env, capture) =>
        spawnSync("pulumi", args, { env, encoding: "utf8", stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", maxBuffer: 1 << 30 }),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
};

function hasPulumiCli(deps: ReplaceDeps): boolean {
    const result = deps.pulumi(["version"], process.env, true);
    return !result.error && result.status === 0;
}

export async function main(argv: string[], deps: ReplaceDeps = defaultDeps): Promise<number> {
    const parsed = parseReplaceArgs(argv);
    if ("help" in parsed) {
        deps.out(USAGE);
        return 0;
    }
    if ("error" in parsed) {
        deps.err(`error: ${parsed.error}\n${USAGE}`);
        return 2;
    }
    const args = parsed;

    // Everything that needs no plan comes first: evaluating it takes seconds to tens of seconds.
    const cli = hasPulumiCli(deps);
    if (!cli && !args.dryRun) {
        deps.err(`error: the pulumi CLI is needed to replace a node and none is on PATH (https://www.pulumi.com/docs/install/).\nerror: --dry-run prints the command instead.`);
        return 1;
    }
    let state: StateResource[] | undefined;
    if (cli) {
        const exported = deps.pulumi(["stack", "export", "--stack", args.stack], process.env, true);
        if (exported.error || exported.status !== 0) {
            // pulumi's own message carries its own `error: ` prefix: one per line is enough.
            const why = errorLines(exported.stderr || String(exported.error ?? "")).map((line) => line.slice("error: ".length));
            deps.err(`error: pulumi stack export --stack ${args.stack} failed: ${why.join("; ") || `exit code ${exported.status}`}`);
            return 1;
        }
        try {
            state = stateResources(JSON.parse(exported.stdout));
        } catch (err) {
            for (const line of errorLines(`cannot read pulumi stack export: ${(err as Error).message}`)) deps.err(line);
            return 1;
        }
    }

    // The node list comes from the plan itself, before the rebuild variable names anything.
    delete process.env[REBUILD_ENV];
    const evaluated = await evaluateStackFile(stackFile(PROJECT_ROOT, args.stack), args.stack, deps.err, deps.load);
    if (!evaluated.ok) return evaluated.exitCode;
    const { evaluation } = evaluated;
    const planned = plannedInstances(evaluation);
    const target = planned.find((p) => p.node === args.node);
    if (!target) {
        deps.err(`error: ${JSON.stringify(args.node)} is not a node of stack ${args.stack}; valid names: ${planned.map((p) => p.node).join(", ")}`);
        return 1;
    }

    const masters = planned.filter((p) => p.role === "master").length;
    if (state) {
        if (!state.some((r) => r.urn === target.urn)) {
            deps.err(`error: ${target.urn} is not in the state of stack ${args.stack}: the program and the stack disagree (never deployed? another project?). Nothing to replace.`);
            return 1;
        }
        if (target.role === "master") {
            const down = mastersDown(planned, state, target.node);
            if (down.length > 0) deps.err(quorumWarning(target.node, masters, down));
            else deps.err(`note: every other master is running according to the stack state (as of the last up or refresh; \`pulumi refresh --stack ${args.stack}\` updates it).`);
        }
    } else if (target.role === "master") {
        deps.err(`warning: no pulumi CLI: could not check whether another master is down. Before running this, make sure every other master runs (seed 002: never lose the quorum; a replaced master may start with an empty log only if the old one can never come back).`);
    }

    if (args.dryRun) {
        deps.out(commandLine(target.urn, args));
        return 0;
    }
    deps.err(`running: ${commandLine(target.urn, args)}`);
    const result = deps.pulumi(pulumiUpArgs(target.urn, args), { ...process.env, [REBUILD_ENV]: args.node }, false);
    if (result.error) {
        for (const line of errorLines(`cannot run pulumi: ${result.error.message}`)) deps.err(line);
        return 1;
    }
    return result.status ?? 1;
}
