import * as fs from "fs";
import * as path from "path";
import { shellQuote } from "../text/shellQuote";

/**
 * What every post-step command is made of: a script under templates/scripts, its arguments,
 * the node it runs on, what it waits for and what re-runs it. Pure data: steps are planned
 * and tested without Pulumi, and postSteps.ts only turns each spec into a remote.Command.
 */

export const POST_STEPS = [
    "wait-ready",
    "arp-purge",
    "exhibitor-rewrite",
    "leader-step-down",
    "etcd-member-swap",
    "agent-reregister",
] as const;
export type PostStep = (typeof POST_STEPS)[number];

export const SCRIPTS_DIR = path.resolve(__dirname, "..", "..", "templates", "scripts");

/** log, die and friends, shared by every script: first in each create text (see createText). */
export const PRELUDE_FILE = "lib/prelude.sh";

/** Ends the here-document that carries the script; no script may contain it as a line. */
export const SCRIPT_DELIMITER = "MESOS_CLUSTER_SCRIPT";

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
    // The node's first boot (cloud-init), then the other members' quorum, this member's own
    // start (grace), the swap and the key check: `script` bounds each of the two waits.
    etcdSwap: { script: 600, grace: 90, outer: 1320 },
    // A new worker boots twice (cgroup v1), pulls and builds its agent image, then registers;
    // a Mesos master drops a lost agent after 5 missed pings 15 s apart (75 s).
    agentReregister: { script: 1500, outer: 1560 },
} as const;

export interface CommandSpec {
    /** Resource name, e.g. cell-1-exhibitor-rewrite-master-1 (always from commandName). */
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
    /**
     * Also run again when `npm run replace` rebuilds any node at all (the cluster's replacement
     * marker changes): what every node must redo whoever was replaced, without a trigger per
     * node that adding a node would change.
     */
    readonly onAnyReplacement: boolean;
}

/**
 * The one place a command's resource name is made: `<prefix>-<step>[-<qualifier>]-<node>`, e.g.
 * cell-1-leader-step-down-r2-master-3. Nothing parses it back: the step travels in the spec.
 */
export function commandName(prefix: string, step: PostStep, node: string, qualifier?: string): string {
    return [prefix, step, qualifier, node].filter((part) => part !== undefined).join("-");
}

const scriptCache = new Map<string, string>();

/** A file under templates/scripts, checked once that it cannot end its own here-document. */
export function scriptText(file: string): string {
    let text = scriptCache.get(file);
    if (text === undefined) {
        text = fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
        if (text.split("\n").some((line) => line.trim() === SCRIPT_DELIMITER)) {
            throw new Error(`templates/scripts/${file} contains the line ${SCRIPT_DELIMITER}, which would end its here-document`);
        }
        text = text.endsWith("\n") ? text : `${text}\n`;
        scriptCache.set(file, text);
    }
    return text;
}

/**
 * What the command runs over SSH. The prelude and the script travel on stdin (`bash -s`), so
 * no file is left on the node and the text in the plan is exactly what runs; `sudo -n` fails
 * instead of prompting; `timeout` bounds the whole thing. The scripts keep all work inside
 * main(), which bash has read to the end before anything runs, so no child can swallow the
 * rest of stdin.
 */
export function createText(name: string, scriptFile: string, args: readonly string[], outerTimeout: number): string {
    return [
        `# ${name}: templates/scripts/${scriptFile}, run by mesos-cluster as a post-step`,
        `timeout ${outerTimeout} sudo -n bash -s -- ${args.map(shellQuote).join(" ")} <<'${SCRIPT_DELIMITER}'`,
        scriptText(PRELUDE_FILE) + scriptText(scriptFile) + SCRIPT_DELIMITER,
        "",
    ].join("\n");
}

/** A spec with its create text, from the parts each step module decides. */
export function commandSpec(
    parts: Omit<CommandSpec, "script" | "host" | "onAnyReplacement"> & { host: string; outerTimeout: number; onAnyReplacement?: boolean },
): CommandSpec {
    const { outerTimeout, onAnyReplacement, ...spec } = parts;
    return { ...spec, onAnyReplacement: onAnyReplacement ?? false, script: createText(spec.name, spec.scriptFile, spec.args, outerTimeout) };
}
