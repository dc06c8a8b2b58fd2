import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ETCD_TLS } from "../components/catalog/etcd";
import { PATHS, PORTS } from "../components/catalog/services";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { etcdCertPlan } from "../components/secrets/etcdCerts";
import { renderRoleBundle } from "../components/userdata/roleBundle";
import { devRawConfig } from "./helpers/devConfig";
import { run } from "./helpers/postSteps";
import { scratch, script, shims } from "./helpers/standIns";
import { requireTool } from "./helpers/validators";
import { issueEtcdPki } from "./lab/etcdPki";

// Issue 12, etcd: three real etcd members (Debian's etcd-server) started with the quorum
// unit's own flags (TLS, client-certificate authentication on both ports), each on an address
// of its own on loopback, certificates issued from the program's table. A client without a
// certificate is refused; the member swap, asking through an etcdctl that presents etcdctl's
// client certificate (as the node's wrapper does), still replaces a rebuilt member, with https
// peer URLs, and still refuses, changing nothing, without a quorum or with a foreign certificate.
//
// Two clusters side by side (issue 14), certificates issued once for both: the first serves the
// checks that change nothing (connections refused, the swap doing nothing or refusing), the
// second the swap of a rebuilt member and the refusal without a quorum, which stop members.

const validated = validateConfig(devRawConfig());
if (!validated.ok) throw new Error(validated.errors.join("\n"));
const quorumBundle = renderRoleBundle(planCluster(validated.config), "quorum");
const unitText = quorumBundle.files.find((f) => f.path === "/etc/systemd/system/etcd.service")!.content;

