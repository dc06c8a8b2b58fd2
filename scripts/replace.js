#!/usr/bin/env node
// `npm run replace -- <node>`: finds the node's instance in the program's own offline plan
// (index.ts under Pulumi mocks, loaded as `pulumi up` loads it) and runs the targeted
// `pulumi up --replace` with that node marked for rebuild. See docs/replace.md.
require("./offline/register").runTypeScriptMain("replaceCli.ts");
