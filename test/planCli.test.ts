import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { main } from "../scripts/offline/planCli";
import { PROJECT_ROOT } from "./helpers/devConfig";
import { FIVE_MISTAKES_ERRORS, FIVE_MISTAKES_YAML } from "./helpers/mistakes";

// The plan CLI end to end, as an operator runs it (planTimed, planThroughSlowPipe below): a
// fresh node process that loads index.ts through the Pulumi CLI's own ts-node registration
// (type-checking on).

/**
 * The CLI's main() in this process, its console output captured; a plan it evaluates imports
 * index.ts afresh through vitest's loader.
 */
async function planInProcess(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...line: unknown[]) => void out.push(line.join(" ")));
    const error = vi.spyOn(console, "error").mockImplementation((...line: unknown[]) => void err.push(line.join(" ")));
    try {
        const code = await main(args, async () => {
            vi.resetModules();
            return (await import("../index.js")) as Record<string, unknown>;
        });
        return { code, stdout: out.map((l) => `${l}\n`).join(""), stderr: err.map((l) => `${l}\n`).join("") };
    } finally {
        log.mockRestore();
        error.mockRestore();
    }
}

/** The CLI in a process of its own, with the CPU time (user + system) the CLI's process took, from bash's `times`. */
function planTimed(...args: string[]) {
    const result = spawnSync("bash", ["-c", `node "$0" "$@"; code=$?; times >&2; exit $code`, path.join(PROJECT_ROOT, "scripts", "plan.js"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, MESOS_CLUSTER_REBUILD: "" },
    });
    const lines = result.stderr.trimEnd().split("\n");
    const seconds = (field: string) => {
        const [, minutes, secs] = field.match(/^(\d+)m([\d.]+)s$/)!;
        return Number(minutes) * 60 + Number(secs);
    };
    const [user, system] = lines[lines.length - 1].split(" ").map(seconds); // the children's line
    return { code: result.status, stdout: result.stdout, stderr: lines.slice(0, -2).join("\n") + "\n", cpuSeconds: user + system };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));
const DEV = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
// Enough for a --json plan well over a pipe's 64 KB buffer (about 105 KB; the dev stack's is 32 KB).
const WORKERS = 50;

/**
 * `plan.js ARGS | reader` as a shell runs it, with a reader slower than the writer: it starts
 * reading only after the CLI has said on stderr that it wrote --out, so a CLI that exits before
 * stdout drains leaves the reader 64 KB (the pipe's buffer) of a larger plan.
 */
