"use strict";
// The Pulumi CLI's nodejs runtime (@pulumi/pulumi/cmd/run/run.js) registers ts-node before it
// loads a TypeScript program: the project's own ts-node if installed, else the SDK's vendored
// ts-node@7.0.1; the project's `typescript`; the project's tsconfig.json; type-checking on
// unless tsconfig says noCheck. We repeat that here with the SDK's own helpers, so a program
// that plans offline also starts under `pulumi up` (a tsconfig tsc accepts can still fail there).
const path = require("path");

function registerTypeScriptLikePulumi(projectRoot = path.resolve(__dirname, "..", "..")) {
    process.chdir(projectRoot);
    // The CLI's entry point (@pulumi/pulumi/cmd/run/index.js) installs source-map-support first:
    // every stack read while the program runs is then mapped through ts-node's source maps,
    // which is what makes a stack trace cost what it costs under `pulumi up`.
    require(require.resolve("source-map-support/register", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }));
    const tsutils = require("@pulumi/pulumi/tsutils");
    // semver as the SDK itself resolves it.
    const semver = require(require.resolve("semver", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }));
    const tsConfigPath = "tsconfig.json";
    const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
    const transpileOnlyEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
    const transpileOnly = transpileOnlyEnv ? transpileOnlyEnv === "true" : compilerOptions.noCheck;
    const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
    const ts = require(typescriptRequire);
    const tsVersion = semver.parse(ts.version);
    const useNodeNext = tsVersion && tsVersion.compare(new semver.SemVer("4.7.0")) >= 0;
    require(tsnodeRequire).register({
        compiler: typescriptRequire,
        transpileOnly,
        project: tsConfigPath,
        skipProject: false,
        compilerOptions: {
            target: "ES2020",
            module: useNodeNext ? "nodenext" : "commonjs",
            moduleResolution: useNodeNext ? "nodenext" : "node",
            sourceMap: "true",
            ...compilerOptions,
        },
    });
    return { tsnodeRequire, typescriptRequire, typescriptVersion: ts.version };
}

/**
 * Ends the process with `code` once stdout and stderr have drained. Writes to a pipe are
 * asynchronous: `process.exit()` right after a large write cuts the output at the pipe's 64 KB
 * (a 500-worker `--json` plan piped to jq arrived truncated). A reader that goes away early
 * (`| head`) is not an error of ours.
 */
function exitWhenDrained(code) {
    process.exitCode = code;
    for (const stream of [process.stdout, process.stderr]) {
        stream.on("error", (err) => {
            if (err && err.code === "EPIPE") process.exit(code);
            throw err;
        });
    }
    // Callbacks run in write order: when this empty write is done, everything before it is.
    // Then exit even if a handle (the SDK's, a timer) would keep the event loop alive.
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

/**
 * Entry point of each npm script: registers TypeScript as above, then runs `main(argv)` of the
 * given module (relative to scripts/offline) and exits with the code it returns, once its
 * output has drained.
 */
function runTypeScriptMain(moduleName) {
    registerTypeScriptLikePulumi();
    require(path.join(__dirname, moduleName))
        .main(process.argv.slice(2))
        .then(
            (code) => exitWhenDrained(code),
            (err) => {
                console.error(`error: ${err && err.stack ? err.stack : err}`);
                exitWhenDrained(1);
            },
        );
}

module.exports = { registerTypeScriptLikePulumi, runTypeScriptMain };
