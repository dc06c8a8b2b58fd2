// @ts-check
// Mutation check over components/ (issue 15): `npm run mutate`. Not part of `npm test` nor of
// .ci/run: a full run takes tens of minutes on two cores. Reports go to reports/ (gitignored):
// reports/mutation/index.html to browse, reports/mutation/mutation.json for tooling.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
    // The only test glob vitest knows under components/ (none exist today: Stryker warns so).
    mutate: ["components/**/*.ts", "!components/**/*.test.ts"],
    testRunner: "vitest",
    // The suite without the two end-to-end CLI files, whose child processes never see a
    // mutant (see the comment in vitest.stryker.config.mts).
    vitest: { configFile: "vitest.stryker.config.mts" },
    // Each mutant runs only the tests that reached it. Code reached while a module loads, or in
    // a beforeAll that evaluates the whole program, counts as "static": such mutants run the
    // whole (Stryker) suite.
    coverageAnalysis: "perTest",
    // Mutants reached only while a module loads (top-level constants, zod schemas, tables) are
    // "static": testing one means reloading the modules and running every related test file
    // (~30 s each, ~700 mutants: hours on two cores). Skipped here and reported as Ignored;
    // `npm run mutate -- --ignoreStatic false` tests them too. A mutant reached both while
    // loading and inside tests runs only those tests, with the mutant active from the start of
    // the test file's hooks (so in the program that evaluateStack re-imports, not in a module
    // the test file imported directly).
    ignoreStatic: true,
    concurrency: 2,
    // Tests spawn bash, shellcheck and fake services; scripts under test have their own 5 s
    // timeouts. Generous limits keep a slow, shared machine from reporting false timeouts.
    // Stryker allows timeoutMS + timeoutFactor x the covering tests' own time in the initial run,
    // and a test's time leaves out its file's beforeAll, where most files evaluate the program
    // (one to three stacks): at 30 s, a machine under load (load average 15 on two cores) turned
    // half of the mutants into Timeouts, which count as detected. 120 s: a real hang costs more,
    // a false "detected" is no longer likely.
    timeoutMS: 120_000,
    timeoutFactor: 2,
    dryRunTimeoutMinutes: 20,
    // Later runs re-test only the mutants whose code, or whose covering tests, changed since
    // the last run (a survivor is re-tested once a test reaching it is added or changed), so
    // the full cost is paid once. `npm run mutate -- --force` re-tests everything.
    incremental: true,
    incrementalFile: "reports/stryker-incremental.json",
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: "reports/mutation/index.html" },
    jsonReporter: { fileName: "reports/mutation/mutation.json" },
    clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
    // Not needed in the sandbox copy of the project.
    ignorePatterns: ["/reports", "/bin", "/plan-out", "/.lab", "*.log"],
    tempDirName: ".stryker-tmp",
    cleanTempDir: true,
};
export default config;
