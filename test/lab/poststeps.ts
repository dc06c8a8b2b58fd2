import * as fs from "fs";
import * as path from "path";
import type { PostStep } from "../../components/poststeps/commandSpec";
import { dialPause } from "../../components/poststeps/dialWindow";
import { shellQuote } from "../../components/text/shellQuote";
import type { PlanCommand } from "../../scripts/offline/planCli";
import type { Hosts } from "./hosts";
import type { LabNode } from "./plan";
import { scriptFile } from "./plan";
import type { AsyncResult } from "./proc";
import { LabError, runAsync, say, secs, stamp } from "./proc";

/**
 * The plan's post-step commands run as Pulumi would run them: `ssh -J root@<border>
 * root@<ip> bash < DIR/scripts/<name>.sh`, each once its dependsOn succeeded, independent ones
 * in parallel, a failed one stopping its dependants, each dialled again while its node does not
 * answer SSH yet (the plan's dialErrorLimit, on Pulumi's schedule).
 */

export interface CommandResult {
    readonly cmd: PlanCommand;
    readonly node: LabNode;
    /** Never started: a dependency failed or was skipped. */
    readonly skipped: boolean;
    readonly code: number;
    readonly out: string;
    readonly ms: number;
    readonly timedOut: boolean;
    /** SSH dials made: 1 when the node answered at once, more when it was still booting. */
    readonly dials: number;
    readonly startedAt: number;
    readonly endedAt: number;
}

export interface RunCommandsOptions {
    /** Prefixes the lab's lines about each command. */
    readonly label: string;
    /** Shortens the scripts' own `--timeout` (and the outer `timeout`) to this many seconds. */
    readonly shortenTo?: number;
    /**
     * Shortens etcd-member-swap's `--grace` (how long it lets a member become healthy on its own
     * before it swaps it; 90 s in the plan) to this many seconds, on the command line of a copy.
     */
    readonly graceTo?: number;
    /** ms: the lab's own bound on each command (its dials included). */
    readonly timeout?: number;
    /**
     * Fails a command after this many failed dials instead of the plan's dialErrorLimit (a
     * 20-minute window for a booting node): for a fault that cuts a node off on purpose.
     */
    readonly dialErrorLimit?: number;
}

export class PostSteps {
    constructor(
        readonly hosts: Hosts,
        readonly planDir: string,
        private readonly faultDir: string,
    ) {}

    async run(cmds: readonly PlanCommand[], { label, shortenTo, graceTo, timeout = 1_500_000, dialErrorLimit = this.hosts.plan.dialErrorLimit }: RunCommandsOptions): Promise<CommandResult[]> {
        const names = new Set(cmds.map((c) => c.name));
        const results = new Map<string, CommandResult>();
        const pending = new Map<string, Promise<void>>();
        const tell = (cmd: PlanCommand, what: string) => say(`${label}: ${cmd.name} [${cmd.step} on ${cmd.node}] ${what}`);
        const start = (cmd: PlanCommand) => {
            const node = this.hosts.node(cmd.node);
            const file = shortenTo === undefined && graceTo === undefined ? scriptFile(this.planDir, cmd) : this.shortened(cmd, shortenTo, graceTo);
            const p = this.dialAndRun(cmd, node, file, timeout, dialErrorLimit).then((r) => {
                const endedAt = Date.now();
                results.set(cmd.name, { ...r, cmd, node, skipped: false, startedAt: endedAt - r.ms, endedAt });
                pending.delete(cmd.name);
                const verdict = r.code === 0 ? "ok" : `FAILED on ${cmd.node} (${node.privateIp}), exit ${r.code}${r.timedOut ? " (the lab's bound)" : ""}: ${lastError(r.out)}`;
                tell(cmd, `${secs(r.ms)} s ${verdict}`);
            });
            pending.set(cmd.name, p);
        };
        const todo = [...cmds];
        while (todo.length > 0 || pending.size > 0) {
            for (let i = 0; i < todo.length; ) {
                const cmd = todo[i];
                const deps = cmd.dependsOn.filter((d) => names.has(d));
                const failedDep = deps.some((d) => { const r = results.get(d); return r !== undefined && (r.code !== 0 || r.skipped); });
                if (failedDep) {
                    const now = Date.now();
                    results.set(cmd.name, { cmd, node: this.hosts.node(cmd.node), skipped: true, code: -1, out: "", ms: 0, timedOut: false, dials: 0, startedAt: now, endedAt: now });
                    tell(cmd, "skipped: a dependency failed");
                    todo.splice(i, 1);
                } else if (deps.every((d) => results.has(d))) {
                    todo.splice(i, 1);
                    tell(cmd, "starts");
                    start(cmd);
                } else i++;
            }
            if (pending.size === 0) {
                if (todo.length > 0) throw new LabError(`commands ${todo.map((c) => c.name).join(", ")} depend on something that never ran`);
                break;
            }
            await Promise.race(pending.values());
        }
        return cmds.map((c) => results.get(c.name) as CommandResult);
    }

