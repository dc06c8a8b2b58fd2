import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands, evaluateDev, run } from "./helpers/postSteps";
import { secretPath } from "../components/catalog/secrets";
import { fakeZookeeper, HTTP_CREDENTIALS, leaderWorld, script, shims } from "./helpers/standIns";

// The scripts' own logic, run here with the stand-ins of helpers/standIns.ts on PATH. The lab
// runs them for real. Their refusals are in scripts.refusals.test.ts.
// The suites wait on the scripts' own deadlines and share nothing (each its own fake members,
// stand-ins and files): they run side by side. The first one's cases build on each other, in order.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "poststeps-run-"));

// The dev stack's evaluation first (shared by the worker; a second or more of CPU that blocks this
// process): the cases below run side by side with fake servers in this very process, which must
// answer within the scripts' deadlines meanwhile.
beforeAll(() => evaluateDev(), 120_000);

describe.concurrent("exhibitor-rewrite.sh against a temporary env file", () => {
    let zk: net.Server;
    let port = 0;
    const dir = path.join(tmp, "etc");
    const file = path.join(dir, "exhibitor");
    const log = path.join(tmp, "systemctl.log");
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
        // A one-member ZooKeeper answering srvr, as 3.5+ does (then closes).
        ({ server: zk, port } = await fakeZookeeper("127.0.0.1"));
        env = shims({ systemctl: `echo "$*" >> ${log}; [[ ! -e ${tmp}/systemctl-fails ]]` });
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(file, "EXHIBITOR_BACKEND=ZK\nZK_CONFIG_CONNECT=10.10.0.249:2181\n");
    });
    afterAll(() => zk.close());

    const rewrite = (ensemble: string, ...extra: string[]) =>
        run("bash", [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(port), "--timeout", "5", ...extra, ensemble], { env });
    const restarts = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : []);

    it.sequential("backs up the original, replaces the file by rename and restarts ZooKeeper once", async () => {
        const inodeBefore = fs.statSync(file).ino;
        const first = await rewrite("1:127.0.0.1");
        expect(first.stderr).toBe("");
        expect(first.code).toBe(0);
        expect(fs.readFileSync(file, "utf8")).toBe("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:127.0.0.1\n");
        expect(fs.readFileSync(`${file}.orig`, "utf8")).toBe("EXHIBITOR_BACKEND=ZK\nZK_CONFIG_CONNECT=10.10.0.249:2181\n");
        // A new inode: written beside and renamed over, never rewritten in place.
        expect(fs.statSync(file).ino).not.toBe(inodeBefore);
        expect(fs.readdirSync(dir).sort()).toEqual(["exhibitor", "exhibitor.orig"]);
        expect(restarts()).toEqual(["restart zookeeper.service"]);
        expect(first.stdout).toMatch(/ensemble settled after \d+ s: leaders=1 serving=1\/1 127\.0\.0\.1=standalone/);
    });

    it.sequential("does not restart when the content is already right, and still checks the ensemble", async () => {
        const again = await rewrite("1:127.0.0.1");
        expect(again.code).toBe(0);
        expect(again.stdout).toContain("unchanged: zookeeper.service not restarted");
        expect(again.stdout).toContain("ensemble settled");
        expect(restarts()).toHaveLength(1);
    });

    it.sequential("refuses to change a serving static ensemble's membership, changing nothing: ids never move", async () => {
        const changed = await rewrite("1:127.0.0.1", "--unit", "zk-test.service");
        expect(changed.code).toBe(0); // same content, other unit: nothing to do
        const serving = "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.1\n";
        fs.writeFileSync(file, serving);
        for (const [asked, why] of [
            ["1:127.0.0.1", "id 1 would move from 10.0.0.1 to 127.0.0.1"],
            ["1:10.0.0.1,2:10.0.0.2", "member 2:10.0.0.2 would join the ensemble"],
            ["2:10.0.0.1", "member 1:10.0.0.1 would leave the ensemble"],
        ]) {
            const refused = await rewrite(asked, "--self", "127.0.0.1");
            expect(refused.code, asked).not.toBe(0);
            expect(refused.stderr, asked).toContain(`refusing: ${why}`);
            expect(fs.readFileSync(file, "utf8")).toBe(serving);
            expect(fs.existsSync(`${file}.restart-pending`)).toBe(false);
        }
        expect(fs.readFileSync(`${file}.orig`, "utf8")).toContain("EXHIBITOR_BACKEND=ZK");
        expect(restarts()).toHaveLength(1);
        fs.writeFileSync(file, "EXHIBITOR_BACKEND=ZK\n");
    });

    it.sequential("fails with the reason, and restarts on the next run, when the restart fails after the write", async () => {
        fs.writeFileSync(file, "stale\n");
        fs.writeFileSync(path.join(tmp, "systemctl-fails"), "");
        const failed = await rewrite("1:127.0.0.1");
        expect(failed.code).not.toBe(0);
        expect(failed.stderr).toMatch(/error: systemctl restart zookeeper.service failed/);
        expect(fs.existsSync(`${file}.restart-pending`)).toBe(true);
        fs.rmSync(path.join(tmp, "systemctl-fails"));
        const retried = await rewrite("1:127.0.0.1");
        expect(retried.code).toBe(0);
        expect(retried.stdout).toContain("restarting zookeeper.service");
        expect(fs.existsSync(`${file}.restart-pending`)).toBe(false);
    });

    it.sequential("refuses a malformed ensemble and prints usage on --help", async () => {
        expect((await rewrite("10.0.0.1,10.0.0.2")).stderr).toMatch(/ENSEMBLE is not id:ip/);
        const help = await run("bash", [script("exhibitor-rewrite.sh"), "--help"]);
        expect(help.code).toBe(0);
        expect(help.stdout).toContain("default /etc/mesos-cluster/exhibitor");
    });
});

