/**
 * What the Pulumi CLI's Node runtime (@pulumi/pulumi/cmd/run/run.js, `runProgram`) does with
 * the program's module once it has loaded it, for every offline caller (the engine's
 * evaluateProgram, hence the plan and replace CLIs, the tests, the bench and the lab): a module
 * whose export is a function (index.ts: `export = async function`) is called and its promise
 * awaited, and the resolved value is the stack's outputs; any other module's exports are the
 * outputs as they are. A load or a call that throws (a config error: InvalidStackConfig)
 * rejects, as under the CLI.
 *
 * One difference of loader, not of program: vitest's `import()` of a CommonJS module answers a
 * namespace whose `default` is `module.exports`, where run.js's `require` answers
 * `module.exports` itself. Both reach the same function.
 */
export async function runProgram(loaded: unknown): Promise<Record<string, unknown>> {
    const programExport = isNamespaceOf(loaded) ? (loaded as { default: unknown }).default : loaded;
    const outputs = await (typeof programExport === "function" ? programExport() : programExport);
    return (outputs ?? {}) as Record<string, unknown>;
}

/** An ES module namespace wrapping a CommonJS function export (vitest's interop). */
function isNamespaceOf(loaded: unknown): boolean {
    if (loaded === null || typeof loaded !== "object") return false;
    const value = (loaded as Record<string, unknown>).default;
    return typeof value === "function";
}
