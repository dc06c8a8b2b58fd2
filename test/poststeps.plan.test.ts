import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { SCRIPT_DELIMITER, SCRIPTS_DIR } from "../components/poststeps/commandSpec";
import { planPostSteps } from "../components/poststeps/sequence";
import { shellQuote } from "../components/text/shellQuote";
import { devRawConfig, singleZoneRawConfig } from "./helpers/devConfig";

function planOf(overrides: Record<string, unknown> = {}, raw = devRawConfig()) {
    const validated = validateConfig({ ...raw, ...overrides });
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    return planCluster(validated.config);
}

const fiveMasters = () =>
    planOf({
        nodes: {
            border: { count: 1, instanceType: "t3.small" },
            quorum: { count: 3, instanceType: "t3.medium" },
            master: { count: 5, instanceType: "m5.large", ips: ["10.136.64.9", "10.136.64.10", "10.136.64.11", "10.136.64.12", "10.136.64.100"] },
            worker: { count: 2, instanceType: "m5.xlarge" },
        },
        // One subnet: five addresses that sort differently as strings and as numbers.
    }, singleZoneRawConfig());

describe("post-step planning (pure)", () => {
    it("plans a 5-master stack: ensemble sorted as strings, 4 rounds of 5 step-downs, then verify", () => {
        const plan = fiveMasters();
        const specs = planPostSteps(plan);
        // Seed 001: sorted as strings, so .10 < .100 < .11 < .12 < .9.
        expect(plan.exhibitorStaticEnsemble).toBe("1:10.136.64.10,2:10.136.64.100,3:10.136.64.11,4:10.136.64.12,5:10.136.64.9");
        const rewrites = specs.filter((s) => s.step === "exhibitor-rewrite");
        expect(rewrites.map((s) => s.node)).toEqual(["master-1", "master-2", "master-3", "master-4", "master-5"]);
        for (const spec of rewrites) {
            expect(spec.script).toContain(`'--file' '/etc/mesos-cluster/exhibitor' '--unit' 'zookeeper.service' '--port' '2181' '--self' '${spec.host}' '--timeout' '600' '${plan.exhibitorStaticEnsemble}' <<'${SCRIPT_DELIMITER}'`);
        }
        const stepDowns = specs.filter((s) => s.step === "leader-step-down");
        expect(stepDowns.map((s) => s.name)).toEqual([
            ...[1, 2, 3, 4].flatMap((r) => [1, 2, 3, 4, 5].map((m) => `cell-1-leader-step-down-r${r}-master-${m}`)),
            "cell-1-leader-step-down-verify",
        ]);
        const masters = "'master-1=10.136.64.9' 'master-2=10.136.64.10' 'master-3=10.136.64.11' 'master-4=10.136.64.12' 'master-5=10.136.64.100'";
        expect(stepDowns[7].script).toContain(`'--self' 'master-3' '--preferred' 'master-1' '--domain' 'cell-1.dc-1.demo.lan' '--quorum' '3' '--mesos-port' '5050' '--marathon-port' '8080' '--mesos-unit' 'mesos-master.service' '--credentials' '/etc/mesos-cluster/secrets/http-operator' '--timeout' '180' ${masters} <<`);
        expect(stepDowns.at(-1)!.script).toContain(`'--verify' '--preferred' 'master-1'`);
        expect(specs.filter((s) => s.step === "arp-purge")).toHaveLength(1 + 3 + 5 + 2);
        // Per quorum node its etcd swap (3 by default), per worker its agent check from a master.
        expect(specs.filter((s) => s.step === "etcd-member-swap").map((s) => s.node)).toEqual(["quorum-1", "quorum-2", "quorum-3"]);
        expect(specs.filter((s) => s.step === "agent-reregister").map((s) => s.node)).toEqual(["master-1", "master-2"]);
        expect(specs).toHaveLength(5 + 11 + 5 + 21 + 3 + 2);
    });

    it("plans no step-down at all when preferredLeader is empty", () => {
        const specs = planPostSteps(planOf({ preferredLeader: "" }));
        expect(specs.filter((s) => s.step === "leader-step-down")).toEqual([]);
        expect(specs.filter((s) => s.step === "exhibitor-rewrite").at(-1)!.name).toBe("cell-1-exhibitor-rewrite-master-3");
        expect(specs.some((s) => s.dependsOn.some((d) => d.includes("leader-step-down")))).toBe(false);
    });

    it("lists every command after all it depends on, names unique", () => {
        const specs = planPostSteps(fiveMasters());
        const seen = new Set<string>();
        for (const spec of specs) {
            for (const dependency of spec.dependsOn) expect(seen.has(dependency), `${spec.name} after ${dependency}`).toBe(true);
            expect(seen.has(spec.name)).toBe(false);
            seen.add(spec.name);
        }
    });

    it("keeps a 500-worker cluster at two commands per worker: its ARP purge and its agent check", () => {
        const plan = planOf({ nodes: { master: { count: 3, instanceType: "m5.large" }, worker: { count: 500, instanceType: "m5.xlarge" } } });
        const specs = planPostSteps(plan);
        expect(specs.filter((s) => s.node.startsWith("worker-"))).toHaveLength(500);
        expect(specs.filter((s) => s.step === "arp-purge" && s.node.startsWith("worker-"))).toHaveLength(500);
        expect(specs.filter((s) => s.step === "agent-reregister")).toHaveLength(500);
        // The checks spread over the masters.
        expect(new Set(specs.filter((s) => s.step === "agent-reregister").map((s) => s.node))).toEqual(new Set(["master-1", "master-2", "master-3"]));
    });

    it("quotes arguments so the shell hands them over unchanged", () => {
        expect(shellQuote("it's")).toBe(`'it'\\''s'`);
        const echoed = spawnSync("bash", ["-c", `printf '%s\\n' ${shellQuote("a b'$(c)`")}`], { encoding: "utf8" });
        expect(echoed.stdout).toBe("a b'$(c)`\n");
    });
});

function requireShellcheck(): void {
    const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
        throw new Error("shellcheck is not installed: apt-get install shellcheck (the scripts must be checked, not skipped)");
    }
}

function shellcheck(files: string[], shell?: string) {
    return spawnSync("shellcheck", [...(shell ? ["--shell", shell] : ["-x"]), "--severity=style", ...files], { encoding: "utf8" });
}

describe("shellcheck", () => {
    const scripts = fs.readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh")).map((f) => path.join(SCRIPTS_DIR, f));

    it("passes every script under templates/scripts", () => {
        requireShellcheck();
        expect(scripts.map((s) => path.basename(s)).sort()).toEqual(["agent-reregister.sh", "arp-purge.sh", "etcd-member-swap.sh", "exhibitor-rewrite.sh", "leader-step-down.sh", "wait-ready.sh"]);
        const result = shellcheck(scripts);
        expect(result.stdout + result.stderr).toBe("");
        expect(result.status).toBe(0);
    });

    it("passes every generated create text (dev and 5 masters), as sh: the login shell runs it", () => {
        requireShellcheck();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poststeps-sc-"));
        const files: string[] = [];
        for (const [label, plan] of [["dev", planOf()], ["five", fiveMasters()]] as const) {
            for (const spec of planPostSteps(plan)) {
                const file = path.join(dir, `${label}-${spec.name}.sh`);
                fs.writeFileSync(file, spec.script);
                files.push(file);
                // The here-document ends exactly once, at the end.
                expect(spec.script.split("\n").filter((line) => line === SCRIPT_DELIMITER)).toHaveLength(1);
                expect(spec.script.endsWith(`\n${SCRIPT_DELIMITER}\n`)).toBe(true);
            }
        }
        expect(files.length).toBe(29 + 47);
        const result = shellcheck(files, "sh");
        expect(result.stdout + result.stderr).toBe("");
        expect(result.status).toBe(0);
    });
});
