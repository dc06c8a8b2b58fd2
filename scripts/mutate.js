#!/usr/bin/env node
// Mutation check over components/, one folder at a time against its own tests (issue 15).
require("./offline/register").runTypeScriptMain("mutate.ts");
