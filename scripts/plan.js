#!/usr/bin/env node
// Offline plan: evaluates index.ts under Pulumi mocks, loaded exactly as `pulumi up` loads it.
require("./offline/register").runTypeScriptMain("planCli.ts");