// Beside the cases above (a file and a systemctl log of its own): it waits out its deadline.
describe.concurrent("exhibitor-rewrite.sh giving up", () => {
    let zk: net.Server;
    let port = 0;
    beforeAll(async () => {
        ({ server: zk, port } = await fakeZookeeper("127.0.0.1"));
    });
    afterAll(() => zk.close());

    it("gives up, bounded, when a member does not serve", async () => {
        const dir = fs.mkdtempSync(path.join(tmp, "stuck-"));
        const file = path.join(dir, "exhibitor");
        fs.writeFileSync(file, "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:127.0.0.1,2:127.0.0.2\n");
        const env = shims({ systemctl: `echo "$*" >> ${dir}/systemctl.log` });
        const stuck = await run("bash", [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(port), "--timeout", "2", "1:127.0.0.1,2:127.0.0.2"], { env });
        expect(stuck.code).not.toBe(0);
        expect(stuck.stderr).toMatch(/the ensemble did not settle within 2 s: leaders=0 serving=0\/2 127\.0\.0\.1=standalone 127\.0\.0\.2=down/);
    });
});

describe.concurrent("leader-step-down.sh: the dev stack's generated commands in order", () => {
    it("moves both leaders from master-3 back to master-1 in hops, as seed 000 step 5 did by hand", async () => {
        const dev = await evaluateDev();
        const chain = commands(dev).filter((c) => c.name.includes("-leader-step-down-"));
        expect(chain.map((c) => c.name.replace("cell-1-leader-step-down-", ""))).toEqual(["r1-master-1", "r1-master-2", "r1-master-3", "r2-master-1", "r2-master-2", "r2-master-3", "verify"]);
        // After master-1 was replaced: master-3 leads, the new master-1 joined last.
        const world = leaderWorld(["master-3", "master-2", "master-1"], ["master-3", "master-1", "master-2"]);
        const output: string[] = [];
        for (const command of chain) {
            // The exact create text, as the remote shell would run it (the master's credentials file here).
            const result = await run("sh", ["-c", command.inputs.create.replaceAll(secretPath("httpOperator"), HTTP_CREDENTIALS)], { env: world.env });
            expect(result.stderr, command.name).toBe("");
            expect(result.code, command.name).toBe(0);
            output.push(result.stdout);
        }
        expect(world.stepped("mesos")).toEqual(["master-3", "master-2"]);
        expect(world.stepped("marathon")).toEqual(["master-3"]);
        const text = output.join("");
        expect(text).toMatch(/mesos leader: master-3 -> master-2 after \d+\.\d s/);
        expect(text).toMatch(/mesos leader: master-2 -> master-1 after \d+\.\d s/);
        expect(text).toMatch(/marathon leader: master-3 -> master-1 after \d+\.\d s/);
        expect(output.at(-1)).toMatch(/mesos leader: master-1, marathon leader: master-1: the preferred master leads/);
    });
});

describe.concurrent("leader-step-down.sh refuses to act", () => {
    const args = ["--preferred", "master-1", "--domain", "cell-1.dc-1.demo.lan", "--timeout", "2", "master-1=10.136.64.11", "master-2=10.136.64.12", "master-3=10.136.64.13"];

    it("while there is no Mesos leader", async () => {
        const world = leaderWorld([], ["master-3"]);
        const result = await run("bash", [script("leader-step-down.sh"), "--self", "master-3", ...args], { env: world.env });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/mesos: no leader after 2 s \(master-1:none master-2:none master-3:none\); refusing to act without one/);
        expect(world.stepped("mesos")).toEqual([]);
    });

    it("and verify fails naming the current leaders", async () => {
        const world = leaderWorld(["master-2"], ["master-3"]);
        const result = await run("bash", [script("leader-step-down.sh"), "--verify", ...args], { env: world.env });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/expected master-1 to lead, after 2 s: mesos leader: master-2 .*marathon leader: master-3/);
    });

    it("leaves a leader alone when it runs on another master", async () => {
        const world = leaderWorld(["master-2", "master-1"], ["master-1"]);
        const result = await run("bash", [script("leader-step-down.sh"), "--self", "master-3", ...args], { env: world.env });
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("mesos leader is master-2, not this master (master-3): nothing to do here");
        expect(result.stdout).toContain("marathon leader is master-1, the preferred master: nothing to do");
        expect(world.stepped("mesos")).toEqual([]);
    });
});

