import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { renderAllUserData } from "../components/userdata/userData";
import { singleZoneRawConfig, withPatch } from "./helpers/devConfig";
import { run } from "./helpers/postSteps";
import { leaderWorld, lines, nodeFile, scratch, script, shims, snapshot } from "./helpers/standIns";

// Behaviours a plausible bug once broke with the suite still green (issue 15). Expected values
// are written out literally, never computed with the code under test, and the example data is
// chosen so that the right answer and the plausible wrong one differ.

// Most cases wait on a script's own 1-2 s deadline, not on the CPU: run them side by side
// (vitest's default is 5 at a time).
vi.setConfig({ maxConcurrency: 32 });

describe("seed 001: each master's Exhibitor env file is the string-sorted ensemble", () => {
    // Numeric (and node) order .9 < .10 < .100; string order "…10" < "…100" < "…9". One
    // subnet, so that three addresses differ only in their last byte.
    const raw = withPatch(singleZoneRawConfig(), { nodes: { master: { count: 3, ips: ["10.136.64.9", "10.136.64.10", "10.136.64.100"] } } });
    const validated = validateConfig(raw);
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    const rendered = renderAllUserData(planCluster(validated.config));

    /** What the instance is sent, decoded as cloud-init would, then its write_files entry. */
    const envFileOf = (node: string) => {
        const data = rendered.userData.get(node)!;
        const text = data.userData ?? zlib.gunzipSync(Buffer.from(data.userDataBase64!, "base64")).toString("utf8");
        const doc = parse(text) as { write_files: { path: string; content: string }[] };
        return doc.write_files.filter((f) => f.path === "/etc/mesos-cluster/exhibitor").map((f) => f.content);
    };

    it.each(["master-1", "master-2", "master-3"])("%s writes 1:.10, 2:.100, 3:.9", (node) => {
        expect(rendered.errors).toEqual([]);
        expect(envFileOf(node)).toEqual(["EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.136.64.10,2:10.136.64.100,3:10.136.64.9\n"]);
    });
});

describe("zk-static-ensemble takes myid and server.N from the entry's id, not its position", () => {
    // Ids out of order and with gaps; IPs whose string and numeric order differ.
    const ensemble = "3:10.0.0.9,1:10.0.0.10,7:10.0.0.100";
    const servers = "server.3=10.0.0.9:2888:3888;10.0.0.9:2181\nserver.1=10.0.0.10:2888:3888;10.0.0.10:2181\nserver.7=10.0.0.100:2888:3888;10.0.0.100:2181\n";

    it.concurrent.each([
        ["10.0.0.9", "3\n"],
        ["10.0.0.10", "1\n"],
        ["10.0.0.100", "7\n"],
    ])("--ip %s gets myid %j", async (ip, myid) => {
        const dir = scratch("launcher-ids");
        fs.writeFileSync(path.join(dir, "exhibitor"), `EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=${ensemble}\n`);
        const result = await run("bash", [nodeFile("zk-static-ensemble.sh"), "--env", path.join(dir, "exhibitor"), "--ip", ip, "--conf-dir", path.join(dir, "conf"), "--data-dir", path.join(dir, "data"), "--", "true"]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(fs.readFileSync(path.join(dir, "data", "myid"), "utf8")).toBe(myid);
        const zooCfg = fs.readFileSync(path.join(dir, "conf", "zoo.cfg"), "utf8");
        expect(zooCfg.endsWith(`quorumListenOnAllIPs=true\n${servers}`)).toBe(true);
    });
});

const MASTERS3 = ["master-1=10.136.64.11", "master-2=10.136.64.12", "master-3=10.136.64.13"];
const common = ["--preferred", "master-1", "--domain", "cell-1.dc-1.demo.lan", "--timeout", "1"];

describe.concurrent("leader-step-down.sh --verify: both leaders must be the preferred master", () => {
    it.each([
        ["mesos led by master-1, marathon by master-2", ["master-1"], ["master-2"], /mesos leader: master-1 .*marathon leader: master-2/],
        ["mesos led by master-2, marathon by master-1", ["master-2"], ["master-1"], /mesos leader: master-2 .*marathon leader: master-1/],
    ])("fails when %s", async (_, mesos, marathon, message) => {
        const world = leaderWorld(mesos, marathon);
        const result = await run("bash", [script("leader-step-down.sh"), "--verify", ...common, ...MASTERS3], { env: world.env });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/leader-step-down: error: expected master-1 to lead, after 1 s: /);
        expect(result.stderr).toMatch(message);
        expect(world.actions()).toEqual([]);
    });

    it("passes when both are led by master-1", async () => {
        const world = leaderWorld(["master-1"], ["master-1"]);
        const result = await run("bash", [script("leader-step-down.sh"), "--verify", ...common, ...MASTERS3], { env: world.env });
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/mesos leader: master-1, marathon leader: master-1: the preferred master leads/);
    });
});

