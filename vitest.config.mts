import { fileURLToPath } from "url";
import { defineConfig } from "vitest/config";

// StrykerJS (`npm run mutate`, vitest.stryker.config.mts merges this file) runs vitest inside
// its own worker processes, which it starts with STRYKER_MUTATOR_WORKER set. There each test
// file keeps its own module instances, as before issue 14: a mutant is active only from its
// file's hooks on, and test/helpers/strykerHookCoverage.ts credits what a file's beforeAll
// reaches to that file's tests. (test/helpers/evaluate.ts shares no evaluation there either.)
const underStryker = process.env.STRYKER_MUTATOR_WORKER !== undefined;

// The scripts under test run the node's python3 (Debian's /usr/bin/python3, with python3-boto3
// from scripts/setup-debian.sh), not a version manager's shim that a developer's PATH puts
// first: pyenv's shim costs ~30 processes and 0.2 s (seconds on a loaded machine) a call, and
// the boot fetch's wait for its binding (secrets.fetch.test.ts) raced it.
const PATH = (process.env.PATH ?? "")
    .split(":")
    .filter((dir) => !/\/\.pyenv\/(plugins\/[^/]+\/)?shims$/.test(dir))
    .join(":");

export default defineConfig({
    test: {
        // One scratch directory for the run's stand-ins, removed at the end (see the file).
        globalSetup: ["test/helpers/scratchRoot.ts"],
        include: ["test/**/*.test.ts", "components/**/*.test.ts"],
        testTimeout: 120_000,
        hookTimeout: 120_000,
        pool: "forks",
        env: { PATH },
        // `npm test` (issue 14): the files of a worker share one module graph, so @pulumi/aws and
        // the SDK load once per worker instead of once per file (they were ~20 s of CPU), and
        // test/helpers/evaluate.ts evaluates the dev stack once per worker. Each evaluation still
        // gets a fresh graph for the program (vi.resetModules); no test file relies on module
        // state another file could leave (the program reads only its config and
        // MESOS_CLUSTER_REBUILD, which the tests that set it restore).
        isolate: underStryker,
        // Script tests mostly wait on their scripts' own deadlines and on etcd's timers, not on
        // the CPU: with three workers the three longest of them (the etcd files and the script
        // suites) held all three at once and the two cores sat half idle for ~4 s; a fourth
        // worker keeps CPU-bound files running meanwhile (3 runs each, alternated: 26.9-27.9 s
        // against 28.6-30.3 s, about the same CPU).
        ...(underStryker ? {} : { maxWorkers: 4 }),
        // vitest's transform of every TypeScript file, kept on disk between runs (.cache/ is
        // gitignored): ~1.3 s of the main process's CPU per `npm test`. An entry is keyed by the
        // file's path and content, vitest's version and this config, so an edited file is
        // transformed again. Not under StrykerJS, whose sandboxes hold the mutated files.
        ...(underStryker ? {} : { experimental: { fsModuleCache: true, fsModuleCachePath: fileURLToPath(new URL(".cache/vitest-modules", import.meta.url)) } }),
    },
});
