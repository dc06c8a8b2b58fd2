import * as fs from "fs";
import * as path from "path";
import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { shellQuote } from "../text/shellQuote";

/**
 * The post-steps of a master replacement (seed 000 steps 3-5, seed 001's rolling rewrite) as
 * plain data: which script runs on which node, with which arguments, after which other
 * commands. No Pulumi here, so the order, names and scripts are tested without the engine and
 * postSteps.ts only turns each spec into a remote.Command.
 */

export const POST_STEPS = ["wait-ready", "arp-purge", "exhibitor-rewrite", "leader-step-down"] as const;
export type PostStep = (typeof POST_STEPS)[number];

export const SCRIPTS_DIR = path.resolve(__dirname, "..", "..", "templates", "scripts");

/** Ends the here-document that carries the script; no script may contain it as a line. */
export const SCRIPT_DELIMITER = "MESOS_CLUSTER_SCRIPT";

/** The units the master cloud-config starts; all must be active before anything else runs. */
export const MASTER_UNITS = ["zookeeper.service", "mesos-master.service", "marathon.service", "mesos-dns.service"] as const;

export const EXHIBITOR_ENV_FILE = "/etc/mesos-cluster/exhibitor";

/**
 * Internal deadlines (the scripts' --timeout) and the outer `timeout` around each command:
 * nothing kills a remote script that hangs, so every create text is bounded twice.
 */
export const LIMITS = {
    waitReady: { script: 1200, outer: 1260 },
    arpPurge: { outer: 60 },
    exhibitorRewrite: { script: 600, outer: 660 },
    // Up to two hops (Mesos, Marathon), each waiting for a leader, a new leader and a rejoin.
    stepDown: { script: 180, outer: 1200 },
    verify: { script: 180, outer: 240 },
} as const;

export interface CommandSpec {
    /** Resource name, e.g. cell-1-exhibitor-rewrite-master-1. */
    readonly name: string;
    /** The node the command runs on. */
    readonly node: string;
    /** That node's private IP: the SSH target (through the border). */
    readonly host: string;
    readonly step: PostStep;
    /** The script file under templates/scripts and the arguments it is run with. */
    readonly scriptFile: string;
    readonly args: readonly string[];
    /** The full create text: self-contained, bounded. */
    readonly script: string;
    /** Names of commands that must succeed first. */
    readonly dependsOn: readonly string[];
    /** Nodes whose instance ids are the triggers: replacing any of them runs this again. */
    readonly triggerNodes: readonly string[];
}


const scriptCache = new Map<string, string>();

export function scriptText(file: string): string {
    let text = scriptCache.get(file);
    if (text === undefined) {
        text = fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
        if (text.split("\n").some((line) => line.trim() === SCRIPT_DELIMITER)) {
            throw new Error(`templates/scripts/${file} contains the line ${SCRIPT_DELIMITER}, which would end its here-document`);
        }
        scriptCache.set(file, text.endsWith("\n") ? text : `${text}\n`);
        text = scriptCache.get(file)!;
    }
    return text;
}

/**
 * What the command runs over SSH. The script travels on stdin (`bash -s`), so no file is left
 * on the node and the text in the plan is exactly what runs; `sudo -n` fails instead of
 * prompting; `timeout` bounds the whole thing. The scripts keep all work inside main(), which
 * bash has read to the end before anything runs, so no child can swallow the rest of stdin.
 */
export function createText(name: string, scriptFile: string, args: readonly string[], outerTimeout: number): string {
    return [
        `# ${name}: templates/scripts/${scriptFile}, run by mesos-cluster as a post-step`,
        `timeout ${outerTimeout} sudo -n bash -s -- ${args.map(shellQuote).join(" ")} <<'${SCRIPT_DELIMITER}'`,
        scriptText(scriptFile) + SCRIPT_DELIMITER,
        "",
    ].join("\n");
}

export function commandName(prefix: string, step: string, node: string): string {
    return `${prefix}-${step}-${node}`;
}