describe.concurrent("leader-step-down.sh: the quorum margin (seed 002) over five masters", () => {
    // master-3 leads Mesos, master-1 is preferred; masters down from master-5 backwards. Stepping
    // down takes master-3 away: it acts only if the others still make the quorum without it.
    const MASTERS5 = [...MASTERS3, "master-4=10.136.64.14", "master-5=10.136.64.15"];
    const down = (n: number) => ["10.136.64.15", "10.136.64.14", "10.136.64.12"].slice(0, n);
    const stepDown = (answering: number, extra: string[] = []) => {
        const world = leaderWorld(["master-3", "master-2", "master-1", "master-4", "master-5"], ["master-1"], { down: down(5 - answering) });
        return run("bash", [script("leader-step-down.sh"), "--self", "master-3", ...common, ...extra, ...MASTERS5], { env: world.env }).then((result) => ({ result, world }));
    };

    it.each([
        [2, "quorum - 1"],
        [3, "exactly the quorum"],
    ])("refuses with %i masters answering (%s of 3): nothing restarted", async (answering) => {
        const { result, world } = await stepDown(answering);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`mesos: only ${answering} of 5 masters answer \\(.*\\); stepping down master-3 would leave fewer than 3 running`));
        expect(world.actions()).toEqual([]);
    });

    it("acts with 4 answering (quorum + 1): one restart of mesos-master, no DELETE (marathon is on master-1)", async () => {
        const { result, world } = await stepDown(4);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(world.actions()).toEqual(["systemctl restart mesos-master.service"]);
        expect(result.stdout).toMatch(/mesos leader: master-3 -> master-2 after/);
    });

    it("--quorum 2 overrides the majority: 3 answering is then enough", async () => {
        const { result, world } = await stepDown(3, ["--quorum", "2"]);
        expect(result.code, result.stderr).toBe(0);
        expect(world.actions()).toEqual(["systemctl restart mesos-master.service"]);
    });

    it("--quorum 4: 4 answering is then not enough", async () => {
        const { result, world } = await stepDown(4, ["--quorum", "4"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/mesos: only 4 of 5 masters answer .*would leave fewer than 4 running/);
        expect(world.actions()).toEqual([]);
    });

    it.each([
        [1, 1],
        [2, 0],
    ])("marathon: with %i answering, the leader on master-3 refuses (1) or abdicates (0): one other instance must take over", async (answering, code) => {
        const world = leaderWorld(["master-1"], ["master-3", "master-2", "master-1"], { down: ["10.136.64.11", "10.136.64.12"].slice(0, 3 - answering) });
        const result = await run("bash", [script("leader-step-down.sh"), "--self", "master-3", ...common, ...MASTERS3], { env: world.env });
        expect(result.code).toBe(code);
        if (code === 1) {
            expect(result.stderr).toMatch(/marathon: only 1 of 3 masters answer \(.*\); stepping down master-3 would leave fewer than 1 running/);
            expect(world.actions()).toEqual([]);
        } else {
            expect(world.actions()).toEqual(["curl -X DELETE http://10.136.64.13:8080/v2/leader"]);
        }
    });
});

