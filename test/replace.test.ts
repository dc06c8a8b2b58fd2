import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { SpawnSyncReturns } from "child_process";
import { describe, expect, it, vi } from "vitest";
import { main, type ReplaceDeps } from "../scripts/offline/replaceCli";
import { PROJECT_ROOT, run } from "./helpers/postSteps";

// `npm run replace`: end to end (a fresh node process, the program planned offline as `pulumi
// up` loads it, a stand-in `pulumi` on PATH) for the process around the CLI, and its main() in
// this process for the refusals and warnings (issue 14: a process each cost ~1.5 s of CPU).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "replace-cli-"));
const MASTER_1_URN = "urn:pulumi:dev::mesos-cluster::mesos-cluster:index:MesosCluster$mesos-cluster:nodes:NodeGroup$aws:ec2/instance:Instance::cell-1-master-1";
const urnOf = (n: string) => MASTER_1_URN.replace(/master-1$/, n);

/**
 * PATH without any pulumi, or with a stand-in answering `version`, `stack export` (or failing it
 * as the real CLI does, with its own `error: ` prefix) and `up`.
 */
function pathWith(pulumi?: { masterStates: Record<string, string>; exportFails?: boolean }): NodeJS.ProcessEnv {
    const dir = fs.mkdtempSync(path.join(tmp, "bin-"));
    if (pulumi) {
        const resources = Object.entries(pulumi.masterStates).map(([node, instanceState]) => ({ urn: urnOf(node), type: "aws:ec2/instance:Instance", outputs: { instanceState } }));
        fs.writeFileSync(path.join(dir, "export.json"), JSON.stringify({ version: 3, deployment: { resources } }));
        const exportCommand = pulumi.exportFails ? `echo "error: no stack named 'dev' found" >&2; exit 255` : `cat ${dir}/export.json`;
        fs.writeFileSync(path.join(dir, "pulumi"), [
            "#!/usr/bin/env bash",
            `case "$1" in`,
            `  version) echo v3.200.0 ;;`,
            `  stack) ${exportCommand} ;;`,
            `  up) printf '%s\\n' "REBUILD=$MESOS_CLUSTER_REBUILD" "$@" > ${dir}/up.args ;;`,
            `esac`,
        ].join("\n"), { mode: 0o755 });
    }
    // Transpile-only, the CLI's own switch (`pulumi up` honours it too): after an edit, ts-node
    // type-checked the whole program again in this process (~10 s of CPU; ~2 s either way once
    // its cache in the temp dir holds the files). The type-checked path stays covered by the
    // plan CLI's processes (test/planCli.test.ts), and tsc checks the project in the same npm test.
    return { ...process.env, PATH: `${dir}:/usr/bin:/bin`, MESOS_CLUSTER_REBUILD: "", PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
}

/** Runs the CLI; every line of its output carries at most one `error:`, whatever went wrong. */
async function replace(env: NodeJS.ProcessEnv, ...args: string[]) {
    const result = await run(process.execPath, [path.join(PROJECT_ROOT, "scripts", "replace.js"), ...args], { env, cwd: PROJECT_ROOT, timeoutMs: 120_000 });
    for (const line of `${result.stdout}\n${result.stderr}`.split("\n")) expect(line.match(/error:/gi)?.length ?? 0, line).toBeLessThanOrEqual(1);
    return result;
}

/** The same stand-in, in-process: what `pulumi` would answer, as spawnSync returns it. */
function fakePulumi(pulumi?: { masterStates: Record<string, string>; exportFails?: boolean }): ReplaceDeps["pulumi"] {
    const answer = (status: number, stdout = "", stderr = "") => ({ pid: 0, output: [], stdout, stderr, status, signal: null }) as SpawnSyncReturns<string>;
    return (args) => {
        if (!pulumi) return { ...answer(0), status: null, error: Object.assign(new Error("spawnSync pulumi ENOENT"), { code: "ENOENT" }) };
        if (args[0] === "version") return answer(0, "v3.200.0\n");
        if (args[0] === "stack") {
            if (pulumi.exportFails) return answer(255, "", "error: no stack named 'dev' found\n");
            const resources = Object.entries(pulumi.masterStates).map(([node, instanceState]) => ({ urn: urnOf(node), type: "aws:ec2/instance:Instance", outputs: { instanceState } }));
            return answer(0, JSON.stringify({ version: 3, deployment: { resources } }));
        }
        throw new Error(`unexpected pulumi ${args.join(" ")}`);
    };
}

/**
 * The CLI's main() in this process, the program imported afresh through vitest's loader: the
 * cases below exercise its logic, not the process around it (the two above do).
 */
async function replaceInProcess(pulumi: ReturnType<typeof fakePulumi>, ...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const rebuild = process.env.MESOS_CLUSTER_REBUILD;
    try {
        const code = await main(args, {
            pulumi,
            out: (line) => out.push(line),
            err: (line) => err.push(line),
            load: async () => {
                vi.resetModules();
                return (await import("../index.js")) as Record<string, unknown>;
            },
        });
        const result = { code, stdout: out.map((l) => `${l}\n`).join(""), stderr: err.map((l) => `${l}\n`).join("") };
        for (const line of `${result.stdout}\n${result.stderr}`.split("\n")) expect(line.match(/error:/gi)?.length ?? 0, line).toBeLessThanOrEqual(1);
        return result;
    } finally {
        if (rebuild === undefined) delete process.env.MESOS_CLUSTER_REBUILD;
        else process.env.MESOS_CLUSTER_REBUILD = rebuild;
    }
}

// End to end, once: the process, its PATH, the stand-in pulumi it runs and the variable it sets.
// (A second process for --dry-run cost ~2 s of CPU; it runs in-process below.)
describe("npm run replace", () => {
    it("checks the stack state, then runs pulumi up --replace with MESOS_CLUSTER_REBUILD set", async () => {
        const env = pathWith({ masterStates: { "master-1": "running", "master-2": "running", "master-3": "running" } });
        const result = await replace(env, "master-1", "--", "--yes");
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/every other master is running according to the stack state/);
        const upArgs = fs.readFileSync(path.join(env.PATH!.split(":")[0], "up.args"), "utf8").trim().split("\n");
        expect(upArgs).toEqual(["REBUILD=master-1", "up", "--replace", MASTER_1_URN, "--stack", "dev", "--yes"]);
    });
});

