import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretPath } from "../components/catalog/secrets";
import { commands, evaluateDev, run } from "./helpers/postSteps";
import { fakeZookeeper, leaderWorld, lines, nodeFile, scratch, script, shims } from "./helpers/standIns";

// Issue 12, item 3: the post-steps and cluster-status call Marathon and Mesos with the node's own
// credentials, read from its secret file and handed to curl on stdin (never argv), and refuse,
// naming the file, when it is missing. Item 4: the local ZooKeeper is asked on the node's own
// address (clientPortAddress), not 127.0.0.1.

const PASSWORD = "s3cret-Passw0rd_for.tests";
const dir = scratch("auth-scripts");
const goodFile = path.join(dir, "http-operator");
fs.writeFileSync(goodFile, `operator:${PASSWORD}`, { mode: 0o600 });
const missing = path.join(dir, "no-such-dir", "http-operator");

/** A curl that records its argv, one line per call, then does nothing (exit 7: cannot connect). */
function recordingCurl() {
    const log = path.join(scratch("curl"), "argv");
    const env = shims({ curl: `printf '%s\\n' "$*" >> ${log}; exit 7`, systemctl: `echo "systemctl $*" >> ${log}` });
    return { env, calls: () => lines(log) };
}

const MASTERS = ["master-1=10.136.64.11", "master-2=10.136.64.12", "master-3=10.136.64.13"];
const STEP_DOWN = ["--self", "master-3", "--preferred", "master-1", "--domain", "cell-1.dc-1.demo.lan", "--timeout", "1"];

// The dev stack's evaluation first (shared by the worker; a second or more of CPU that blocks this
// process): the cases below run side by side with fake servers in this very process, which must
// answer within the scripts' deadlines meanwhile.
beforeAll(() => evaluateDev(), 120_000);

describe.concurrent("a missing or unusable credentials file is refused, naming the file, before any HTTP request", () => {
    const cases: [string, string, string[]][] = [
        ["leader-step-down (step down)", "leader-step-down.sh", [...STEP_DOWN, ...MASTERS]],
        ["leader-step-down --verify", "leader-step-down.sh", ["--verify", "--preferred", "master-1", "--domain", "cell-1.dc-1.demo.lan", "--timeout", "1", ...MASTERS]],
        ["agent-reregister", "agent-reregister.sh", ["--hostname", "worker-1.cell-1.dc-1.demo.lan", "--timeout", "1", "http://10.136.64.11:5050"]],
    ];
    it.each(cases)("%s: no file", async (_, file, args) => {
        const curl = recordingCurl();
        const result = await run("bash", [script(file), "--credentials", missing, ...args], { env: curl.env });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`error: no HTTP credentials: ${missing} does not exist`);
        expect(curl.calls()).toEqual([]);
    });

    it.each(cases)("%s: the default file (the node's secret) missing", async (_, file, args) => {
        const curl = recordingCurl();
        const result = await run("bash", [script(file), ...args], { env: { ...curl.env, MESOS_CLUSTER_HTTP_CREDENTIALS: missing } });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`no HTTP credentials: ${missing} does not exist`);
        expect(curl.calls()).toEqual([]);
    });

    it.each([
        ["empty", "", "is empty"],
        ["no password", "operator", "does not hold user:password on its first line"],
        ["a quote in it", 'operator:pa"ss', "does not hold user:password on its first line"],
        ["a space in it", "operator:pa ss", "does not hold user:password on its first line"],
    ])("leader-step-down: a file %s", async (_, content, message) => {
        const file = path.join(scratch("bad"), "http-operator");
        fs.writeFileSync(file, content);
        const curl = recordingCurl();
        const result = await run("bash", [script("leader-step-down.sh"), "--credentials", file, ...STEP_DOWN, ...MASTERS], { env: curl.env });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`no HTTP credentials: ${file} ${message}`);
        expect(curl.calls()).toEqual([]);
    });

    it("cluster-status: no file", async () => {
        const masters = path.join(scratch("masters"), "masters");
        fs.writeFileSync(masters, "master-1 10.136.64.11\n");
        const curl = recordingCurl();
        // cluster-status reads /etc/mesos-cluster/masters; run a copy pointed at the test's file.
        const copy = path.join(path.dirname(masters), "cluster-status");
        fs.writeFileSync(copy, fs.readFileSync(nodeFile("cluster-status.sh"), "utf8").replace("masters_file=/etc/mesos-cluster/masters", `masters_file=${masters}`));
        const result = await run("bash", [copy], { env: { ...curl.env, MESOS_CLUSTER_HTTP_CREDENTIALS: missing } });
        expect(result.code).toBe(2);
        expect(result.stderr).toBe(`cluster-status: no HTTP credentials: ${missing} does not exist\n`);
        expect(curl.calls()).toEqual([]);
    });
});