describe.concurrent("exhibitor-rewrite.sh when a peer is down", () => {
    // Members on 127.0.0.1 (this node, a follower) and 127.0.0.2 (the leader); 127.0.0.3 is down.
    const servers: net.Server[] = [];
    let port = 0;
    const answer = (mode: string) => (socket: net.Socket) => socket.once("data", () => socket.end(`Zookeeper version: 3.8\nMode: ${mode}\n`));
    beforeAll(async () => {
        const self = net.createServer(answer("follower"));
        await new Promise<void>((resolve) => self.listen(0, "127.0.0.1", resolve));
        port = (self.address() as net.AddressInfo).port;
        const leader = net.createServer(answer("leader"));
        await new Promise<void>((resolve) => leader.listen(port, "127.0.0.2", resolve));
        servers.push(self, leader);
    });
    afterAll(() => servers.forEach((s) => s.close()));

    it("refuses to restart a member when that would leave the ensemble below its quorum, before writing anything", async () => {
        const dir = fs.mkdtempSync(path.join(tmp, "peer-down-"));
        const file = path.join(dir, "exhibitor");
        // Migrating from Exhibitor's ZooKeeper backend (the Exhibitor migration guide): the new
        // ensemble is what counts, and it is checked before the file is touched.
        fs.writeFileSync(file, "EXHIBITOR_BACKEND=ZK\n");
        const log = path.join(dir, "systemctl.log");
        const env = shims({ systemctl: `echo "$*" >> ${log}` });
        const started = Date.now();
        const result = await run("bash", [script("exhibitor-rewrite.sh"), "--file", file, "--port", String(port), "--timeout", "3", "1:127.0.0.1,2:127.0.0.2,3:127.0.0.3"], { env });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/not restarting: 1 of 3 members would serve, below the quorum of 2 \(leaders=1 serving=2\/3 127\.0\.0\.1=follower 127\.0\.0\.2=leader 127\.0\.0\.3=down\)/);
        // Waits for the peer within its bound (3 s here), then refuses.
        expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(fs.existsSync(log)).toBe(false); // nothing restarted
        // Nothing written: no new file, no backup, no pending restart for an unplanned restart to apply.
        expect(fs.readFileSync(file, "utf8")).toBe("EXHIBITOR_BACKEND=ZK\n");
        expect(fs.readdirSync(dir).sort()).toEqual(["exhibitor"]);
    });
});

describe.concurrent("wait-ready.sh and arp-purge.sh", () => {
    it("runs the dev wait-ready create text: cloud-init done, every unit active", async () => {
        const dev = await evaluateDev();
        const create = commands(dev).find((c) => c.name === "cell-1-wait-ready-master-1")!.inputs.create;
        const env = shims({ sudo: `[[ $1 == -n ]] && shift; exec "$@"`, "cloud-init": "exit 0", systemctl: `[[ $1 == is-active ]] && echo active` });
        const result = await run("sh", ["-c", create], { env });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/ready: zookeeper.service mesos-master.service marathon.service mesos-dns.service active/);
    });

    it("fails naming the units that are not active, within its deadline", async () => {
        const env = shims({ "cloud-init": "exit 0", systemctl: `[[ $2 == marathon.service ]] && { echo failed; exit 3; }; echo active` });
        const result = await run("bash", [script("wait-ready.sh"), "--timeout", "2", "zookeeper.service", "marathon.service"], { env });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/not active after 2 s: marathon.service=failed/);
    });

    it("purges only the entries that exist, on every interface", async () => {
        const log = path.join(tmp, "ip.log");
        const env = shims({
            ip: `echo "$*" >> ${log}; if [[ "$*" == "neigh show to 10.136.64.11" ]]; then echo "10.136.64.11 dev eth0 lladdr 06:5f:d8:1e:5f:a9 STALE"; fi; true`,
        });
        const result = await run("bash", [script("arp-purge.sh"), "10.136.64.11", "10.136.64.12"], { env });
        expect(result.code, result.stderr).toBe(0);
        expect(fs.readFileSync(log, "utf8").split("\n").filter((l) => l.includes("flush"))).toEqual(["neigh flush to 10.136.64.11"]);
        expect(result.stdout).toContain("10.136.64.12: no neighbour entry; nothing to purge");
        expect((await run("bash", [script("arp-purge.sh"), "10.136.64.300"], { env })).stderr).toMatch(/not an IPv4 address: 10.136.64.300/);
    });
});
