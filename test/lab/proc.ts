import * as cp from "child_process";
import * as fs from "fs";

/** Process helpers and the lab's log: every external command the lab runs goes through here. */

const T0 = Date.now();

export const secs = (ms: number): string => (ms / 1000).toFixed(1);
export const elapsed = (): number => Date.now() - T0;
export const stamp = (): string => `[${secs(elapsed()).padStart(6)} s]`;
export const say = (msg: string): void => console.log(`${stamp()} ${msg}`);
export const section = (title: string): void => console.log(`\n${stamp()} ==== ${title}`);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A problem that ends a scenario: the message says what and where, no stack needed. */
export class LabError extends Error {}

export interface RunResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export interface RunOptions {
    readonly input?: string;
    /** ms */
    readonly timeout?: number;
    readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion, bounded; never throws (a timeout is exit 124). */
export function run(argv: readonly string[], { input, timeout = 60_000, env }: RunOptions = {}): RunResult {
    const r = cp.spawnSync(argv[0], argv.slice(1), { input, timeout, encoding: "utf8", env: env ?? process.env, maxBuffer: 64 << 20 });
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
    return {
        code: r.status ?? (timedOut ? 124 : 1),
        stdout: r.stdout ?? "",
        stderr: (r.stderr ?? "") + (r.error ? `${r.error.message}\n` : ""),
    };
}

/** Runs a command; throws a LabError naming `what` unless it exits 0. Returns its stdout. */
export function must(argv: readonly string[], what: string, opts?: RunOptions): string {
    const r = run(argv, opts);
    if (r.code !== 0) throw new LabError(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
}

export interface AsyncResult {
    readonly code: number;
    /** stdout and stderr interleaved, as they came. */
    readonly out: string;
    readonly ms: number;
    readonly timedOut: boolean;
}

/** Runs a command asynchronously, bounded (SIGKILL at `timeout` ms); never rejects. */
export function runAsync(
    argv: readonly string[],
    { stdinFile, timeout = 60_000, onLine }: { stdinFile?: string; timeout?: number; onLine?: (line: string) => void } = {},
): Promise<AsyncResult> {
    return new Promise((resolve) => {
        const started = Date.now();
        const stdin = stdinFile === undefined ? "ignore" : fs.openSync(stdinFile, "r");
        const child = cp.spawn(argv[0], argv.slice(1), { stdio: [stdin, "pipe", "pipe"] });
        if (typeof stdin === "number") fs.closeSync(stdin);
        let out = "";
        let partial = "";
        const take = (chunk: string) => {
            out += chunk;
            partial += chunk;
            const lines = partial.split("\n");
            partial = lines.pop() ?? "";
            for (const line of lines) onLine?.(line);
        };
        // Both are pipes, as asked for above.
        (child.stdout as NodeJS.ReadableStream).setEncoding("utf8").on("data", take);
        (child.stderr as NodeJS.ReadableStream).setEncoding("utf8").on("data", take);
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, timeout);
        child.on("close", (code) => {
            clearTimeout(timer);
            if (partial) onLine?.(partial);
            resolve({ code: timedOut ? 124 : (code ?? 1), out, ms: Date.now() - started, timedOut });
        });
    });
}

/** What a probe saw: whether the awaited state holds, and what it looked like. */
export interface Probe {
    readonly ok: boolean;
    readonly detail: string;
}

/** Polls `probe` until it reports ok; throws a LabError naming `what` and the last state seen. */
export async function waitFor<T extends Probe>(
    what: string,
    probe: () => T | Promise<T>,
    { timeout = 60_000, interval = 500 }: { timeout?: number; interval?: number } = {},
): Promise<T> {
    const deadline = Date.now() + timeout;
    let last = "";
    for (;;) {
        try {
            const seen = await probe();
            if (seen.ok) return seen;
            last = seen.detail;
        } catch (err) {
            last = (err as Error).message;
        }
        if (Date.now() >= deadline) throw new LabError(`${what}: not within ${timeout / 1000} s${last ? ` (last seen: ${last})` : ""}`);
        await sleep(interval);
    }
}

/** A wait's outcome as a probe: a timeout becomes `ok: false` with the wait's message. */
export function outcome<T extends Probe>(wait: Promise<T>): Promise<Probe & Partial<T>> {
    return wait.then(
        (seen) => seen,
        (err: Error) => ({ ok: false, detail: err.message }) as Probe & Partial<T>,
    );
}
