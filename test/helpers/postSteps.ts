import { spawn } from "child_process";
import * as path from "path";
import { vi } from "vitest";
import { evaluateProgram, Evaluation, isSecretValue, RegisteredResource } from "../../scripts/offline/mockEngine";
import { readStackConfig } from "../../scripts/offline/stackConfig";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const COMMAND = "command:remote:Command";
export const INSTANCE = "aws:ec2/instance:Instance";

export function devStack() {
    return readStackConfig(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"));
}

/** index.ts evaluated afresh under mocks; `ids` plays `pulumi up --replace` of those resources. */
export async function evaluateDev(options: { ids?: Record<string, string>; config?: Record<string, string> } = {}): Promise<Evaluation> {
    const stack = devStack();
    vi.resetModules();
    delete process.env.MESOS_CLUSTER_REBUILD;
    return evaluateProgram({
        config: { ...stack.config, ...options.config },
        secretKeys: stack.secretKeys,
        ids: options.ids,
        load: () => import("../../index.js") as Promise<Record<string, unknown>>,
    });
}

export function commands(evaluation: Evaluation): RegisteredResource[] {
    return evaluation.resources.filter((r) => r.type === COMMAND);
}

/** The connection with the secret wrapper taken off (the SDK marks the whole connection secret). */
export function connectionOf(resource: RegisteredResource): Record<string, any> {
    const connection = resource.wireInputs.connection;
    return isSecretValue(connection) ? connection.value : connection;
}

export interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * Runs a process without blocking the event loop: some tests serve the other end (a fake
 * ZooKeeper) from this very process.
 */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
        child.stdin.end(options.input ?? "");
    });
}
