#!/usr/bin/env node
// `npm run lab` (as root): the lab of test/lab/, loaded as `pulumi up` loads the program. One
// lab at a time on a machine (namespaces and ports are global): the lab runs under `flock`.
const { spawnSync } = require("child_process");
const fs = require("fs");

if (!process.env.LAB_LOCKED) {
    fs.mkdirSync("/run/lock", { recursive: true });
    // Ctrl-C reaches the lab too; it cleans up, and this parent passes on its status.
    process.on("SIGINT", () => {});
    process.on("SIGTERM", () => {});
    const r = spawnSync("flock", ["-w", "600", "/run/lock/mesos-cluster-lab.lock", process.execPath, __filename, ...process.argv.slice(2)], {
        stdio: "inherit",
        env: { ...process.env, LAB_LOCKED: "1" },
    });
    process.exit(r.status ?? 1);
}
require("./offline/register").runTypeScriptMain("../../test/lab/main.ts");
