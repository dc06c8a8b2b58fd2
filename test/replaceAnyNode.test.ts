import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Evaluation, isSecretValue } from "../scripts/offline/mockEngine";
import { requireTool } from "./helpers/validators";
import { byName, evaluateStack, ofType } from "./helpers/evaluate";
import { run } from "./helpers/postSteps";
import { scratch, script, shims, snapshot } from "./helpers/standIns";

// Issue 10: every role can be replaced. The etcd member swap runs against real etcd members
// (Debian's etcd-server) on loopback; the agent check against a fake Mesos master.

async function freePorts(count: number): Promise<number[]> {
    const servers = await Promise.all(
        Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
            const server = net.createServer();
            server.listen(0, "127.0.0.1", () => resolve(server));
        })),
    );
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
}

// The dev stack's evaluation first (shared by the worker; a second or more of CPU that blocks this
// process): the cases below run side by side with fake servers in this very process, which must
// answer within the scripts' deadlines meanwhile.
beforeAll(() => evaluateStack(), 120_000);

/**
 * Three real etcd members on ports of their own, started in the calling suite's beforeAll and
 * killed in its afterAll; `swap` runs etcd-member-swap.sh for q1, with systemctl driving it.
 */
function etcdCluster() {
    const dir = scratch("etcd-swap-");
    const members = [1, 2, 3].map((n) => ({ name: `q${n}`, data: path.join(dir, `data-${n}`), env: path.join(dir, `env-${n}`), client: 0, peer: 0 }));
    const processes = new Map<string, ChildProcess>();
    const client = (m: (typeof members)[number]) => `http://127.0.0.1:${m.client}`;
    const peer = (m: (typeof members)[number]) => `http://127.0.0.1:${m.peer}`;

    /** Starts member m the way the unit does: its env file holds the initial cluster and state. */
    const start = (m: (typeof members)[number]) => {
        const env = Object.fromEntries(fs.readFileSync(m.env, "utf8").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
        const child = spawn("etcd", [
            "--name", m.name, "--data-dir", m.data,
            "--listen-peer-urls", peer(m), "--initial-advertise-peer-urls", peer(m),
            "--listen-client-urls", client(m), "--advertise-client-urls", client(m),
            "--initial-cluster-token", "test",
            // Test only: raft's heartbeat and election timeout at half etcd's defaults, for a
            // faster first election.
            "--heartbeat-interval", "50", "--election-timeout", "500",
        ], { env: { ...process.env, ...env }, stdio: "ignore" });
        processes.set(m.name, child);
    };
    /** As systemd stops it (SIGTERM: etcd hands its leadership over first), or killed. */
    const stop = async (m: (typeof members)[number], signal: NodeJS.Signals = "SIGTERM") => {
        const child = processes.get(m.name);
        if (child && child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill(signal);
            await exited;
        }
    };
    const ctl = (m: (typeof members)[number], ...args: string[]) =>
        run("etcdctl", [`--endpoints=${client(m)}`, "--dial-timeout=2s", ...args], { env: { ...process.env, ETCDCTL_API: "3" } });
    // systemctl for member q1 as the swap drives it: stop, then start from its env file.
    let control: http.Server;
    let controlPort = 0;
    // `etcdctl` given, it stands first on the swap's PATH.
    const swap = (etcdctl: Record<string, string>, ...extra: string[]) =>
        run("bash", [
            script("etcd-member-swap.sh"),
            "--name", "q1", "--peer-url", peer(members[0]), "--client-url", client(members[0]),
            "--env-file", members[0].env, "--data-dir", members[0].data, "--grace", "2", ...extra,
            client(members[1]), client(members[2]),
        ], { env: shims({ systemctl: `curl -sf "http://127.0.0.1:${controlPort}/$1" >/dev/null`, "cloud-init": `[[ $1 == status ]] && { echo "status: done"; exit 0; }; exit 1`, ...etcdctl }), timeoutMs: 90_000 });

    let etcdctlPath = "";
    beforeAll(async () => {
        requireTool("etcd");
        etcdctlPath = requireTool("etcdctl");
        const ports = await freePorts(7);
        members.forEach((m, i) => Object.assign(m, { client: ports[2 * i], peer: ports[2 * i + 1] }));
        controlPort = ports[6];
        control = http.createServer((req, res) => {
            void (async () => {
                if (req.url === "/stop") await stop(members[0]);
                if (req.url === "/start") start(members[0]);
                res.end("ok");
            })();
        });
        await new Promise<void>((resolve) => control.listen(controlPort, "127.0.0.1", resolve));
        const cluster = members.map((m) => `${m.name}=${peer(m)}`).join(",");
        for (const m of members) {
            fs.writeFileSync(m.env, `ETCD_INITIAL_CLUSTER=${cluster}\nETCD_INITIAL_CLUSTER_STATE=new\n`);
            start(m);
        }
        for (let i = 0; i < 300 && (await ctl(members[1], "endpoint", "health", "--command-timeout=500ms")).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
        expect((await ctl(members[1], "put", "before-swap", "kept")).code).toBe(0);
    }, 60_000);
    afterAll(async () => {
        control?.close();
        // Killed: a member left without a quorum took seconds to stop gracefully.
        await Promise.all(members.map((m) => stop(m, "SIGKILL")));
        // The members' data and preallocated WAL files: hundreds of MB a run otherwise.
        fs.rmSync(dir, { recursive: true, force: true });
    });

    return { dir, members, start, stop, ctl, swap, etcdctl: () => etcdctlPath };
}

// Two clusters, side by side with each other and with the other suites: the swap of a rebuilt
// member on one, doing nothing and refusing without a quorum on the other, in order.
describe.concurrent("etcd-member-swap.sh with three real etcd members: nothing to do, or no quorum", () => {
    const { dir, members, stop, swap, etcdctl } = etcdCluster();

    it.sequential("does nothing on a healthy member (the cluster's first start)", async () => {
        const result = await swap({});
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain("q1 is a healthy member");
        expect(fs.readFileSync(members[0].env, "utf8")).toContain("ETCD_INITIAL_CLUSTER_STATE=new");
    }, 60_000);

    it.sequential("refuses, changing nothing, when the other members have no quorum", async () => {
        await stop(members[2]);
        await stop(members[0]);
        const before = snapshot(dir);
        // Test only: every etcdctl call here is meant to fail; 0.5 s each, not the swap's own 5 s
        // (the case took 21 s), and one round (--timeout 1).
        const result = await swap({ etcdctl: `exec ${etcdctl()} "$@" --command-timeout=500ms` }, "--timeout", "1");
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/only [01] of the 2 other members are healthy; a change of membership needs 2 of 3: bring them back first \(nothing was changed\)/);
        const after = snapshot(dir);
        for (const file of Object.keys(before).filter((f) => f.startsWith("env-"))) expect(after[file], file).toBe(before[file]);
    }, 60_000);
});

describe.concurrent("etcd-member-swap.sh with three real etcd members: a rebuilt member", () => {
    const { members, start, stop, ctl, swap } = etcdCluster();

    it("swaps a rebuilt member: old id removed, new member started as existing, every key readable from it", async () => {
        const oldId = (await ctl(members[1], "member", "list")).stdout.split("\n").find((l) => l.includes(", q1, "))!.split(",")[0];
        // The node is rebuilt: empty data dir, and the unit starts it under its old identity as "new".
        await stop(members[0]);
        fs.rmSync(members[0].data, { recursive: true, force: true });
        start(members[0]);
        const result = await swap({});
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain(`replacing member ${oldId}`);
        const list = (await ctl(members[1], "member", "list")).stdout;
        expect(list).not.toContain(oldId);
        expect(list.split("\n").filter((l) => l.includes(", started, "))).toHaveLength(3);
        expect(fs.readFileSync(members[0].env, "utf8")).toMatch(/^ETCD_INITIAL_CLUSTER=.*q1=.*\nETCD_INITIAL_CLUSTER_STATE=existing\n$/);
        expect(fs.readFileSync(`${members[0].env}.orig`, "utf8")).toContain("ETCD_INITIAL_CLUSTER_STATE=new");
        const read = await ctl(members[0], "get", "before-swap", "--consistency=s", "--print-value-only");
        expect(read.stdout.trim()).toBe("kept");
    }, 90_000);
});

// The cases run side by side (each waits on the script's own 2 s deadline): each gets a fake
// leading master of its own.
describe.concurrent("agent-reregister.sh against a fake leading master", () => {
    type Slave = { id: string; hostname: string; active: boolean };
    const servers: http.Server[] = [];
    /** A leading master that lists `slaves`, answering /master/redirect with itself. */
    const leader = async (slaves: Slave[]): Promise<number> => {
        let port = 0;
        const server = http.createServer((req, res) => {
            if (req.url === "/master/redirect") res.writeHead(307, { Location: `//127.0.0.1:${port}` }).end();
            else res.end(JSON.stringify({ slaves }));
        });
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as net.AddressInfo).port;
        return port;
    };
    afterAll(() => servers.forEach((s) => s.close()));
    const check = async (slaves: Slave[]) => run("bash", [script("agent-reregister.sh"), "--hostname", "worker-2.cell-1.example", "--timeout", "2", `http://127.0.0.1:${await leader(slaves)}`]);

    it("succeeds when exactly one agent, active, is listed for the worker", async () => {
        const result = await check([{ id: "new-S1", hostname: "worker-2.cell-1.example", active: true }, { id: "S9", hostname: "worker-1.cell-1.example", active: true }]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain("lists one agent for worker-2.cell-1.example: new-S1, active");
    });

    it.each([
        ["the old agent still listed", [{ id: "old-S0", hostname: "worker-2.cell-1.example", active: false }, { id: "new-S1", hostname: "worker-2.cell-1.example", active: true }]],
        ["no agent yet", []],
        ["the agent inactive", [{ id: "new-S1", hostname: "worker-2.cell-1.example", active: false }]],
    ])("fails, bounded, with %s", async (_, listed) => {
        const result = await check(listed);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/error: after 2 s: the leader lists for worker-2\.cell-1\.example: /);
    });
});

describe.concurrent("the master set under mocks", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack();
    }, 120_000);

    it("is held by a protected parameter, replaced on any change, that every instance waits for", () => {
        const guard = byName(dev, "cell-1-master-set");
        expect(guard.inputs).toMatchObject({ name: "/mesos-cluster/cell-1/master-set", type: "String" });
        // The SDK always marks a parameter's value secret; unwrap it.
        const value = isSecretValue(guard.inputs.value) ? guard.inputs.value.value : guard.inputs.value;
        expect(value).toBe("1:10.136.128.11,2:10.136.192.11,3:10.136.64.11");
        expect(guard.protect).toBe(true);
        expect(guard.replaceOnChanges).toEqual(["value"]);
        for (const instance of ofType(dev, "aws:ec2/instance:Instance")) expect(instance.dependsOn, instance.name).toContain(guard.urn);
    });
});
