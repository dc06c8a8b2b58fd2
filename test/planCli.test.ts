import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "./helpers/devConfig";

// The plan CLI end to end, as an operator runs it: a fresh node process that loads index.ts
// through the Pulumi CLI's own ts-node registration (type-checking on).
function plan(...args: string[]) {
    const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "scripts", "plan.js"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, MESOS_CLUSTER_REBUILD: "" },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));

describe("npm run plan", () => {
    let json: ReturnType<typeof plan>;
    beforeAll(() => {
        json = plan("--stack", "dev", "--json", "--out", path.join(tmp, "out"));
    });

    it("prints the dev stack as one JSON object", () => {
        expect(json.code, json.stderr).toBe(0);
        const report = JSON.parse(json.stdout);
        expect(report.mesosQuorum).toBe(2);
        expect(report.exhibitorStaticEnsemble).toBe("1:10.136.64.11,2:10.136.64.12,3:10.136.64.13");
        expect(report.nodes).toHaveLength(10);
        expect(report.nodes.find((n: { name: string }) => n.name === "master-1")).toMatchObject({
            role: "master",
            fqdn: "master-1.cell-1.dc-1.demo.lan",
            privateIp: "10.136.64.11",
            instanceType: "m5.large",
            userDataGzip: expect.any(Boolean),
        });
        for (const node of report.nodes) {
            expect(node.userDataBytes).toBeGreaterThan(0);
            expect(node.userDataBytes).toBeLessThanOrEqual(16384);
        }
        expect(report.resources).toContainEqual({ type: "aws:ec2/instance:Instance", name: "cell-1-master-1" });
        expect(report.resources).toContainEqual({ type: "aws:ec2/vpc:Vpc", name: "cell-1-net-vpc" });
    });

    it("writes every node's user data as text with --out", () => {
        const dir = path.join(tmp, "out", "cloud-config");
        const files = fs.readdirSync(dir).sort();
        expect(files).toContain("master-1.yaml");
        expect(files.filter((f) => f.endsWith(".yaml"))).toHaveLength(10);
        const text = fs.readFileSync(path.join(dir, "master-1.yaml"), "utf8");
        expect(text.startsWith("#cloud-config\n")).toBe(true);
        const doc = parse(text);
        expect(doc.hostname).toBe("master-1");
        expect(doc.fqdn).toBe("master-1.cell-1.dc-1.demo.lan");
    });

    it("prints a readable table by default", () => {
        const table = plan();
        expect(table.code, table.stderr).toBe(0);
        expect(table.stdout).toMatch(/^NAME\s+ROLE\s+FQDN\s+PRIVATE IP\s+TYPE\s+USER DATA$/m);
        expect(table.stdout).toMatch(/^master-1\s+master\s+master-1\.cell-1\.dc-1\.demo\.lan\s+10\.136\.64\.11\s+m5\.large/m);
        expect(table.stdout).toContain("Mesos quorum:              2 of 3 masters");
    });

    it("refuses invalid config with error lines on stderr and exit code 1", () => {
        const file = path.join(tmp, "Pulumi.bad.yaml");
        const dev = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
        fs.writeFileSync(
            file,
            dev
                .replace("master: { count: 3, instanceType: m5.large }", "master: { count: 4, instanceType: m5.large }")
                .replace("privateSubnetCidr: 10.136.64.0/18", "privateSubnetCidr: 10.200.64.0/18"),
        );
        const bad = plan("--config", file, "--json");
        expect(bad.code).toBe(1);
        expect(bad.stdout).toBe("");
        const errors = bad.stderr.split("\n").filter((line) => line.startsWith("error: "));
        expect(errors).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^error: mesos-cluster:nodes\.master\.count: 4 must be odd/),
                expect.stringMatching(/^error: mesos-cluster:network\.privateSubnetCidr: "10\.200\.64\.0\/18" is outside vpcCidr/),
            ]),
        );
    });

    it("refuses an unknown stack and unknown flags", () => {
        const missing = plan("--stack", "nope");
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/Pulumi\.nope\.yaml: no such stack config file/);
        const flag = plan("--jsn");
        expect(flag.code).toBe(2);
        expect(flag.stderr).toMatch(/usage: npm run plan/);
    });
});
