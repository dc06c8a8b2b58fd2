import { spawn } from "child_process";
import { Evaluation, isSecretValue, RegisteredResource } from "../../scripts/offline/mockEngine";
import { evaluateStack } from "./evaluate";
import { TYPES } from "../../scripts/offline/resourceTypes";

export { PROJECT_ROOT } from "./devConfig";
export const COMMAND = TYPES.remoteCommand;
export const INSTANCE = TYPES.instance;

/** index.ts evaluated afresh under mocks; `ids` plays `pulumi up --replace` of those resources. */
export const evaluateDev = evaluateStack;

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
        // A script that refuses at once may exit before its stdin is written: not an error.
        child.stdin.on("error", () => {});
        child.stdin.end(options.input ?? "");
    });
}
