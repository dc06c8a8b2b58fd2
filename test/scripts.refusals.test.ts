import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { run } from "./helpers/postSteps";
import { barePath, leaderWorld, lines, nodeFile, scratch, script, shims, snapshot } from "./helpers/standIns";

// Every refusal of templates/scripts/*.sh and templates/files/*.sh (issue 15, item 2): each
// case reaches one, checks the exit code and the reason on stderr, and that nothing changed:
// files byte-identical (no rewrite, backup, temp file or marker), no restart/stop through the
// systemctl stand-in, no DELETE through the curl stand-in, no neighbour flushed.
// Covered elsewhere: leader-step-down's quorum margin and --verify, wait-ready's cloud-init
// verdict and unit states (regressions.test.ts); exhibitor-rewrite's refusals after it wrote
// the file (below quorum, restart failed, not settled: poststeps.scripts.test.ts); the
// launcher's malformed env files (launcher.test.ts).

// Most cases wait on a script's own 1-2 s deadline, not on the CPU: run them side by side
// (vitest's default is 5 at a time).
vi.setConfig({ maxConcurrency: 32 });

const BASH = "/bin/bash";

describe.concurrent("arp-purge.sh refuses and flushes nothing", () => {
    const world = () => {
        const log = path.join(scratch("arp"), "ip.log");
        return { log, body: (extra = "") => `echo "$*" >> ${log}; ${extra}\nif [[ "$*" == "neigh show to 10.136.64.11" ]]; then echo "10.136.64.11 dev eth0 lladdr 06:5f:d8:1e:5f:a9 STALE"; fi; true` };
    };

    it.each([
        ["an unknown option", ["-x", "10.136.64.11"], /arp-purge: error: unknown option: -x/, true],
        ["an address with an octet over 255, even after a valid one", ["10.136.64.11", "10.136.64.300"], /arp-purge: error: not an IPv4 address: 10\.136\.64\.300/, false],
        ["an address with three octets", ["10.136.64"], /arp-purge: error: not an IPv4 address: 10\.136\.64$/m, false],
        ["a name instead of an address", ["master-1"], /arp-purge: error: not an IPv4 address: master-1/, false],
        ["no address at all", [], /arp-purge: error: no IP given/, true],
    ])("%s", async (_, args, message, usage) => {
        const { log, body } = world();
        const result = await run(BASH, [script("arp-purge.sh"), ...(args as string[])], { env: shims({ ip: body() }) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(message as RegExp);
        expect(result.stderr.includes("usage: arp-purge.sh IP...")).toBe(usage);
        expect(lines(log)).toEqual([]); // arguments are all checked before ip is ever run
    });

    it("when ip (iproute2) is not installed", async () => {
        const result = await run(BASH, [script("arp-purge.sh"), "10.136.64.11"], { env: barePath({}, ["date"]) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/arp-purge: error: ip \(iproute2\) is not installed on this node/);
    });

    it("when the neighbour table cannot be read", async () => {
        const { log, body } = world();
        const result = await run(BASH, [script("arp-purge.sh"), "10.136.64.11"], { env: shims({ ip: body(`[[ $2 == show ]] && exit 1`) }) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/arp-purge: error: cannot read the neighbour table/);
        expect(lines(log)).toEqual(["neigh show to 10.136.64.11"]);
    });

    it("when a flush fails: stops there, the next address untouched", async () => {
        const { log, body } = world();
        const result = await run(BASH, [script("arp-purge.sh"), "10.136.64.11", "10.136.64.12"], { env: shims({ ip: body(`[[ $2 == flush ]] && exit 2`) }) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/arp-purge: error: 10\.136\.64\.11: ip neigh flush failed/);
        expect(lines(log)).toEqual(["neigh show to 10.136.64.11", "neigh flush to 10.136.64.11"]);
    });
});

describe.concurrent("exhibitor-rewrite.sh refuses and changes nothing", () => {
    const ORIGINAL = "EXHIBITOR_BACKEND=ZK\nZK_CONFIG_CONNECT=10.10.0.249:2181\n";
    // A member that answers srvr with `mode`, on 127.0.0.1 (this node) and 127.0.0.2 at one port.
    const servers: net.Server[] = [];
    let port = 0;
    let silentPort = 0;
    const answer = (mode: string) => (socket: net.Socket) => socket.once("data", () => socket.end(`Zookeeper version: 3.8\nMode: ${mode}\n`));
    const listen = (server: net.Server, p: number, host: string) => new Promise<void>((resolve) => server.listen(p, host, resolve));
    beforeAll(async () => {
        const self = net.createServer(answer("follower"));
        await listen(self, 0, "127.0.0.1");
        port = (self.address() as net.AddressInfo).port;
        const leader = net.createServer(answer("leader"));
        await listen(leader, port, "127.0.0.2");
        servers.push(self, leader);
        const probe = net.createServer();
        await listen(probe, 0, "127.0.0.1");
        silentPort = (probe.address() as net.AddressInfo).port;
        await new Promise((resolve) => probe.close(resolve));
    });
    afterAll(() => servers.forEach((s) => s.close()));

    /** A fresh directory with the env file (and optionally a pending marker), and a logging systemctl. */
    const setup = (content = ORIGINAL, pending = false) => {
        const dir = scratch("rewrite");
        const etc = path.join(dir, "etc");
        fs.mkdirSync(etc);
        fs.writeFileSync(path.join(etc, "exhibitor"), content);
        if (pending) fs.writeFileSync(path.join(etc, "exhibitor.restart-pending"), "");
        const log = path.join(dir, "systemctl.log");
        return { etc, file: path.join(etc, "exhibitor"), log, env: shims({ systemctl: `echo "$*" >> ${log}` }), before: snapshot(etc) };
    };

    it.concurrent.each([
        ["--file without a path", () => ["--port", "2181", "--file"], /--file needs a path/, false],
        ["--file with an empty path", () => ["--file", "", "1:127.0.0.1"], /--file needs a path/, false],
        ["--unit without a name", (f: string) => ["--file", f, "1:127.0.0.1", "--unit"], /--unit needs a unit name/, false],
        ["--port 0", (f: string) => ["--file", f, "--port", "0", "1:127.0.0.1"], /--port needs a port number/, false],
        ["--port not a number", (f: string) => ["--file", f, "--port", "zk", "1:127.0.0.1"], /--port needs a port number/, false],
        ["--timeout 0", (f: string) => ["--file", f, "--timeout", "0", "1:127.0.0.1"], /--timeout needs a positive number of seconds/, false],
        ["--timeout negative", (f: string) => ["--file", f, "--timeout", "-5", "1:127.0.0.1"], /--timeout needs a positive number of seconds/, false],
        ["an unknown option", (f: string) => ["--file", f, "--force", "1:127.0.0.1"], /unknown option: --force/, true],
        ["a second ENSEMBLE", (f: string) => ["--file", f, "1:127.0.0.1", "2:127.0.0.2"], /one ENSEMBLE only, got a second: 2:127\.0\.0\.2/, false],
        ["no ENSEMBLE", (f: string) => ["--file", f], /no ENSEMBLE given/, true],
        ["an ensemble without ids", (f: string) => ["--file", f, "10.0.0.1,10.0.0.2"], /ENSEMBLE is not id:ip,\.\.\.: 10\.0\.0\.1,10\.0\.0\.2/, false],
        ["an ensemble with a trailing comma", (f: string) => ["--file", f, "1:10.0.0.1,"], /ENSEMBLE is not id:ip/, false],
        ["an ensemble with a name for an IP", (f: string) => ["--file", f, "1:master-1"], /ENSEMBLE is not id:ip/, false],
        ["an ensemble with spaces", (f: string) => ["--file", f, "1:10.0.0.1, 2:10.0.0.2"], /ENSEMBLE is not id:ip/, false],
    ])("%s", async (_, args, message, usage) => {
        const { etc, file, log, env, before } = setup();
        const result = await run(BASH, [script("exhibitor-rewrite.sh"), ...args(file)], { env });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`exhibitor-rewrite: error: ${message.source}`));
        expect(result.stderr.includes("usage: exhibitor-rewrite.sh")).toBe(usage);
        expect(snapshot(etc)).toEqual(before);
        expect(lines(log)).toEqual([]);
    });

    it.concurrent("a pending restart that would take the ensemble below its quorum: not restarted, the marker kept", async () => {
        const { etc, file, log, env, before } = setup("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:127.0.0.1,2:127.0.0.2,3:127.0.0.3\n", true);
        const result = await run(BASH, [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(port), "--timeout", "1", "1:127.0.0.1,2:127.0.0.2,3:127.0.0.3"], { env });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/exhibitor-rewrite: error: not restarting: 1 of 3 members would serve, below the quorum of 2 \(leaders=1 serving=2\/3 127\.0\.0\.1=follower 127\.0\.0\.2=leader 127\.0\.0\.3=down\); bring the down members back first/);
        expect(snapshot(etc)).toEqual(before);
        expect(lines(log)).toEqual([]);
    });

    it.concurrent("the local ZooKeeper does not serve (file already right): nothing restarted", async () => {
        const { etc, file, log, env, before } = setup("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:127.0.0.1\n");
        const result = await run(BASH, [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(silentPort), "--timeout", "1", "1:127.0.0.1"], { env });
        expect(result.code).toBe(1);
        expect(result.stdout).toContain("unchanged: zookeeper.service not restarted");
        expect(result.stderr).toMatch(new RegExp(`exhibitor-rewrite: error: the local ZooKeeper does not serve after 1 s \\(srvr on 127\\.0\\.0\\.1:${silentPort}; see: journalctl -u zookeeper\\.service\\)`));
        expect(snapshot(etc)).toEqual(before);
        expect(lines(log)).toEqual([]);
    });

    it.concurrent("the ensemble does not settle (file already right): nothing restarted", async () => {
        const { etc, file, log, env, before } = setup("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:127.0.0.1,2:127.0.0.3\n");
        const result = await run(BASH, [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(port), "--timeout", "1", "1:127.0.0.1,2:127.0.0.3"], { env });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/exhibitor-rewrite: error: the ensemble did not settle within 1 s: leaders=0 serving=1\/2 127\.0\.0\.1=follower 127\.0\.0\.3=down/);
        expect(snapshot(etc)).toEqual(before);
        expect(lines(log)).toEqual([]);
    });
});

const DOMAIN = ["--domain", "cell-1.dc-1.demo.lan"];
const MASTERS = ["master-1=10.136.64.11", "master-2=10.136.64.12", "master-3=10.136.64.13"];
const STEP = ["--self", "master-3", "--preferred", "master-1", ...DOMAIN, "--timeout", "1"];

describe.concurrent("leader-step-down.sh refuses: no restart, no DELETE", () => {
    it.each([
        ["--self without a name", [...MASTERS, "--self"], /--self needs a name/, false],
        ["--preferred without a name", [...MASTERS, "--preferred"], /--preferred needs a name/, false],
        ["--domain without a domain", [...MASTERS, "--domain"], /--domain needs a domain/, false],
        ["--quorum 0", [...STEP, "--quorum", "0", ...MASTERS], /--quorum needs a positive number/, false],
        ["--quorum not a number", [...STEP, "--quorum", "two", ...MASTERS], /--quorum needs a positive number/, false],
        ["--timeout 0", [...STEP, "--timeout", "0", ...MASTERS], /--timeout needs a positive number of seconds/, false],
        ["an unknown option", [...STEP, "--force", ...MASTERS], /unknown option: --force/, true],
        ["a master without an IP", [...STEP, "master-1", "master-2=10.136.64.12"], /not NAME=IP: master-1$/m, true],
        ["a master with a malformed IP", [...STEP, "master-1=10.136.64", "master-2=10.136.64.12"], /not NAME=IP: master-1=10\.136\.64$/m, false],
        ["a master with a name for an IP", [...STEP, "master-1=master-1.cell-1", ...MASTERS.slice(1)], /not NAME=IP: master-1=master-1\.cell-1$/m, false],
        ["no masters", [...STEP], /no masters given \(NAME=IP\.\.\.\)/, true],
        ["no --domain", ["--self", "master-3", "--preferred", "master-1", ...MASTERS], /--domain is required/, false],
        ["no --preferred", ["--self", "master-3", ...DOMAIN, ...MASTERS], /--preferred is required/, false],
        ["no --preferred in --verify", ["--verify", ...DOMAIN, ...MASTERS], /--preferred is required/, false],
        ["a --preferred that is not a master", ["--self", "master-3", "--preferred", "master-4", ...DOMAIN, ...MASTERS], /--preferred master-4 is not one of the masters: master-1 master-2 master-3 /, false],
        ["no --self", ["--preferred", "master-1", ...DOMAIN, ...MASTERS], /--self is required/, false],
        ["a --self that is not a master", ["--self", "master-4", "--preferred", "master-1", ...DOMAIN, ...MASTERS], /--self master-4 is not one of the masters: master-1 master-2 master-3 /, false],
    ])("%s", async (_, args, message, usage) => {
        const world = leaderWorld(["master-3", "master-2", "master-1"], ["master-3", "master-1"]);
        const result = await run(BASH, [script("leader-step-down.sh"), ...(args as string[])], { env: world.env });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`leader-step-down: error: ${(message as RegExp).source}`, "m"));
        expect(result.stderr.includes("usage: leader-step-down.sh --self NAME")).toBe(usage);
        expect(world.actions()).toEqual([]);
        expect(world.stepped("mesos")).toEqual([]);
    });

    it.each([
        ["there is no Mesos leader (503 everywhere)", [], ["master-3"], {}, /mesos: no leader after 1 s \(master-1:none master-2:none master-3:none\); refusing to act without one/],
        ["the masters disagree on the Mesos leader", ["master-3"], ["master-3"], { "10.136.64.12": { mesos: "master-2" } }, /mesos: no leader after 1 s \(master-1:master-3 master-2:master-2 master-3:master-3\); refusing/],
        ["one master answers an unexpected HTTP status", ["master-3"], ["master-3"], { "10.136.64.12": { mesos: "HTTP 500" } }, /mesos: no leader after 1 s \(master-1:master-3 master-2:unknown\(HTTP 500\) master-3:master-3\); refusing/],
        ["the Mesos leader is not one of the masters", ["master-9"], ["master-3"], {}, /mesos: no leader after 1 s \(master-1:unknown\(master-9\.cell-1\.dc-1\.demo\.lan\) .*\); refusing/],
        ["there is no Marathon leader (404 everywhere)", ["master-1"], [], {}, /marathon: no leader after 1 s \(master-1:none master-2:none master-3:none\); refusing to act without one/],
        ["the masters disagree on the Marathon leader", ["master-1"], ["master-3"], { "10.136.64.11": { marathon: "master-1" } }, /marathon: no leader after 1 s \(master-1:master-1 master-2:master-3 master-3:master-3\); refusing/],
    ])("while %s", async (_, mesos, marathon, seenBy, message) => {
        const world = leaderWorld(mesos as string[], marathon as string[], { seenBy });
        const result = await run(BASH, [script("leader-step-down.sh"), ...STEP, ...MASTERS], { env: world.env });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`leader-step-down: error: ${(message as RegExp).source}`));
        expect(world.actions()).toEqual([]);
    });

    // Failures after acting: exactly the one action, never a retry, and the next service untouched.
    it.each([
        ["the restart of mesos-master fails", { restartFails: true }, ["master-3", "master-1"], ["master-3", "master-1"], /systemctl restart mesos-master\.service failed/, ["systemctl restart mesos-master.service"]],
        ["the Mesos leader does not change after the restart", { sticky: true }, ["master-3", "master-1"], ["master-3", "master-1"], /mesos: no new leader 1 s after master-3 stepped down \(master-1:master-3 master-2:master-3 master-3:master-3\)/, ["systemctl restart mesos-master.service"]],
        ["DELETE /v2/leader fails", { deleteFails: true }, ["master-1"], ["master-3", "master-1"], /DELETE http:\/\/10\.136\.64\.13:8080\/v2\/leader failed/, ["curl -X DELETE http://10.136.64.13:8080/v2/leader"]],
        ["the Marathon leader does not change after DELETE", { sticky: true }, ["master-1"], ["master-3", "master-1"], /marathon: no new leader 1 s after master-3 stepped down/, ["curl -X DELETE http://10.136.64.13:8080/v2/leader"]],
    ])("stops when %s, after that one action", async (_, options, mesos, marathon, message, actions) => {
        const world = leaderWorld(mesos, marathon, options);
        const result = await run(BASH, [script("leader-step-down.sh"), ...STEP, ...MASTERS], { env: world.env });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`leader-step-down: error: ${message.source}`));
        expect(world.actions()).toEqual(actions);
    });
});