/** A random 127.x.y.0/24 for this run: the fixed ports of the unit, no clash with another run. */
const net = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}`;
const dir = scratch("etcd-tls-");
const members = [1, 2, 3, 4, 5, 6].map((n) => ({
    name: `quorum-${n}`,
    ip: `${net}.${n}`,
    data: path.join(dir, `data-${n}`),
    env: path.join(dir, `env-${n}`),
    tls: path.join(dir, `tls-${n}`),
}));
type Member = (typeof members)[number];
/** quorum-1..3 for the checks that change nothing, quorum-4..6 for the swap and the quorum loss. */
const steady = members.slice(0, 3);
const swapped = members.slice(3);
const clientUrl = (m: Member) => `https://${m.ip}:${PORTS.etcdClient}`;
const peerUrl = (m: Member) => `https://${m.ip}:${PORTS.etcdPeer}`;
const pkiDir = path.join(dir, "pki");
/** A cluster's env files and their backups, by name: what a refused swap must leave as it was. */
const envFiles = (cluster: Member[]) =>
    Object.fromEntries(fs.readdirSync(dir).filter((f) => cluster.some((m) => f.startsWith(path.basename(m.env)))).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
/** What member m has logged so far; `since` (an earlier length) keeps only what came after. */
const logOf = (m: Member, since = 0) => fs.readFileSync(path.join(dir, `${m.name}.log`), "utf8").slice(since);

/**
 * The unit's etcd flags for member m: ${NODE_NAME}/${NODE_IP} filled in, the data dir and the
 * certificate files at m's own paths, and no loopback listener (three members share this
 * machine's 127.0.0.1; on a node the wrapper's default endpoint uses it).
 */
function unitFlags(m: Member): string[] {
    const exec = unitText.replace(/\\\n/g, " ").split("\n").find((l) => l.startsWith("ExecStart="))!;
    const words = exec.trim().split(/\s+/);
    const files: Record<string, string> = { [ETCD_TLS.ca]: `${m.tls}/ca.crt`, [ETCD_TLS.cert]: `${m.tls}/node.crt`, [ETCD_TLS.key]: `${m.tls}/node.key` };
    return words.slice(words.indexOf("/usr/local/bin/etcd") + 1).map((w) =>
        (files[w] ?? w)
            .replace("${NODE_NAME}", m.name)
            .replace(/\$\{NODE_IP\}/g, m.ip)
            .replace(`,https://127.0.0.1:${PORTS.etcdClient}`, "")
            .replace(/^\/var\/lib\/etcd$/, m.data));
}

const processes = new Map<string, ChildProcess>();
/** Starts member m as the unit does: its env file holds the initial cluster and its state. */
function start(m: Member): void {
    const env = Object.fromEntries(fs.readFileSync(m.env, "utf8").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const log = fs.openSync(path.join(dir, `${m.name}.log`), "a");
    // Test only: raft's heartbeat and election timeout at half etcd's defaults (100 ms, 1 s; the
    // unit keeps those), so that a cluster elects its first leader sooner.
    processes.set(m.name, spawn("etcd", [...unitFlags(m), ...ELECTION], { env: { ...process.env, ...env }, stdio: ["ignore", log, log] }));
    fs.closeSync(log);
}
const ELECTION = ["--heartbeat-interval", "50", "--election-timeout", "500"];
/** Stops member m as systemd does (SIGTERM: etcd hands its leadership over first), or kills it. */
async function stop(m: Member, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = processes.get(m.name);
    if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill(signal);
        await exited;
    }
}

/**
 * etcdctl as the quorum bundle's wrapper runs it: the client certificate through ETCDCTL_CACERT,
 * ETCDCTL_CERT and ETCDCTL_KEY (here Debian's etcdctl with the test's files). `commandTimeout`
 * (test only) comes after the swap's own flags, so it wins over its 5 s per call: where every
 * call is meant to fail (a foreign certificate, no quorum) or may (a rebuilt member not yet
 * healthy), waiting 5 s for each answer proves nothing more (the refusals took 20 s each).
 */
function wrapper(cert = `${pkiDir}/client.crt`, key = `${pkiDir}/client.key`, commandTimeout?: string): string {
    const bound = commandTimeout ? ` --command-timeout=${commandTimeout}` : "";
    return `export ETCDCTL_API=3 ETCDCTL_CACERT=${pkiDir}/ca.crt ETCDCTL_CERT=${cert} ETCDCTL_KEY=${key}\nexec /usr/bin/etcdctl "$@"${bound}`;
}
const withCert = shims({ etcdctl: wrapper() });
const ctl = (m: Member, ...args: string[]) => run("etcdctl", [`--endpoints=${clientUrl(m)}`, "--dial-timeout=2s", "--command-timeout=5s", ...args], { env: withCert });

/** The node's first boot is over (the swap waits for it before anything else). */
const CLOUD_INIT_DONE = `[[ $1 == status ]] && { echo "status: done"; exit 0; }; exit 1`;

let control: http.Server;
let controlPort = 0;
/**
 * etcd-member-swap for the cluster's first member, as the plan writes it, with systemctl driving
 * this test's member of that name.
 */
const swap = (cluster: Member[], env: NodeJS.ProcessEnv, ...extra: string[]) =>
    run("bash", [
        script("etcd-member-swap.sh"),
        "--name", cluster[0].name, "--peer-url", peerUrl(cluster[0]), "--client-url", clientUrl(cluster[0]),
        "--env-file", cluster[0].env, "--data-dir", cluster[0].data, "--etcdctl", "etcdctl", "--grace", "2", ...extra,
        clientUrl(cluster[1]), clientUrl(cluster[2]),
    ], { env: { ...env, PATH: `${shims({ systemctl: `curl -sf "http://127.0.0.1:${controlPort}/$1/${cluster[0].name}" >/dev/null`, "cloud-init": CLOUD_INIT_DONE }).PATH!.split(":")[0]}:${env.PATH}` }, timeoutMs: 90_000 });

/** Starts a cluster from the bundle's etcd.env (this test's addresses for the plan's), and writes a key. */
async function startCluster(cluster: Member[]): Promise<void> {
    const initial = cluster.map((m) => `${m.name}=${peerUrl(m)}`).join(",");
    for (const m of cluster) {
        fs.writeFileSync(m.env, bundleEnv.replace(/^ETCD_INITIAL_CLUSTER=.*$/m, `ETCD_INITIAL_CLUSTER=${initial}`));
        start(m);
    }
    for (let i = 0; i < 300 && (await ctl(cluster[1], "endpoint", "health", "--command-timeout=500ms")).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const put = await ctl(cluster[1], "put", "before-swap", "kept");
    expect(put.code, `${put.stderr}\n${logOf(cluster[1]).slice(-2000)}`).toBe(0);
}
const bundleEnv = quorumBundle.files.find((f) => f.path === PATHS.etcdEnv)!.content;

beforeAll(async () => {
    requireTool("etcd");
    requireTool("etcdctl");
    requireTool("openssl");
    // One CA and one certificate per member of both clusters, issued once.
    const certs = etcdCertPlan("cell-1", "cell-1.dc-1.demo.lan", members.map((m) => ({ name: m.name, privateIp: m.ip })));
    const pki = issueEtcdPki(pkiDir, certs);
    for (const m of members) {
        fs.mkdirSync(m.tls);
        fs.writeFileSync(`${m.tls}/ca.crt`, pki.ca.cert);
        fs.writeFileSync(`${m.tls}/node.crt`, pki.nodes[m.name].cert);
        fs.writeFileSync(`${m.tls}/node.key`, pki.nodes[m.name].key, { mode: 0o600 });
    }
    // A CA and a client certificate of another cluster: right shape, wrong issuer.
    issueEtcdPki(path.join(dir, "foreign"), etcdCertPlan("other", "other.lan", [{ name: "quorum-1", privateIp: members[0].ip }]));

    // systemctl's stand-in asks for /stop/<member> and /start/<member>.
    control = http.createServer((req, res) => {
        void (async () => {
            const [, action, name] = (req.url ?? "").split("/");
            const m = members.find((x) => x.name === name);
            if (m && action === "stop") await stop(m);
            if (m && action === "start") start(m);
            res.end("ok");
        })();
    });
    await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
    controlPort = (control.address() as { port: number }).port;

    // The bundle's etcd.env, for which startCluster puts this test's addresses in the plan's.
    expect(bundleEnv).toMatch(/^ETCD_INITIAL_CLUSTER=quorum-1=https:\/\/10\.136\.64\.21:2380,quorum-2=https:\/\/10\.136\.128\.21:2380,quorum-3=https:\/\/10\.136\.192\.21:2380\nETCD_INITIAL_CLUSTER_STATE=new\n$/);
}, 90_000);

afterAll(async () => {
    control?.close();
    // Killed: a member left without a quorum took seconds to stop gracefully.
    await Promise.all(members.map((m) => stop(m, "SIGKILL")));
    // Six members' data and preallocated WAL files: ~600 MB a run, left behind otherwise.
    fs.rmSync(dir, { recursive: true, force: true });
});

// The two clusters side by side; within each, the cases in order.
describe.concurrent("etcd with the unit's TLS flags, and etcd-member-swap.sh refusing or doing nothing", () => {
    const [m1, m2, m3] = steady;
    beforeAll(() => startCluster(steady), 90_000);

    it.sequential("runs the flags of the quorum unit: https everywhere, client certificates demanded on both ports", () => {
        const flags = unitFlags(m1).join(" ");
        expect(flags).toContain(`--listen-peer-urls https://${m1.ip}:2380 --initial-advertise-peer-urls https://${m1.ip}:2380`);
        expect(flags).toContain(`--client-cert-auth --trusted-ca-file ${m1.tls}/ca.crt --cert-file ${m1.tls}/node.crt --key-file ${m1.tls}/node.key`);
        expect(flags).toContain(`--peer-client-cert-auth --peer-trusted-ca-file ${m1.tls}/ca.crt --peer-cert-file ${m1.tls}/node.crt --peer-key-file ${m1.tls}/node.key`);
        expect(flags).not.toContain("http://");
    });

    it.sequential("answers a client with etcdctl's certificate; the three members are started", async () => {
        const list = await ctl(m1, "member", "list");
        expect(list.code, list.stderr).toBe(0);
        expect(list.stdout.split("\n").filter((l) => l.includes(", started, ") && l.includes("https://"))).toHaveLength(3);
    });

    it.sequential("refuses a client without a certificate, with a foreign one, and over plain http", async () => {
        // Test only: 0.5 s per refused call (etcdctl waits its command timeout for a TLS refusal too).
        let since = logOf(m2).length;
        const bare = await run("etcdctl", [`--endpoints=${clientUrl(m2)}`, `--cacert=${pkiDir}/ca.crt`, "--dial-timeout=500ms", "--command-timeout=500ms", "get", "before-swap"], { env: { ...process.env, ETCDCTL_API: "3" } });
        expect(bare.code).not.toBe(0);
        expect(bare.stdout).not.toContain("kept");
        expect(bare.stderr).toMatch(/bad certificate|certificate required|context deadline exceeded/);
        // The member says why: a TLS rejection, not a network problem.
        expect(logOf(m2, since)).toContain(`(error "tls: client didn't provide a certificate"`);
        since = logOf(m2).length;
        const foreign = await run("etcdctl", [`--endpoints=${clientUrl(m2)}`, `--cacert=${pkiDir}/ca.crt`, `--cert=${dir}/foreign/client.crt`, `--key=${dir}/foreign/client.key`,
            "--dial-timeout=500ms", "--command-timeout=500ms", "get", "before-swap"], { env: { ...process.env, ETCDCTL_API: "3" } });
        expect(foreign.code).not.toBe(0);
        expect(foreign.stdout).not.toContain("kept");
        expect(logOf(m2, since)).toMatch(/failed to verify client certificate: x509: certificate signed by unknown authority|bad certificate/);
        const plain = await run("curl", ["-s", "--max-time", "3", "-o", "/dev/null", "-w", "%{http_code}", `http://${m2.ip}:${PORTS.etcdClient}/version`]);
        expect(plain.stdout).not.toBe("200");
    }, 30_000);

    it.sequential("refuses a peer without a certificate on 2380, and lets a member's own through", async () => {
        const peer = (...args: string[]) => run("curl", ["-s", "--http1.1", "--max-time", "3", "--cacert", `${pkiDir}/ca.crt`, ...args, "-o", "/dev/null", "-w", "%{http_code}", `${peerUrl(m2)}/version`]);
        expect((await peer()).stdout).not.toBe("200");
        expect((await peer("--cert", `${dir}/foreign/client.crt`, "--key", `${dir}/foreign/client.key`)).stdout).not.toBe("200");
        // From the member's own address (etcd matches a client certificate's SANs against it).
        expect((await peer("--interface", m1.ip, "--cert", `${m1.tls}/node.crt`, "--key", `${m1.tls}/node.key`)).stdout).toBe("200");
    }, 30_000);

    it.sequential("etcd-member-swap.sh does nothing on a healthy member (the cluster's first start)", async () => {
        const before = envFiles(steady);
        const result = await swap(steady, withCert);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain("quorum-1 is a healthy member");
        expect(envFiles(steady)).toEqual(before);
    }, 60_000);

    it.sequential("etcd-member-swap.sh refuses, changing nothing, when its etcdctl presents a certificate of another CA, quoting etcdctl and pointing at the certificate", async () => {
        const before = envFiles(steady);
        const since = logOf(m3).length;
        const result = await swap(steady, shims({ etcdctl: wrapper(`${dir}/foreign/client.crt`, `${dir}/foreign/client.key`, "500ms") }), "--timeout", "1");
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/only 0 of the 2 other members are healthy; a change of membership needs 2 of 3: bring them back first \(nothing was changed\); https:\/\/[0-9.]+:2379 is unhealthy: .*; if they are running, see whether they refuse this etcdctl's certificate/);
        // What a member logged meanwhile: the certificate, not a member down.
        expect(logOf(m3, since)).toMatch(/rejected connection from .*certificate signed by unknown authority/);
        expect(envFiles(steady)).toEqual(before);
        expect(Object.keys(before)).toEqual(["env-1", "env-2", "env-3"]);
    }, 60_000);

    it.sequential("etcd-member-swap.sh refuses URLs of two schemes (an http peer URL in a TLS cluster)", async () => {
        const result = await run("bash", [script("etcd-member-swap.sh"), "--name", "quorum-1", "--peer-url", `http://${m1.ip}:2380`, "--client-url", clientUrl(m1), clientUrl(m2)]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`${clientUrl(m1)}: every URL must be http:// as --peer-url is`);
    });

    it.sequential("etcd-member-swap.sh still refuses, changing nothing, when the other members have no quorum", async () => {
        await stop(m3);
        await stop(m1);
        const before = envFiles(steady);
        const result = await swap(steady, shims({ etcdctl: wrapper(undefined, undefined, "500ms") }), "--timeout", "1");
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/only [01] of the 2 other members are healthy; a change of membership needs 2 of 3: bring them back first \(nothing was changed\)/);
        expect(envFiles(steady)).toEqual(before);
        expect(Object.keys(before)).toEqual(["env-1", "env-2", "env-3"]);
    }, 60_000);
});

describe.concurrent("etcd-member-swap.sh over TLS, replacing a member", () => {
    const [m1, m2] = swapped;
    beforeAll(() => startCluster(swapped), 90_000);

    it.sequential("swaps a rebuilt member with https peer URLs: old id removed, new member started as existing, every key readable from it", async () => {
        const oldId = (await ctl(m2, "member", "list")).stdout.split("\n").find((l) => l.includes(`, ${m1.name}, `))!.split(",")[0];
        await stop(m1);
        fs.rmSync(m1.data, { recursive: true, force: true });
        start(m1);
        // 2 s per etcdctl call (test only): the rebuilt member answers none until it is swapped in.
        // --grace 6 (90 s on a node): etcd adds a member only once its leader has been connected
        // to a quorum for 5 s, and this cluster is seconds old.
        const result = await swap(swapped, shims({ etcdctl: wrapper(undefined, undefined, "2s") }), "--grace", "6");
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain(`replacing member ${oldId}`);
        const list = (await ctl(m2, "member", "list")).stdout;
        expect(list).not.toContain(oldId);
        expect(list.split("\n").filter((l) => l.includes(", started, "))).toHaveLength(3);
        expect(list).toContain(`, ${m1.name}, ${peerUrl(m1)}, ${clientUrl(m1)}`);
        const env = fs.readFileSync(m1.env, "utf8");
        expect(env).toMatch(/^ETCD_INITIAL_CLUSTER=.*\nETCD_INITIAL_CLUSTER_STATE=existing\n$/);
        expect(env).toContain(`${m1.name}=${peerUrl(m1)}`);
        expect(env).not.toContain("http://");
        const read = await ctl(m1, "get", "before-swap", "--consistency=s", "--print-value-only");
        expect(read.stdout.trim()).toBe("kept");
    }, 90_000);

});