describe.concurrent("wait-ready.sh: cloud-init's verdict and each unit state a real system reports", () => {
    // cloud-init status --wait: 0 done, 1 error, 2 done with recoverable errors; while running
    // it blocks, so only wait-ready's own timeout ends it.
    const cloudInit = (code: number, says: string) => `[[ "$*" == "status --wait" ]] || exit 9; echo "status: ${says}"; exit ${code}`;
    const running = `[[ "$*" == "status --wait" ]] || exit 9; exec sleep 30`;
    // systemctl is-active prints the state; exit 0 only for active.
    const systemctl = (log: string, states: Record<string, string>) =>
        [`echo "$*" >> ${log}`, `[[ $1 == is-active ]] || exit 9`, `case $2 in ${Object.entries(states).map(([u, s]) => `${u}) echo ${s}; [[ ${s} == active ]] ;;`).join(" ")} *) echo inactive; exit 3 ;; esac`].join("\n");

    const waitReady = async (cloud: string, states: Record<string, string>) => {
        const log = path.join(scratch("wait-ready"), "systemctl.log");
        const env = shims({ "cloud-init": cloud, systemctl: systemctl(log, states) });
        const result = await run("bash", [script("wait-ready.sh"), "--timeout", "1", ...Object.keys(states)], { env });
        return { result, calls: lines(log) };
    };

    it.each([
        [0, "done"],
        [2, "degraded done"],
    ])("carries on when cloud-init exits %i (%s) and every unit is active", async (code, says) => {
        const { result } = await waitReady(cloudInit(code, says), { "zookeeper.service": "active", "marathon.service": "active" });
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/ready: zookeeper.service marathon.service active/);
    });

    it("stops when cloud-init reports error (exit 1), before looking at any unit", async () => {
        const { result, calls } = await waitReady(cloudInit(1, "error"), { "zookeeper.service": "active" });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/wait-ready: error: cloud-init failed with status 1 /);
        expect(calls).toEqual([]);
    });

    it("stops when cloud-init is still running at the deadline, before looking at any unit", async () => {
        const { result, calls } = await waitReady(running, { "zookeeper.service": "active" });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/wait-ready: error: cloud-init still running after 1 s/);
        expect(calls).toEqual([]);
    });

    it.each(["activating", "deactivating", "failed", "inactive"])("does not count a unit that is %s as ready", async (state) => {
        const { result, calls } = await waitReady(cloudInit(0, "done"), { "zookeeper.service": "active", "mesos-master.service": state });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`wait-ready: error: not active after 1 s: mesos-master.service=${state} `));
        expect(result.stderr).not.toContain("zookeeper.service=");
        // It only asks; it never starts, restarts or stops anything.
        expect(calls.every((c) => c.startsWith("is-active "))).toBe(true);
    });

    it("names every unit that is not active, with its state", async () => {
        const { result } = await waitReady(cloudInit(0, "done"), { "a.service": "failed", "b.service": "active", "c.service": "activating" });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/not active after 1 s: a.service=failed c.service=activating /);
    });
});

// Keep snapshot() honest: a changed byte shows.
describe("snapshot", () => {
    it("sees a changed byte and a new file", () => {
        const dir = scratch("snapshot");
        fs.writeFileSync(path.join(dir, "f"), "a");
        const before = snapshot(dir);
        fs.writeFileSync(path.join(dir, "f"), "b");
        expect(snapshot(dir)).not.toEqual(before);
        fs.writeFileSync(path.join(dir, "f"), "a");
        expect(snapshot(dir)).toEqual(before);
        fs.writeFileSync(path.join(dir, ".f.tmp"), "");
        expect(snapshot(dir)).not.toEqual(before);
    });
});
