import { beforeAll, beforeEach, inject } from "vitest";
import { getCurrentSuite } from "vitest/suite";

// A setup file for `npm run mutate` only (vitest.stryker.config.mts lists it; `npm test` never
// loads it). It changes no test: it corrects what StrykerJS records during its initial run.
//
// Stryker records which mutants each test reaches ("perTest" coverage) and counts everything
// reached outside a test as "static": such a mutant is then run against every related test
// file with its module reloaded, ~30 s a mutant here. Most of this suite evaluates the program
// (or renders all user data) once in a beforeAll and asserts on the result in many tests, so
// three quarters of the mutants came out "static" and a run was projected at days.
//
// What a beforeAll reaches belongs to the tests under it. So: what the test file's imports
// reach while loading stays static (a mutant there needs its module reloaded); what is reached
// after that and before a test starts (its suites' beforeAll hooks) is taken out of the static
// record and credited to the outermost suite that starts with this test, and each test gets
// the credit of every suite it sits in. In a mutant run Stryker activates the mutant in its
// own root beforeAll, before the suite's hooks run, so those hooks see it.
//
// This relies on the instrumenter's coverage record, `globalThis.__stryker__.mutantCoverage =
// { static, perTest }`, as in @stryker-mutator 9.6.1 (pinned exactly in package.json).

declare module "vitest" {
    export interface ProvidedContext {
        globalNamespace: string;
        mode: "dry-run" | "mutant";
    }
}

type Counts = Record<string, number>;
interface Namespace {
    currentTestId?: string;
    mutantCoverage?: { static: Counts; perTest: Record<string, Counts> };
}
interface SuiteLike {
    readonly id: string;
    readonly suite?: SuiteLike;
}

const mode = inject("mode");
const namespace = inject("globalNamespace");

if (mode === "dry-run" && namespace) {
    const ns = ((globalThis as Record<string, unknown>)[namespace] ??= {}) as Namespace;
    /** Static counts already accounted for: the module loads, and hooks credited so far. */
    let accounted: Counts = {};
    const credit = new Map<string, Counts>();
    const started = new Set<string>();
    const add = (into: Counts, from: Counts) => {
        for (const [id, n] of Object.entries(from)) into[id] = (into[id] ?? 0) + n;
    };

    // Setup files' hooks run before the test file's own: here only the imports have run.
    beforeAll(() => {
        accounted = { ...ns.mutantCoverage?.static };
    });

    // Runs after Stryker's beforeEach (which sets currentTestId) and before the file's own.
    beforeEach(({ task }) => {
        const coverage = ns.mutantCoverage;
        if (!coverage || !ns.currentTestId) return;
        const fromHooks: Counts = {};
        for (const [id, n] of Object.entries(coverage.static)) {
            const before = accounted[id] ?? 0;
            if (n > before) {
                fromHooks[id] = n - before;
                if (before > 0) coverage.static[id] = before;
                else delete coverage.static[id];
            }
        }
        const suites: SuiteLike[] = [];
        for (let suite: SuiteLike | undefined = task.suite; suite; suite = suite.suite) suites.unshift(suite);
        // The file itself is the outermost suite: its root-level beforeAll belongs to all its tests.
        if (suites[0]?.id !== task.file.id) suites.unshift(task.file);
        const owner = suites.find((s) => !started.has(s.id)) ?? suites[suites.length - 1]!;
        for (const s of suites) started.add(s.id);
        if (Object.keys(fromHooks).length > 0) {
            if (!credit.has(owner.id)) credit.set(owner.id, {});
            add(credit.get(owner.id)!, fromHooks);
        }
        const mine = (coverage.perTest[ns.currentTestId] ??= {});
        for (const s of suites) add(mine, credit.get(s.id) ?? {});
    });
}

// In a mutant run: a mutant that makes a file's root-level beforeAll throw (the program no longer
// evaluates) must count as killed. Vitest then skips the file's tests, and Stryker's vitest runner
// (9.6.1) looks for a failed hook only in the tests' describe blocks, not in the file: it counted
// those skipped tests as passing and the mutant as survived (seen on `??` -> `&&` in
// ClusterNetwork, which makes every evaluation throw). So the file's own root-level beforeAll
// hooks, registered after this file, are wrapped: the first error is kept, and each test of the
// file fails with it instead of being skipped. Hooks inside describe blocks are left alone (the
// runner finds those).
if (mode === "mutant") {
    type Hook = (...args: unknown[]) => unknown;
    const collector = getCurrentSuite() as unknown as { on: (name: string, ...fns: Hook[]) => void };
    const on = collector.on.bind(collector);
    let failure: { error: unknown } | undefined;
    collector.on = (name: string, ...fns: Hook[]) =>
        on(
            name,
            ...(name !== "beforeAll"
                ? fns
                : fns.map((fn) => async function (this: unknown, ...args: unknown[]) {
                      try {
                          return await fn.apply(this, args);
                      } catch (error) {
                          failure ??= { error };
                          return undefined;
                      }
                  })),
        );
    beforeEach(() => {
        if (failure) throw failure.error;
    });
}
