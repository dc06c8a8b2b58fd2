#!/usr/bin/env node
// `npm test`: `tsc --noEmit` and `vitest run` side by side (issue 14), and fails when either
// does. tsc is one process on one core for ~10 s while vitest starts its workers and runs
// the script tests that mostly wait; one after the other they took ~10 s longer. tsc keeps
// its incremental state in .cache/ (gitignored): a later run re-checks only what changed.
// Arguments go to vitest (`npm test -- test/program.test.ts`).
"use strict";
const { spawn } = require("child_process");
const path = require("path");

const root = path.resolve(__dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

function run(command, args, stdio) {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: root, stdio });
        let output = "";
        if (child.stdout) child.stdout.on("data", (chunk) => (output += chunk));
        if (child.stderr) child.stderr.on("data", (chunk) => (output += chunk));
        child.on("error", (err) => resolve({ code: 1, output: `${output}${err.message}\n` }));
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
    });
}

async function main() {
    const start = Date.now();
    // tsc's output is held until vitest is done, so the two never interleave.
    const tsc = run(bin("tsc"), ["--noEmit", "--incremental", "--tsBuildInfoFile", ".cache/tsc.tsbuildinfo"], ["ignore", "pipe", "pipe"]);
    const vitest = run(bin("vitest"), ["run", ...process.argv.slice(2)], "inherit");
    const [checked, tested] = await Promise.all([tsc, vitest]);
    if (checked.code !== 0) {
        process.stderr.write(checked.output);
        process.stderr.write(`\ntsc --noEmit failed (exit ${checked.code})\n`);
    } else {
        console.log(`tsc --noEmit: no errors`);
    }
    console.log(`npm test: ${((Date.now() - start) / 1000).toFixed(1)} s wall`);
    process.exitCode = checked.code !== 0 ? checked.code : tested.code;
}

void main();
