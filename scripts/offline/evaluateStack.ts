import * as path from "path";
import { evaluateProgram, Evaluation } from "./mockEngine";
import { readStackConfig, StackConfig } from "./stackConfig";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export type StackEvaluation =
    | { readonly ok: true; readonly evaluation: Evaluation; readonly stackConfig: StackConfig }
    | { readonly ok: false; readonly exitCode: number };

/**
 * What both offline CLIs do first: read a stack config file, evaluate index.ts under mocks the
 * way `pulumi up` would, and turn every way that can fail into `error:` lines and exit code 1.
 */
export async function evaluateStackFile(file: string, stack: string, err: (line: string) => void): Promise<StackEvaluation> {
    let stackConfig: StackConfig;
    try {
        stackConfig = readStackConfig(file);
    } catch (error) {
        err(`error: ${(error as Error).message}`);
        return { ok: false, exitCode: 1 };
    }
    for (const key of stackConfig.placeholders) {
        err(`note: ${key} is encrypted or unset; the offline plan uses a placeholder`);
    }
    let evaluation: Evaluation;
    try {
        evaluation = await evaluateProgram({
            config: stackConfig.config,
            secretKeys: stackConfig.secretKeys,
            stack,
            load: async () => require(path.join(PROJECT_ROOT, "index.ts")),
        });
    } catch (error) {
        const lines = (error as { lines?: readonly string[] }).lines;
        if (!lines) throw error;
        for (const line of lines) err(`error: ${line}`);
        return { ok: false, exitCode: 1 };
    }
    if (evaluation.duplicateUrns.length > 0) {
        err(`error: duplicate resource URNs: ${evaluation.duplicateUrns.join(", ")}`);
        return { ok: false, exitCode: 1 };
    }
    return { ok: true, evaluation, stackConfig };
}