/** Every post-step command of the cluster, in an order in which they can run. */
export function planPostSteps(plan: ClusterPlan, prefix: string = plan.config.clusterId): CommandSpec[] {
    const masters = plan.nodes.filter((node) => node.role === "master");
    if (masters.length === 0) return [];
    const triggerNodes = masters.map((m) => m.name);
    const specs: CommandSpec[] = [];
    const add = (step: PostStep, node: PlannedNode, name: string, scriptFile: string, args: string[], outer: number, dependsOn: string[]) => {
        const spec: CommandSpec = {
            name,
            node: node.name,
            host: node.privateIp,
            step,
            scriptFile,
            args,
            script: createText(name, scriptFile, args, outer),
            dependsOn,
            triggerNodes,
        };
        specs.push(spec);
        return spec;
    };

    const arpPurge = (node: PlannedNode, dependsOn: string[]): string | undefined => {
        const others = masters.filter((m) => m.name !== node.name).map((m) => m.privateIp);
        if (others.length === 0) return undefined; // a lone master has no peer entry to purge
        return add("arp-purge", node, commandName(prefix, "arp-purge", node.name), "arp-purge.sh",
            others, LIMITS.arpPurge.outer, dependsOn).name;
    };

    // The border goes first: every SSH connection, wait-ready's included, goes through it, and a
    // border still holding the old master's MAC stalls the first dial to the new one (the lab
    // measured 12 s, and a timeout when the stale entry was still REACHABLE).
    const border = plan.nodes.find((node) => node.role === "border");
    const borderPurge = border ? arpPurge(border, []) : undefined;

    const waitReady = masters.map((master) =>
        add("wait-ready", master, commandName(prefix, "wait-ready", master.name), "wait-ready.sh",
            ["--timeout", String(LIMITS.waitReady.script), ...MASTER_UNITS], LIMITS.waitReady.outer,
            borderPurge ? [borderPurge] : []).name,
    );

    // Every other node, in parallel: one command per node is the whole per-worker cost.
    const purges = [
        ...(borderPurge ? [borderPurge] : []),
        ...plan.nodes.filter((node) => node !== border).flatMap((node) => arpPurge(node, [...waitReady]) ?? []),
    ];

    // Seed 001: one master at a time, each waiting for the ensemble to settle.
    let previous: string[] = purges.length > 0 ? purges : waitReady;
    for (const master of masters) {
        const spec = add("exhibitor-rewrite", master, commandName(prefix, "exhibitor-rewrite", master.name), "exhibitor-rewrite.sh",
            ["--file", EXHIBITOR_ENV_FILE, "--timeout", String(LIMITS.exhibitorRewrite.script), plan.exhibitorStaticEnsemble],
            LIMITS.exhibitorRewrite.outer, [...previous]);
        previous = [spec.name];
    }

    const preferred = plan.config.preferredLeader;
    if (preferred === "") return specs;
    const common = [
        "--preferred", preferred,
        "--domain", plan.config.domain,
        "--quorum", String(plan.mesosQuorum),
    ];
    const masterPairs = masters.map((m) => `${m.name}=${m.privateIp}`);
    // The oldest ZooKeeper contender leads and a restarted one rejoins last, so at most n-1
    // step-downs reach the preferred master; each round performs at least one while it does
    // not lead (the leader's own turn comes up in every round).
    for (let round = 1; round < masters.length; round++) {
        for (const master of masters) {
            const spec = add("leader-step-down", master, `${prefix}-leader-step-down-r${round}-${master.name}`, "leader-step-down.sh",
                ["--self", master.name, ...common, "--timeout", String(LIMITS.stepDown.script), ...masterPairs],
                LIMITS.stepDown.outer, [...previous]);
            previous = [spec.name];
        }
    }
    const preferredNode = masters.find((m) => m.name === preferred);
    if (!preferredNode) throw new Error(`preferredLeader ${preferred} is not a master (config validation should have refused it)`);
    add("leader-step-down", preferredNode, `${prefix}-leader-step-down-verify`, "leader-step-down.sh",
        ["--verify", ...common, "--timeout", String(LIMITS.verify.script), ...masterPairs],
        LIMITS.verify.outer, [...previous]);
    return specs;
}
