#!/usr/bin/env node
// Offline plan: evaluates index.ts under Pulumi mocks, loaded exactly as `pulumi up` loads it.
require("./offline/register").registerTypeScriptLikePulumi();
require("./offline/planCli.ts").main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        console.error(`error: ${err && err.stack ? err.stack : err}`);
        process.exit(1);
    },
);
