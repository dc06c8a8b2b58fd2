#!/usr/bin/env node
// Benchmark of the offline plan: evaluation time and peak memory beside bare and flat baselines.
require("./offline/register").runTypeScriptMain("bench.ts");