function planThroughSlowPipe(...args: string[]) {
    const out = path.join(tmp, "piped.json");
    const err = path.join(tmp, "piped.err");
    const script = `node "$0" "$@" 2>"${err}" | { for _ in $(seq 1200); do grep -qE '^(wrote |error: )' "${err}" && break; sleep 0.1; done; sleep 1; cat > "${out}"; }; exit \${PIPESTATUS[0]}`;
    const result = spawnSync("bash", ["-c", script, path.join(PROJECT_ROOT, "scripts", "plan.js"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: 180_000,
        env: { ...process.env, MESOS_CLUSTER_REBUILD: "" },
    });
    return { code: result.status, stdout: fs.readFileSync(out, "utf8"), stderr: fs.readFileSync(err, "utf8") };
}

const outDir = path.join(tmp, "out");
const yamlFiles = () => fs.readdirSync(path.join(outDir, "cloud-config")).filter((f) => f.endsWith(".yaml"));

describe("npm run plan", () => {
    let json: ReturnType<typeof planThroughSlowPipe>;
    beforeAll(() => {
        // An --out directory from an earlier plan, with a node that no longer exists.
        fs.mkdirSync(path.join(outDir, "cloud-config"), { recursive: true });
        fs.writeFileSync(path.join(outDir, ".mesos-cluster-plan"), "");
        fs.writeFileSync(path.join(outDir, "cloud-config", "worker-999.yaml"), "stale");
        const big = path.join(tmp, "Pulumi.big.yaml");
        fs.writeFileSync(big, DEV.replace("worker: { count: 3, instanceType: m5.xlarge }", `worker: { count: ${WORKERS}, instanceType: m5.xlarge }`));
        json = planThroughSlowPipe("--config", big, "--json", "--out", outDir);
    });

    it("prints a plan larger than a pipe's buffer as one whole JSON object through a slow pipe", () => {
        expect(json.code, json.stderr).toBe(0);
        expect(json.stdout.length).toBeGreaterThan(65_536);
        const report = JSON.parse(json.stdout);
        expect(report.mesosQuorum).toBe(2);
        expect(report.exhibitorStaticEnsemble).toBe("1:10.136.128.11,2:10.136.192.11,3:10.136.64.11");
        expect(report.nodes).toHaveLength(7 + WORKERS);
        expect(report.nodes.find((n: { name: string }) => n.name === "master-1")).toMatchObject({
            role: "master",
            fqdn: "master-1.cell-1.dc-1.demo.lan",
            privateIp: "10.136.64.11",
            availabilityZone: "eu-west-1a",
            subnetCidr: "10.136.64.0/18",
            instanceType: "m5.large",
            userDataGzip: expect.any(Boolean),
        });
        expect(report.nodes.find((n: { name: string }) => n.name === "master-2")).toMatchObject({ privateIp: "10.136.128.11", availabilityZone: "eu-west-1b", subnetCidr: "10.136.128.0/18" });
        expect(report.nodes.find((n: { name: string }) => n.name === "border-1")).toMatchObject({ privateIp: "10.136.0.11", availabilityZone: "eu-west-1a", subnetCidr: "10.136.0.0/24" });
        for (const node of report.nodes) {
            expect(node.userDataBytes).toBeGreaterThan(0);
            expect(node.userDataBytes).toBeLessThanOrEqual(16384);
        }
        expect(report.resources).toContainEqual({ type: "aws:ec2/instance:Instance", name: "cell-1-master-1" });
        expect(report.resources).toContainEqual({ type: "aws:ec2/vpc:Vpc", name: "cell-1-net-vpc" });
    });

    it("writes every node's user data as text with --out, and nothing from an earlier plan", () => {
        const files = yamlFiles();
        expect(files).toContain("master-1.yaml");
        expect(files).not.toContain("worker-999.yaml");
        expect(files).toHaveLength(7 + WORKERS);
        const text = fs.readFileSync(path.join(outDir, "cloud-config", "master-1.yaml"), "utf8");
        expect(text.startsWith("#cloud-config\n")).toBe(true);
        const doc = parse(text);
        expect(doc.hostname).toBe("master-1");
        expect(doc.fqdn).toBe("master-1.cell-1.dc-1.demo.lan");
    });

    // main() in this process (issue 14: a CLI process costs ~2 s of CPU; the two around this
    // one cover the process itself: its exit codes, stdout through a pipe, stderr).
    it("prints a readable table by default; a smaller plan into the same --out leaves only its own files", async () => {
        const table = await planInProcess("--out", outDir);
        expect(table.code, table.stderr).toBe(0);
        expect(table.stdout).toMatch(/^NAME\s+ROLE\s+FQDN\s+ZONE\s+PRIVATE IP\s+TYPE\s+USER DATA$/m);
        expect(table.stdout).toMatch(/^master-1\s+master\s+master-1\.cell-1\.dc-1\.demo\.lan\s+eu-west-1a\s+10\.136\.64\.11\s+m5\.large/m);
        expect(table.stdout).toMatch(/^master-3\s+master\s+master-3\.cell-1\.dc-1\.demo\.lan\s+eu-west-1c\s+10\.136\.192\.11\s+m5\.large/m);
        expect(table.stdout).toContain("Mesos quorum:              2 of 3 masters");
        expect(yamlFiles().sort()).toEqual(["border-1", "master-1", "master-2", "master-3", "quorum-1", "quorum-2", "quorum-3", "worker-1", "worker-2", "worker-3"].map((n) => `${n}.yaml`));
    });

    it("refuses a file with five mistakes with five error lines, exit code 1, in well under 10 s of CPU", () => {
        const file = path.join(tmp, "Pulumi.five.yaml");
        fs.writeFileSync(file, FIVE_MISTAKES_YAML);
        const bad = planTimed("--config", file, "--json");
        // CPU time, not the wall clock: on a shared machine the latter also counts the others.
        expect(bad.cpuSeconds).toBeLessThan(10);
        expect(bad.code).toBe(1);
        expect(bad.stdout).toBe("");
        expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(bad.stderr.split("\n").filter((line) => line.startsWith("error: "))).toEqual(FIVE_MISTAKES_ERRORS);
    });

});

// Refusals that end before the program is evaluated: the CLI's main() in this process (issue 14:
// a process each cost ~0.6 s of CPU; the process around main() is covered above).
describe("npm run plan refuses, before evaluating anything (main() in-process)", () => {
    it("refuses files that are not stack files, naming the file", async () => {
        const empty = path.join(tmp, "Pulumi.empty.yaml");
        fs.writeFileSync(empty, "");
        expect(await planInProcess("--config", empty)).toMatchObject({ code: 1, stderr: `error: ${empty}: is empty; a stack config file holds a config: map of mesos-cluster:* keys\n` });
        const notYaml = path.join(tmp, "Pulumi.tabs.yaml");
        fs.writeFileSync(notYaml, "config:\n\taws:region: eu-west-1\n");
        expect(await planInProcess("--config", notYaml)).toMatchObject({ code: 1, stderr: `error: ${notYaml}: line 2, column 1: is not valid YAML: Tabs are not allowed as indentation\n` });
        const missing = await planInProcess("--stack", "nope");
        expect(missing.code).toBe(1);
        expect(missing.stderr).toBe(`error: ${path.join(PROJECT_ROOT, "Pulumi.nope.yaml")}: no such stack config file\n`);
    });

    it("refuses an --out directory it did not write, and touches nothing in it", async () => {
        const mine = path.join(tmp, "mine");
        fs.mkdirSync(mine);
        fs.writeFileSync(path.join(mine, "notes.txt"), "keep");
        const refused = await planInProcess("--out", mine);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toBe(`error: --out ${mine}: is not empty and was not written by npm run plan (no .mesos-cluster-plan in it); name a new or empty directory\n`);
        expect(fs.readdirSync(mine)).toEqual(["notes.txt"]);
    });

    it("refuses unknown flags", async () => {
        const flag = await planInProcess("--jsn");
        expect(flag.code).toBe(2);
        expect(flag.stdout).toBe("");
        expect(flag.stderr).toMatch(/usage: npm run plan/);
    });
});