// The suites run side by side (each its own fake leader, ZooKeeper or stand-ins); the cases of
// the next one share its leader's record of requests, so they run in order.
describe.concurrent("the credentials reach Marathon and Mesos as basic auth, and never a command line", () => {
    let server: http.Server;
    let port = 0;
    const seen: string[] = [];
    const expected = `Basic ${Buffer.from(`operator:${PASSWORD}`).toString("base64")}`;
    beforeAll(async () => {
        // A leading Mesos master that, like Marathon with --http_credentials, answers 401 without them.
        server = http.createServer((req, res) => {
            seen.push(req.headers.authorization ?? "none");
            if (req.headers.authorization !== expected) return res.writeHead(401, { "WWW-Authenticate": 'Basic realm="Mesos"' }).end();
            if (req.url === "/master/redirect") return res.writeHead(307, { Location: `//127.0.0.1:${port}` }).end();
            return res.end(JSON.stringify({ slaves: [{ id: "new-S1", hostname: "worker-2.cell-1.example", active: true }] }));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => server.close());

    it.sequential("agent-reregister authenticates with the file's user:password; curl's argv holds only -K -", async () => {
        const log = path.join(scratch("argv"), "curl");
        const real = (process.env.PATH ?? "").split(":").map((d) => path.join(d, "curl")).find((p) => fs.existsSync(p));
        const env = shims({ curl: `printf '%s\\n' "$*" >> ${log}; exec ${real} "$@"` });
        const result = await run("bash", [script("agent-reregister.sh"), "--credentials", goodFile, "--hostname", "worker-2.cell-1.example", "--timeout", "2", `http://127.0.0.1:${port}`], { env });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain("lists one agent for worker-2.cell-1.example: new-S1, active");
        expect(seen.length).toBeGreaterThanOrEqual(2);
        expect(new Set(seen)).toEqual(new Set([expected]));
        const argv = lines(log);
        expect(argv.length).toBe(seen.length);
        for (const line of argv) {
            expect(line.startsWith("-K - ")).toBe(true);
            expect(line).not.toContain(PASSWORD);
            expect(line).not.toMatch(/-u |--user|Authorization/);
        }
    });

    it.sequential("with the wrong password the leader's 401 is a failure, bounded, not a success", async () => {
        const wrong = path.join(scratch("wrong"), "http-operator");
        fs.writeFileSync(wrong, "operator:not-the-password-123456");
        const result = await run("bash", [script("agent-reregister.sh"), "--credentials", wrong, "--hostname", "worker-2.cell-1.example", "--timeout", "1", `http://127.0.0.1:${port}`]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/error: after 1 s: /);
    });

    it.sequential("leader-step-down sends them to Mesos and Marathon alike (curl -K - on every call)", async () => {
        const world = leaderWorld(["master-1"], ["master-1"]);
        const log = path.join(scratch("argv"), "curl");
        // The world's curl answers; a wrapper in front of it records argv.
        const worldCurl = path.join(world.env.PATH!.split(":")[0], "curl");
        const env = shims({ curl: `printf '%s\\n' "$*" >> ${log}; exec ${worldCurl} "$@"` });
        const result = await run("bash", [script("leader-step-down.sh"), "--credentials", goodFile, "--verify", "--preferred", "master-1", "--domain", "cell-1.dc-1.demo.lan", "--timeout", "1", ...MASTERS], {
            env: { ...world.env, PATH: `${env.PATH!.split(":")[0]}:${world.env.PATH}` },
        });
        expect(result.code, result.stderr).toBe(0);
        const argv = lines(log);
        expect(argv).toHaveLength(6);
        for (const line of argv) {
            expect(line.startsWith("-K - ")).toBe(true);
            expect(line).not.toContain(PASSWORD);
        }
    });
});

describe.concurrent("the post-step commands name the credentials file, never its content", () => {
    it("leader-step-down and agent-reregister pass --credentials <the contract's http-operator path>; no create text holds a password", async () => {
        const dev = await evaluateDev();
        const all = commands(dev);
        const http = all.filter((c) => /-(leader-step-down|agent-reregister)-/.test(c.name));
        expect(http.length).toBe(10);
        for (const c of http) expect(c.inputs.create as string).toContain(` '--credentials' '${secretPath("httpOperator")}' `);
        expect(secretPath("httpOperator")).toBe("/etc/mesos-cluster/secrets/http-operator");
        for (const c of all) expect(c.inputs.create as string).not.toMatch(/operator:[^\s'"]|zk:\/\/[^\s'"]*@|-u operator/);
    }, 120_000);
});

describe.concurrent("exhibitor-rewrite asks the local ZooKeeper on --self, where it listens (clientPortAddress)", () => {
    let zk: net.Server;
    let port = 0;
    beforeAll(async () => {
        // Only on 127.0.0.2: nothing answers on 127.0.0.1 at this port.
        ({ server: zk, port } = await fakeZookeeper("127.0.0.2"));
    });
    afterAll(() => zk.close());

    it("serves when asked on --self; without --self (127.0.0.1) it would find nothing", async () => {
        const file = path.join(scratch("exhibitor"), "exhibitor");
        fs.writeFileSync(file, "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:127.0.0.2\n");
        const env = shims({ systemctl: "true" });
        const withSelf = await run("bash", [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(port), "--self", "127.0.0.2", "--timeout", "3", "1:127.0.0.2"], { env });
        expect(withSelf.code, withSelf.stderr).toBe(0);
        expect(withSelf.stdout).toContain(`waiting for the local ZooKeeper on 127.0.0.2:${port}`);
        expect(withSelf.stdout).toContain("local ZooKeeper serves as standalone");
        const without = await run("bash", [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(port), "--timeout", "2", "1:127.0.0.2"], { env });
        expect(without.code).toBe(1);
        expect(without.stderr).toContain(`the local ZooKeeper does not serve after 2 s (srvr on 127.0.0.1:${port}`);
    });

    it("the plan's exhibitor-rewrite commands pass each master's own IP as --self", async () => {
        const dev = await evaluateDev();
        const rewrites = commands(dev).filter((c) => c.name.includes("-exhibitor-rewrite-"));
        expect(rewrites).toHaveLength(3);
        const ips: Record<string, string> = { "master-1": "10.136.64.11", "master-2": "10.136.128.11", "master-3": "10.136.192.11" };
        for (const c of rewrites) {
            const master = c.name.replace("cell-1-exhibitor-rewrite-", "");
            expect(c.inputs.create as string).toContain(` '--self' '${ips[master]}' `);
        }
    }, 120_000);
});
