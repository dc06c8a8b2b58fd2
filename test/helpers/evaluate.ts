import { vi } from "vitest";
import { evaluateProgram, Evaluation, RegisteredResource } from "../../scripts/offline/mockEngine";
import { devStackConfig } from "./devConfig";

/**
 * Evaluates index.ts afresh under mocks (a new module graph each time, so config re-reads):
 * the dev stack with `config` keys laid over it (`omit` ones removed); `ids` plays `pulumi up --replace`.
 */
export async function evaluateStack(options: { config?: Record<string, string>; ids?: Record<string, string>; omit?: readonly string[] } = {}): Promise<Evaluation> {
    const stack = devStackConfig();
    vi.resetModules();
    const config = { ...stack.config, ...options.config };
    for (const key of options.omit ?? []) delete config[key];
    return evaluateProgram({
        config,
        secretKeys: stack.secretKeys,
        ids: options.ids,
        load: () => import("../../index.js") as Promise<Record<string, unknown>>,
    });
}

export function ofType(evaluation: Evaluation, type: string): RegisteredResource[] {
    return evaluation.resources.filter((r) => r.type === type);
}

export function byName(evaluation: Evaluation, name: string): RegisteredResource {
    const found = evaluation.resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource named ${name}`);
    return found;
}
