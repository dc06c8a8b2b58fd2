import { vi } from "vitest";
import { evaluateProgram, Evaluation, RegisteredResource } from "../../scripts/offline/mockEngine";
import { REBUILD_ENV } from "../../components/config/load";
import { devStackConfig } from "./devConfig";

export interface EvaluateStackOptions {
    readonly config?: Record<string, string>;
    readonly ids?: Record<string, string>;
    readonly omit?: readonly string[];
}

/**
 * Evaluations already made in this worker, by what they were made of (options and the rebuild
 * variable, the only environment the program reads). Kept on globalThis: with `isolate: false`
 * (vitest.config.mts) the test files of a worker share it, and it survives vi.resetModules(),
 * which gives each evaluation a fresh module graph.
 */
const CACHE_KEY = Symbol.for("mesos-cluster.test.evaluations");
const cache: Map<string, Promise<Evaluation>> = ((globalThis as Record<symbol, unknown>)[CACHE_KEY] ??= new Map()) as Map<string, Promise<Evaluation>>;

/**
 * Under StrykerJS (`npm run mutate`) every call evaluates afresh: a mutant is active only from
 * its test file's hooks on, and the coverage Stryker records per test must see the program run
 * inside that file's beforeAll (test/helpers/strykerHookCoverage.ts).
 */
const SHARED = process.env.STRYKER_MUTATOR_WORKER === undefined && process.env.MESOS_TEST_NO_SHARED_EVALUATION === undefined;

/** Freezes what a test could change by mistake in an evaluation other tests read too. */
function frozen(evaluation: Evaluation): Evaluation {
    for (const resource of evaluation.resources) Object.freeze(resource);
    Object.freeze(evaluation.resources);
    Object.freeze(evaluation.duplicateUrns);
    return Object.freeze(evaluation);
}

function evaluateAfresh(options: EvaluateStackOptions): Promise<Evaluation> {
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

/**
 * index.ts evaluated under mocks, with a fresh module graph (so config re-reads): the dev stack
 * with `config` keys laid over it (`omit` ones removed); `ids` plays `pulumi up --replace`.
 * The same evaluation (same options, same MESOS_CLUSTER_REBUILD) is made once per worker and
 * shared, frozen: the dev stack alone was evaluated ten times per `npm test`. A failed one is
 * not kept.
 */
export function evaluateStack(options: EvaluateStackOptions = {}): Promise<Evaluation> {
    if (!SHARED) return evaluateAfresh(options);
    const key = JSON.stringify([options.config ?? {}, options.ids ?? {}, [...(options.omit ?? [])].sort(), process.env[REBUILD_ENV] ?? null]);
    let evaluation = cache.get(key);
    if (!evaluation) {
        evaluation = evaluateAfresh(options).then(frozen);
        cache.set(key, evaluation);
        evaluation.catch(() => cache.delete(key));
    }
    return evaluation;
}

export function ofType(evaluation: Evaluation, type: string): RegisteredResource[] {
    return evaluation.resources.filter((r) => r.type === type);
}

export function byName(evaluation: Evaluation, name: string): RegisteredResource {
    const found = evaluation.resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource named ${name}`);
    return found;
}
