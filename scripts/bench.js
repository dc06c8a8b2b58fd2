#!/usr/bin/env node
// Benchmark of the offline plan: evaluation time and peak memory beside a bare-resource baseline.
require("./offline/register").registerTypeScriptLikePulumi();
require("./offline/bench.ts").main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        console.error(`error: ${err && err.stack ? err.stack : err}`);
        process.exit(1);
    },
);
