import * as path from "path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { configDefaults, defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.mjs";

// The suite as StrykerJS runs it (`npm run mutate`, see stryker.config.mjs); `npm test` still
// runs everything with vitest.config.mts.

/**
 * Cheapest test file first. Stryker stops a mutant's run at the first failing test, and most
 * mutants are killed by the quick, exact files (config, userdata, program); vitest's own order
 * is slowest first, which made every killed mutant wait for the script and validator files
 * (~35 s). Durations are the files' full runs in Stryker's initial run, kept from then on (later
 * runs are filtered and cut short, so their durations say nothing).
 */
class CheapestFirst extends BaseSequencer {
    private readonly fullRun = new Map<string, number>();

    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
        const cost = (spec: TestSpecification): number => {
            const key = `${spec.project.name}:${path.relative(this.ctx.config.root, spec.moduleId)}`;
            if (!this.fullRun.has(key)) {
                const result = this.ctx.cache.getFileTestResults(key);
                if (!result) return Number.POSITIVE_INFINITY;
                this.fullRun.set(key, result.duration);
            }
            return this.fullRun.get(key)!;
        };
        return [...files].sort((a, b) => cost(a) - cost(b) || a.moduleId.localeCompare(b.moduleId));
    }
}

// `npm run mutate` (scripts/offline/mutate.ts) runs each folder of components/ against its own
// test files, named here; `npx stryker run` alone runs the whole suite.
const scoped = process.env.MUTATE_TESTS?.split(",").filter(Boolean);

const merged = mergeConfig(
    base,
    defineConfig({
        test: {
            // The two end-to-end CLI files: each test spawns `node scripts/*.js`, whose child
            // loads index.ts and components/ afresh through ts-node, where no mutant is ever
            // active and from where no coverage reaches Stryker. They cannot kill a mutant and
            // would add 15-40 s to every run that includes them.
            exclude: [...configDefaults.exclude, "test/replace.test.ts", "test/planCli.test.ts"],
            // Credits what beforeAll hooks reach to the tests under them instead of to "static"
            // coverage (see the file): without it 75% of the mutants came out static.
            setupFiles: ["test/helpers/strykerHookCoverage.ts"],
            sequence: { sequencer: CheapestFirst },
            // Keep Stryker's thousands of cut-short runs out of the results cache `npm test`
            // orders its files by (node_modules is shared with the sandboxes).
            cache: false,
        },
    }),
);
// mergeConfig concatenates arrays: the scoped list replaces the base's include, not adds to it.
if (scoped) merged.test!.include = scoped;

export default merged;