// The program's evaluation under mocks is process-wide: these run one after another.
describe("npm run replace, its refusals and warnings (main() in-process)", () => {
    it("--dry-run prints the targeted up for master-1 with the engine's URN and the rebuild variable", async () => {
        const result = await replaceInProcess(fakePulumi(), "master-1", "--dry-run", "--", "--yes");
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout.trim()).toBe(`MESOS_CLUSTER_REBUILD=master-1 pulumi up --replace '${MASTER_1_URN}' --stack dev --yes`);
        expect(result.stderr).toMatch(/could not check whether another master is down/);
    });

    it("refuses an unknown node and lists the valid names", async () => {
        const result = await replaceInProcess(fakePulumi(), "master-4", "--dry-run");
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        expect(result.stderr).toContain('"master-4" is not a node of stack dev; valid names: border-1, quorum-1, quorum-2, quorum-3, master-1, master-2, master-3, worker-1, worker-2, worker-3');
    });

    it("says the pulumi CLI is needed when there is none and no --dry-run, before evaluating the plan", async () => {
        const result = await replaceInProcess(fakePulumi(), "worker-2");
        expect(result.code).toBe(1);
        // No `note:` about placeholders: the stack file was not even read.
        expect(result.stderr.trim().split("\n")).toEqual([
            "error: the pulumi CLI is needed to replace a node and none is on PATH (https://www.pulumi.com/docs/install/).",
            "error: --dry-run prints the command instead.",
        ]);
    });

    it("says why pulumi stack export failed with one error: prefix, before evaluating the plan", async () => {
        const result = await replaceInProcess(fakePulumi({ masterStates: {}, exportFails: true }), "master-1", "--dry-run");
        expect(result.code).toBe(1);
        expect(result.stderr.trim()).toBe("error: pulumi stack export --stack dev failed: no stack named 'dev' found");
    });

    it("warns with seed 002's rule before replacing a master while another is down", async () => {
        const result = await replaceInProcess(fakePulumi({ masterStates: { "master-1": "running", "master-2": "stopped", "master-3": "running" } }), "master-1", "--dry-run");
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/warning: replacing master-1 while another master is down: master-2 \(instanceState stopped\)/);
        expect(result.stderr).toMatch(/the quorum is LOST/);
        expect(result.stderr).toMatch(/never lose the quorum; and a replaced master may start with an empty log only if the old one can never come back/);
    });

    it("refuses a node the stack state does not hold", async () => {
        const result = await replaceInProcess(fakePulumi({ masterStates: { "master-2": "running", "master-3": "running" } }), "master-1", "--dry-run");
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`${MASTER_1_URN} is not in the state of stack dev`);
    });
});
