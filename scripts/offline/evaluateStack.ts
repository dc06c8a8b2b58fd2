import * as path from "path";
import { checkConfig } from "../../components/config/load";
import { ConfigError } from "../../components/config/validate";
import { evaluateProgram, Evaluation } from "./mockEngine";
import { readStackConfig, StackConfig } from "./stackConfig";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export type StackEvaluation =
    | { readonly ok: true; readonly evaluation: Evaluation; readonly stackConfig: StackConfig }
    | { readonly ok: false; readonly exitCode: number };

/**
 * `error: <text>` lines with exactly one prefix each, whatever the text already carried (the
 * pulumi CLI's own messages start with `error: ` too).
 */
export function errorLines(text: string): string[] {
    return text
        .split("\n")
        .map((line) => line.replace(/^(\s*error:\s*)+/i, "").trimEnd())
        .filter((line) => line.length > 0)
        .map((line) => `error: ${line}`);
}

/** The SDK's log without an engine (under mocks) writes `warning: [runtime] <msg>` here. */
const RUNTIME_WARNING = "warning: [runtime] ";

/**
 * What both offline CLIs do first: read a stack config file, validate it (every problem at
 * once, in well under a second, before the program is even compiled), evaluate index.ts under
 * mocks the way `pulumi up` would, and turn every way that can fail into `error:` lines and
 * exit code 1. Config warnings go to `err` as `warning:` lines, once.
 */
export async function evaluateStackFile(
    file: string,
    stack: string,
    err: (line: string) => void,
    /** Imports the program: index.ts through the loader this process registered (the CLIs: ts-node as the Pulumi CLI does); the tests pass their own. */
    load: () => Promise<Record<string, unknown>> = async () => require(path.join(PROJECT_ROOT, "index.ts")),
): Promise<StackEvaluation> {
    let stackConfig: StackConfig;
    try {
        stackConfig = readStackConfig(file);
    } catch (error) {
        for (const line of errorLines((error as Error).message)) err(line);
        return { ok: false, exitCode: 1 };
    }
    for (const key of stackConfig.placeholders) {
        err(`note: ${key} is encrypted or unset; the offline plan uses a placeholder`);
    }
    const secret = (key: string) => stackConfig.secretKeys.includes(key);
    const warned = new Set<string>();
    try {
        for (const line of checkConfig(stackConfig.config, secret).warnings) warned.add(line);
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const line of error.warnings) err(`warning: ${line}`);
        for (const line of error.lines) err(`error: ${line}`);
        return { ok: false, exitCode: 1 };
    }
    for (const line of warned) err(`warning: ${line}`);
    let evaluation: Evaluation;
    const consoleWarn = console.warn;
    // The program logs the same warnings through the SDK; they were printed above already.
    console.warn = (...args: unknown[]) => {
        const text = args.map(String).join(" ");
        if (text.startsWith(RUNTIME_WARNING) && warned.has(text.slice(RUNTIME_WARNING.length))) return;
        consoleWarn(...args);
    };
    try {
        evaluation = await evaluateProgram({
            config: stackConfig.config,
            secretKeys: stackConfig.secretKeys,
            stack,
            load,
        });
    } catch (error) {
        const lines = (error as { lines?: readonly string[] }).lines;
        if (!lines) throw error;
        for (const line of lines) err(`error: ${line}`);
        return { ok: false, exitCode: 1 };
    } finally {
        console.warn = consoleWarn;
    }
    if (evaluation.duplicateUrns.length > 0) {
        err(`error: duplicate resource URNs: ${evaluation.duplicateUrns.join(", ")}`);
        return { ok: false, exitCode: 1 };
    }
    return { ok: true, evaluation, stackConfig };
}