    /**
     * One command as @pulumi/command runs it: dial until the node answers SSH, under Pulumi's
     * retry schedule and the plan's dialErrorLimit (a new node starts sshd only after its boot
     * fetch), then run the script once. A dial failure is ssh's own exit 255 with nothing but
     * ssh's connection diagnostics in the output: the script never started. Host-key
     * mismatches are not retried here (Pulumi retries them to no avail); the lab's own bound
     * on the command covers the dials too.
     */
    private async dialAndRun(cmd: PlanCommand, node: LabNode, file: string, timeout: number, limit: number): Promise<AsyncResult & { dials: number }> {
        const started = Date.now();
        for (let failed = 0; ; ) {
            const left = timeout - (Date.now() - started);
            const r = await runAsync([...this.hosts.sshArgv(node), "bash"], {
                stdinFile: file,
                timeout: Math.max(left, 1),
                onLine: (line) => console.log(`${stamp()}   ${cmd.name} | ${line}`),
            });
            if (!isDialFailure(r)) return { ...r, ms: Date.now() - started, dials: failed + 1 };
            failed++;
            const pause = dialPause(failed) * 1000;
            if (failed > limit || Date.now() - started + pause >= timeout) return { ...r, ms: Date.now() - started, dials: failed };
            say(`${cmd.name}: dial ${failed}/${limit} to ${cmd.node} failed: retrying in ${secs(pause)} s`);
            await new Promise((resolve) => setTimeout(resolve, pause));
        }
    }

    /**
     * A copy of the command's create text with its bounds shortened on the command line only:
     * the outer `timeout N` and the script's `--timeout N` argument (quoted as createText
     * quotes it). The script body is the plan's.
     */
    private shortened(cmd: PlanCommand, seconds: number | undefined, grace: number | undefined): string {
        const source = scriptFile(this.planDir, cmd);
        const lines = fs.readFileSync(source, "utf8").split("\n");
        const i = lines.findIndex((l) => /^timeout \d+ /.test(l));
        if (i < 0) throw new LabError(`${cmd.name}: no 'timeout N ...' line in ${source} to shorten`);
        if (seconds !== undefined) {
            const flag = shellQuote("--timeout");
            lines[i] = lines[i]
                .replace(/^timeout \d+ /, `timeout ${seconds + 30} `)
                .replace(new RegExp(`${flag} '\\d+'`, "g"), `${flag} ${shellQuote(seconds)}`);
        }
        if (grace !== undefined) lines[i] = lines[i].replace(new RegExp(`${shellQuote("--grace")} '\\d+'`, "g"), `${shellQuote("--grace")} ${shellQuote(grace)}`);
        const file = path.join(this.faultDir, `${cmd.name}.sh`);
        fs.mkdirSync(this.faultDir, { recursive: true });
        fs.writeFileSync(file, lines.join("\n"));
        return file;
    }
}

/** What OpenSSH prints when it never reached a shell on the node (through the jump or not). */
const SSH_DIAL_DIAGNOSTICS = [
    /^kex_exchange_identification: /,
    /^stdio forwarding failed$/,
    /^channel \d+: open failed: /,
    /^ssh: connect to host .*: (Connection refused|Connection timed out|No route to host|Network is unreachable)$/,
    /^Connection (closed|reset) by /,
    /^Connection timed out during banner exchange$/,
];

/** ssh's exit 255 with only dial diagnostics: nothing ran on the node. */
export function isDialFailure(r: Pick<AsyncResult, "code" | "out" | "timedOut">): boolean {
    const lines = r.out.split("\n").map((l) => l.trim()).filter(Boolean);
    return r.code === 255 && !r.timedOut && lines.length > 0 && lines.every((l) => SSH_DIAL_DIAGNOSTICS.some((re) => re.test(l)));
}

/** The results of one step (the step's name checked against the plan's own list). */
export function ofStep(results: readonly CommandResult[], step: PostStep): CommandResult[] {
    return results.filter((r) => r.cmd.step === step);
}

/** The line of a command's output that most likely says why it failed. */
export function lastError(out: string): string {
    const lines = out.trim().split("\n").filter(Boolean);
    return (lines.filter((l) => /error|fail|refus|denied|timed out|unreachable|no route/i.test(l)).pop() ?? lines.pop() ?? "(no output)").trim();
}

/** Wall time from the first start to the last end of the results that ran. */
export function span(results: readonly CommandResult[]): number {
    const ran = results.filter((r) => !r.skipped);
    return ran.length === 0 ? 0 : Math.max(...ran.map((r) => r.endedAt)) - Math.min(...ran.map((r) => r.startedAt));
}

/** Timing lines for the summary: per command, the ARP purge, step-down hops, the total. */
export function timingLines(results: readonly CommandResult[], seedSleep: number): string[] {
    const lines = results.map((r) => `  ${r.cmd.name.padEnd(44)} ${r.cmd.step.padEnd(18)} ${r.skipped ? "skipped" : `${secs(r.ms).padStart(6)} s  ${r.code === 0 ? "ok" : `exit ${r.code}`}`}`);
    const purges = ofStep(results, "arp-purge");
    if (purges.length > 0) lines.push(`  ARP purge across all ${purges.length} hosts (parallel): ${secs(span(purges))} s   [seed 000: one loopssh per host, by hand]`);
    const hops: string[] = [];
    for (const r of results) {
        for (const line of r.out.split("\n")) {
            // The step-down script's own log line per hop.
            const m = /leader-step-down: (\w+) leader: (\S+) -> (\S+) after ([\d.]+) s/.exec(line);
            if (m) hops.push(`  step-down hop (${m[1].padEnd(8)}) ${m[2]} -> ${m[3]}: ${Number(m[4]).toFixed(1)} s   [seed 000: sleep ${seedSleep} + a manual check]  (${r.cmd.name})`);
        }
    }
    lines.push(...hops);
    const stepDowns = ofStep(results, "leader-step-down");
    if (stepDowns.length > 0) {
        lines.push(`  leader step-down in total: ${hops.length} hops, ${secs(span(stepDowns))} s   [seed 000: 3 hops x sleep ${seedSleep} = ${3 * seedSleep} s of sleeps + manual checks]`);
    }
    lines.push(`  post-steps in total: ${secs(span(results))} s`);
    return lines;
}