describe.concurrent("wait-ready.sh refuses: no cloud-init wait, no unit touched", () => {
    const standIns = () => {
        const dir = scratch("wait-ready");
        const log = path.join(dir, "calls.log");
        return { log, files: { "cloud-init": `echo "cloud-init $*" >> ${log}`, systemctl: `echo "systemctl $*" >> ${log}; echo active` } };
    };

    it.each([
        ["--timeout without a value", ["zookeeper.service", "--timeout"], /--timeout needs a positive number of seconds/],
        ["--timeout 0", ["--timeout", "0", "zookeeper.service"], /--timeout needs a positive number of seconds/],
        ["--timeout not a number", ["--timeout", "5m", "zookeeper.service"], /--timeout needs a positive number of seconds/],
        ["an unknown option", ["--now", "zookeeper.service"], /unknown option: --now/],
        ["no units", ["--timeout", "5"], /no units given/],
    ])("%s", async (_, args, message) => {
        const { log, files } = standIns();
        const result = await run(BASH, [script("wait-ready.sh"), ...args], { env: shims(files) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`wait-ready: error: ${message.source}`));
        expect(result.stderr).toContain("usage: wait-ready.sh [--timeout SECONDS] UNIT...");
        expect(lines(log)).toEqual([]);
    });

    it("when cloud-init is not installed", async () => {
        const { log, files } = standIns();
        const { "cloud-init": _absent, ...rest } = files;
        const result = await run(BASH, [script("wait-ready.sh"), "--timeout", "1", "zookeeper.service"], { env: barePath(rest, ["date"]) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/wait-ready: error: cloud-init is not installed on this node/);
        expect(lines(log)).toEqual([]);
    });
});

// A replaced quorum node answers SSH long before cloud-init has run its role bundle (etcd, its
// env file, the etcdctl wrapper): the swap must not look at etcd, let alone change it, before
// the boot is over. No etcd is needed: every case ends, or is checked, before the first etcdctl.
describe.concurrent("etcd-member-swap.sh waits for the node's first boot: no etcdctl, no unit, no file touched before it", () => {
    const world = (cloud: string) => {
        const dir = scratch("swap-boot");
        const log = path.join(scratch("swap-boot-calls"), "calls.log");
        const env = path.join(dir, "etcd.env");
        fs.writeFileSync(env, 'ETCD_INITIAL_CLUSTER_STATE="new"\n');
        const files: Record<string, string> = {
            "cloud-init": `echo "cloud-init $*" >> ${log}\n${cloud}`,
            // Healthy peers, and this node a healthy member by name: "nothing to do" once asked.
            etcdctl: `echo "etcdctl $*" >> ${log}\ncase "$*" in *"member list"*) echo "8e9e05c52164694d, started, quorum-1, https://10.0.0.1:2380, https://10.0.0.1:2379, false" ;; esac; exit 0`,
            systemctl: `echo "systemctl $*" >> ${log}`,
        };
        const args = ["--name", "quorum-1", "--peer-url", "https://10.0.0.1:2380", "--client-url", "https://10.0.0.1:2379", "--env-file", env, "--data-dir", path.join(dir, "data"), "--grace", "0", "https://10.0.0.2:2379", "https://10.0.0.3:2379"];
        return { dir, log, env, files, args };
    };

    it("asks etcd only once cloud-init reports done", async () => {
        const { dir, log, files, args } = world("exit 0");
        const before = snapshot(dir);
        const result = await run(BASH, [script("etcd-member-swap.sh"), "--timeout", "5", ...args], { env: shims(files) });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/etcd-member-swap: cloud-init finished\n/);
        expect(result.stdout).toMatch(/quorum-1 is a healthy member and the cluster has a quorum: nothing to do|quorum-1 is a healthy member \(id 8e9e05c52164694d\): nothing to do/);
        const calls = lines(log);
        expect(calls[0]).toBe("cloud-init status --wait");
        expect(calls.slice(1).length).toBeGreaterThan(0);
        expect(calls.slice(1).every((c) => c.startsWith("etcdctl "))).toBe(true);
        expect(snapshot(dir)).toEqual(before);
    });

    it.each([
        ["cloud-init reports an error", "exit 1", "5", /etcd-member-swap: error: cloud-init failed with status 1 /],
        ["cloud-init is still running at the deadline", "sleep 30", "1", /etcd-member-swap: error: cloud-init still running after 1 s/],
    ])("stops when %s, before asking etcd", async (_, cloud, timeout, message) => {
        const { dir, log, files, args } = world(cloud);
        const before = snapshot(dir);
        const result = await run(BASH, [script("etcd-member-swap.sh"), "--timeout", timeout, ...args], { env: shims(files) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(message);
        expect(lines(log)).toEqual(["cloud-init status --wait"]);
        expect(snapshot(dir)).toEqual(before);
    });

    it("stops when cloud-init is not installed", async () => {
        const { dir, log, files, args } = world("exit 0");
        const { "cloud-init": _absent, ...rest } = files;
        const before = snapshot(dir);
        const result = await run(BASH, [script("etcd-member-swap.sh"), "--timeout", "5", ...args], { env: barePath(rest, ["date", "timeout"]) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/etcd-member-swap: error: cloud-init is not installed on this node/);
        expect(lines(log)).toEqual([]);
        expect(snapshot(dir)).toEqual(before);
    });
});

describe.concurrent("zk-static-ensemble.sh refusals not in launcher.test.ts", () => {
    it("cannot read the env file: nothing written, the command not run", async () => {
        const dir = scratch("launcher-noenv");
        const marker = path.join(dir, "started");
        const result = await run(BASH, [nodeFile("zk-static-ensemble.sh"), "--env", path.join(dir, "missing"), "--ip", "10.0.0.5", "--conf-dir", path.join(dir, "conf"), "--data-dir", path.join(dir, "data"), "--", "touch", marker]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`zk-static-ensemble: cannot read env file ${path.join(dir, "missing")}\n`);
        expect(fs.readdirSync(dir)).toEqual([]);
    });

    it("an option without its value prints the usage (exit 2)", async () => {
        const dir = scratch("launcher-novalue");
        fs.writeFileSync(path.join(dir, "exhibitor"), "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5\n");
        const before = snapshot(dir);
        const result = await run(BASH, [nodeFile("zk-static-ensemble.sh"), "--env", path.join(dir, "exhibitor"), "--conf-dir", path.join(dir, "conf"), "--data-dir", path.join(dir, "data"), "--ip"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/^usage: zk-static-ensemble --env FILE --ip MY_IP/);
        expect(snapshot(dir)).toEqual(before);
    });
});

describe.concurrent("cluster-status.sh: every non-zero exit, and it only ever reads", () => {
    // The masters file is fixed at /etc/mesos-cluster/masters on a node; run a copy that reads
    // one of ours instead (the substitution must apply exactly once).
    const SOURCE = fs.readFileSync(nodeFile("cluster-status.sh"), "utf8");
    const LINE = "masters_file=/etc/mesos-cluster/masters\n";
    const statusScript = (mastersFile: string) => {
        expect(SOURCE.split(LINE)).toHaveLength(2);
        const copy = path.join(scratch("cluster-status"), "cluster-status.sh");
        fs.writeFileSync(copy, SOURCE.replace(LINE, `masters_file=${mastersFile}\n`));
        return copy;
    };
    const status = async (mesos: string[], marathon: string[], options: Parameters<typeof leaderWorld>[2] = {}) => {
        const masters = path.join(scratch("masters"), "masters");
        fs.writeFileSync(masters, "master-1 10.136.64.11\nmaster-2 10.136.64.12\nmaster-3 10.136.64.13\n");
        const world = leaderWorld(mesos, marathon, options);
        const result = await run(BASH, [statusScript(masters)], { env: { ...world.env, CLUSTER_STATUS_TIMEOUT: "1" } });
        return { result, world };
    };

    it("exits 0 when every master answers and all agree (the baseline the cases below break)", async () => {
        const { result } = await status(["master-1"], ["master-1"]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
    });

    it.each([
        ["no Mesos leader", [], ["master-1"], {}, /^master-1 +10\.136\.64\.11 +mesos: no leader \(503\) /m, ""],
        ["a master unreachable", ["master-1"], ["master-1"], { down: ["10.136.64.12"] }, /^master-2 +10\.136\.64\.12 +mesos: unreachable +marathon: no leader$/m, ""],
        ["an unexpected HTTP status", ["master-1"], ["master-1"], { seenBy: { "10.136.64.13": { mesos: "HTTP 500" } } }, /^master-3 +10\.136\.64\.13 +mesos: unexpected HTTP 500 /m, ""],
        ["no Marathon leader", ["master-1"], [], {}, /^master-1 .*marathon: no leader$/m, ""],
        ["masters disagreeing on the Mesos leader", ["master-1"], ["master-1"], { seenBy: { "10.136.64.12": { mesos: "master-2" } } }, /^master-2 .*mesos: \/\/master-2\.cell-1\.dc-1\.demo\.lan:5050 /m, "cluster-status: masters disagree on the leader\n"],
        ["masters disagreeing on the Marathon leader", ["master-1"], ["master-1"], { seenBy: { "10.136.64.12": { marathon: "master-2" } } }, /^master-2 .*marathon: master-2\.cell-1\.dc-1\.demo\.lan:8080$/m, "cluster-status: masters disagree on the leader\n"],
    ])("exits 1 with %s", async (_, mesos, marathon, options, line, stderr) => {
        const { result, world } = await status(mesos as string[], marathon as string[], options);
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(line as RegExp);
        expect(result.stderr).toBe(stderr);
        expect(world.actions()).toEqual([]);
    });

    it("exits 2 when the masters file cannot be read, asking nobody", async () => {
        const world = leaderWorld(["master-1"], ["master-1"]);
        const missing = path.join(scratch("masters"), "missing");
        const result = await run(BASH, [statusScript(missing)], { env: world.env });
        expect(result.code).toBe(2);
        expect(result.stderr).toBe(`cluster-status: cannot read ${missing}\n`);
        expect(result.stdout).toBe("");
        expect(world.actions()).toEqual([]);
    });
});

describe.concurrent("clusterstat.sh: every non-zero exit, and it only ever asks", () => {
    const systemctl = (log: string, states: Record<string, string>) =>
        [`echo "$*" >> ${log}`, `[[ $1 == show ]] || exit 9`, `unit=\${*: -1}; prop=$4`, `case $prop in LoadState) echo loaded ;; SubState) echo sub ;; ActiveState) case $unit in ${Object.entries(states).map(([u, s]) => `${u}) echo ${s} ;;`).join(" ")} *) echo inactive ;; esac ;; esac`].join("\n");

    it.each([
        ["active", 0],
        ["activating", 1],
        ["deactivating", 1],
        ["failed", 1],
        ["inactive", 1],
    ])("a unit %s: exit %i", async (state, code) => {
        const log = path.join(scratch("clusterstat"), "systemctl.log");
        const env = shims({ systemctl: systemctl(log, { "docker.service": "active", "zookeeper.service": state }) });
        const result = await run(BASH, [nodeFile("clusterstat.sh"), "docker.service", "zookeeper.service"], { env });
        expect(result.code).toBe(code);
        expect(result.stdout).toBe(`LoadState=loaded  ActiveState=active  SubState=sub  Id=docker.service\nLoadState=loaded  ActiveState=${state}  SubState=sub  Id=zookeeper.service\n`);
        expect(lines(log).every((l) => l.startsWith("show --value -p "))).toBe(true);
    });

    it("exits 2 when the units file cannot be read and no unit is given", async () => {
        const source = fs.readFileSync(nodeFile("clusterstat.sh"), "utf8");
        const LINE = "units_file=/etc/mesos-cluster/units\n";
        expect(source.split(LINE)).toHaveLength(2);
        const dir = scratch("clusterstat");
        const missing = path.join(dir, "units");
        fs.writeFileSync(path.join(dir, "clusterstat.sh"), source.replace(LINE, `units_file=${missing}\n`));
        const log = path.join(dir, "systemctl.log");
        const result = await run(BASH, [path.join(dir, "clusterstat.sh")], { env: shims({ systemctl: systemctl(log, {}) }) });
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(new RegExp(`clusterstat: cannot read ${missing}\\n$`));
        expect(lines(log)).toEqual([]);
    });
});
