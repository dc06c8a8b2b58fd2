#!/usr/bin/env node
// The lab (issue 5): replays seed 000 for real on local hosts, one network namespace per node
// of the plan of test/lab/Pulumi.lab.yaml, running the post-step scripts that the plan writes,
// over SSH through the border as the jump host; then injects faults. See README, "The lab".
//
//   sudo npm run lab            LAB_KEEP=1 leaves the cluster up at the end (for poking around)
"use strict";

const cp = require("child_process");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const HERE = __dirname;
const REPO = path.resolve(HERE, "..", "..");
const LAB = path.join(REPO, ".lab");
const PREFIX = "mclab";
const CONFIG = path.join(HERE, "Pulumi.lab.yaml");
const NET = path.join(HERE, "net.sh");
const LAUNCHER = path.join(REPO, "templates", "files", "zk-static-ensemble.sh");
const SSH_DIR = path.join(LAB, "ssh");
const SSH_CONFIG = path.join(SSH_DIR, "config");
const PY = "/usr/bin/python3";
// s: the stand-ins' ZooKeeper session timeout, which bounds every Mesos hop and the takeover.
// Mesos' and Marathon's default is 10 s; the lab uses 6 s to keep .ci/run under 5 minutes on
// two cores (LAB_ZK_SESSION=10 for the default; ZooKeeper allows 4..40 s at tickTime 2000).
const SESSION_TIMEOUT = Number(process.env.LAB_ZK_SESSION ?? 6);
const SEED_SLEEP = 10; // s: seed 000's manual `sleep 10` per hop
const ZK_CLASSPATH = ["/etc/zookeeper/conf", "/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"].join(":");
// Fault checks shorten the scripts' own --timeout (and the outer `timeout`) on the command
// line only; the script bodies run unchanged. The main replay runs the plan's text verbatim.
const FAULT_TIMEOUT = 12;
const PACKAGES = ["iproute2", "openssh-server", "openssh-client", "zookeeper", "curl", "jq", "netcat-openbsd", "python3-kazoo", "util-linux", "iputils-ping", "procps"];
// Seed 000's MACs of master-1 before and after the replacement.
const MAC_OLD = "06:5f:d8:1e:5f:a9";
const MAC_NEW = "06:66:72:e3:21:77";

const T0 = Date.now();
const secs = (ms) => (ms / 1000).toFixed(1);
const stamp = () => `[${secs(Date.now() - T0).padStart(6)} s]`;
const say = (msg) => console.log(`${stamp()} ${msg}`);
const section = (title) => console.log(`\n${stamp()} ==== ${title}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class LabError extends Error {}

// ---------------------------------------------------------------------------------------------
// Processes

/** Runs a command to completion, bounded; never throws. */
function run(argv, { input, timeout = 60_000, env } = {}) {
    const r = cp.spawnSync(argv[0], argv.slice(1), { input, timeout, encoding: "utf8", env: env ?? process.env, maxBuffer: 64 << 20 });
    const timedOut = r.error && r.error.code === "ETIMEDOUT";
    return {
        code: r.status ?? (timedOut ? 124 : 1),
        stdout: r.stdout ?? "",
        stderr: (r.stderr ?? "") + (r.error ? `${r.error.message}\n` : ""),
        timedOut,
    };
}

function must(argv, what, opts) {
    const r = run(argv, opts);
    if (r.code !== 0) throw new LabError(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
}

/** Runs a command asynchronously, bounded; resolves with code, output and wall time. */
function runAsync(argv, { stdinFile, timeout = 60_000, onLine } = {}) {
    return new Promise((resolve) => {
        const started = Date.now();
        const child = cp.spawn(argv[0], argv.slice(1), { stdio: [stdinFile ? fs.openSync(stdinFile, "r") : "ignore", "pipe", "pipe"] });
        let out = "";
        let partial = "";
        const take = (chunk) => {
            out += chunk;
            partial += chunk;
            const lines = partial.split("\n");
            partial = lines.pop();
            for (const line of lines) onLine?.(line);
        };
        child.stdout.setEncoding("utf8").on("data", take);
        child.stderr.setEncoding("utf8").on("data", take);
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, timeout);
        child.on("close", (code) => {
            clearTimeout(timer);
            if (partial) onLine?.(partial);
            resolve({ code: timedOut ? 124 : code ?? 1, out, ms: Date.now() - started, timedOut });
        });
    });
}

/** Polls fn until it returns a truthy value; throws naming `what` and the last state seen. */
async function waitFor(what, fn, { timeout = 60_000, interval = 500 } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
        try {
            const v = await fn();
            if (v && v.ok !== false) return v;
            last = v && v.detail;
        } catch (err) {
            last = err.message;
        }
        if (Date.now() >= deadline) throw new LabError(`${what}: not within ${timeout / 1000} s${last ? ` (last seen: ${last})` : ""}`);
        await sleep(interval);
    }
}

// ---------------------------------------------------------------------------------------------
// Checks

const checks = [];
function check(name, ok, detail) {
    checks.push({ name, ok, detail });
    say(`${ok ? "PASS" : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
    return ok;
}

// ---------------------------------------------------------------------------------------------
// Setup: root, packages, lock, cleanup

function ensureRoot() {
    if (process.getuid() !== 0) {
        console.error("lab: must run as root (it creates network namespaces): sudo npm run lab");
        process.exit(2);
    }
}

function ensurePackages() {
    const missing = PACKAGES.filter((p) => !/install ok installed/.test(run(["dpkg-query", "-W", "-f=${Status}", p]).stdout));
    if (missing.length === 0) return;
    say(`installing Debian packages: ${missing.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], { env, timeout: 600_000 }).code !== 0) {
        must(["apt-get", "update", "-qq"], "apt-get update", { env, timeout: 300_000 });
        must(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], `apt-get install ${missing.join(" ")}`, { env, timeout: 600_000 });
    }
}

function net(...args) {
    return must(["bash", NET, ...args], `net.sh ${args.join(" ")}`, { env: { ...process.env, LAB_DIR: LAB, LAB_PREFIX: PREFIX } });
}

let cleanedUp = false;
function cleanup() {
    if (cleanedUp) return;
    cleanedUp = true;
    const r = run(["bash", NET, "cleanup"], { env: { ...process.env, LAB_DIR: LAB, LAB_PREFIX: PREFIX }, timeout: 60_000 });
    if (r.code !== 0) console.error(`lab: cleanup failed: ${r.stderr.trim()}`);
}

// ---------------------------------------------------------------------------------------------
// The plan

function readPlan() {
    const out = path.join(LAB, "plan");
    // .lab/ is the lab's own: a plan directory from before --out's ownership marker is removed.
    fs.rmSync(out, { recursive: true, force: true });
    const r = run([process.execPath, path.join(REPO, "scripts", "plan.js"), "--config", CONFIG, "--json", "--out", out], { timeout: 120_000 });
    if (r.code !== 0) throw new LabError(`npm run plan -- --config ${path.relative(REPO, CONFIG)} --json --out ${out} failed: ${r.stderr.trim()}`);
    const report = JSON.parse(r.stdout);
    report.outDir = out;
    report.commands = report.commands ?? [];
    return report;
}

/** write_files of a node's rendered cloud-config: path -> content. */
function cloudConfigFiles(planDir, name) {
    const file = path.join(planDir, "cloud-config", `${name}.yaml`);
    const files = new Map();
    if (!fs.existsSync(file)) return files;
    let doc;
    try {
        doc = require(path.join(REPO, "node_modules", "yaml")).parse(fs.readFileSync(file, "utf8"));
    } catch {
        return files;
    }
    for (const entry of doc?.write_files ?? []) {
        if (!entry || typeof entry.path !== "string") continue;
        let content = entry.content ?? "";
        const enc = String(entry.encoding ?? "");
        if (/^(b64|base64)$/.test(enc)) content = Buffer.from(content, "base64").toString("utf8");
        if (/^(gz\+b64|gzip\+base64|gz\+base64|gzip\+b64)$/.test(enc)) content = zlib.gunzipSync(Buffer.from(content, "base64")).toString("utf8");
        files.set(entry.path, content);
    }
    return files;
}

// ---------------------------------------------------------------------------------------------
// Nodes

const macOf = (node) => (node.name === "master-1" ? MAC_OLD : `06:00:${node.privateIp.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join(":")}`);
const nsOf = (name) => `${PREFIX}-${name}`;
const dirOf = (name) => path.join(LAB, "nodes", name);

class Lab {
    constructor(plan) {
        this.plan = plan;
        this.nodes = plan.nodes;
        this.byName = new Map(plan.nodes.map((n) => [n.name, n]));
        this.masters = plan.nodes.filter((n) => n.role === "master");
        this.border = plan.nodes.find((n) => n.role === "border");
        this.zkHosts = this.masters.map((m) => `${m.privateIp}:2181`).join(",");
        this.hostKeys = new Map();
        this.envFiles = new Map(); // master name -> env file content as its cloud-config writes it
        this.envSource = "";
    }

    // -- SSH material -------------------------------------------------------------------------

    makeClientKey() {
        fs.mkdirSync(SSH_DIR, { recursive: true, mode: 0o700 });
        must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lab@mclab", "-f", path.join(SSH_DIR, "id_ed25519")], "ssh-keygen (client key)");
        fs.writeFileSync(SSH_CONFIG, [
            `Host ${this.border.name} ${this.border.privateIp}`,
            `    HostName ${this.border.privateIp}`,
            // The root namespace reaches only the border, through the border's own loopback.
            `    ProxyCommand ip netns exec ${nsOf(this.border.name)} nc 127.0.0.1 22`,
            "Host *",
            "    User root",
            `    IdentityFile ${path.join(SSH_DIR, "id_ed25519")}`,
            "    IdentitiesOnly yes",
            `    UserKnownHostsFile ${path.join(SSH_DIR, "known_hosts")}`,
            "    GlobalKnownHostsFile /dev/null",
            "    StrictHostKeyChecking yes",
            "    BatchMode yes",
            "    ConnectTimeout 30",
            "    ServerAliveInterval 5",
            "    ServerAliveCountMax 6",
            "    LogLevel ERROR",
            "",
        ].join("\n"));
    }

    writeKnownHosts() {
        const lines = [...this.hostKeys].map(([name, key]) => {
            const n = this.byName.get(name);
            return `${n.privateIp},${n.name},${n.fqdn} ${key}`;
        });
        fs.writeFileSync(path.join(SSH_DIR, "known_hosts"), lines.join("\n") + "\n");
    }

    sshArgv(node) {
        return ["ssh", "-F", SSH_CONFIG, ...(node.role === "border" ? [] : ["-J", `root@${this.border.name}`]), `root@${node.privateIp}`];
    }

    // -- Node directories -----------------------------------------------------------------------

    hostsFile(name) {
        const fromCloudConfig = cloudConfigFiles(this.plan.outDir, name).get("/etc/hosts");
        if (fromCloudConfig && fromCloudConfig.includes(this.masters[0].fqdn)) return fromCloudConfig;
        return ["127.0.0.1 localhost", ...this.nodes.map((n) => `${n.privateIp} ${n.fqdn} ${n.name}`), ""].join("\n");
    }

    envFileFor(name) {
        const fromCloudConfig = cloudConfigFiles(this.plan.outDir, name).get("/etc/mesos-cluster/exhibitor");
        if (fromCloudConfig) {
            this.envSource = "the rendered cloud-config (write_files /etc/mesos-cluster/exhibitor)";
            return fromCloudConfig;
        }
        this.envSource = "the plan's exhibitorStaticEnsemble (the cloud-config does not write the env file)";
        return `EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=${this.plan.exhibitorStaticEnsemble}\n`;
    }

    units(node, { autostartServices }) {
        const units = { ssh: { argv: ["/usr/sbin/sshd", "-D", "-e", "-f", "/run/lab-node/sshd_config"], restartSec: 1 } };
        if (node.role !== "master") return units;
        const ip = node.privateIp;
        units.zookeeper = {
            // The same launcher and env file as the cloud-config; Debian's ZooKeeper in the foreground.
            argv: ["bash", LAUNCHER, "--env", "/etc/mesos-cluster/exhibitor", "--ip", ip, "--conf-dir", "/run/mesos-cluster/zookeeper", "--data-dir", "/var/lib/zookeeper", "--",
                "java", "-Xmx128m", "-Xms32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.root.logger=INFO,CONSOLE", "-Dzookeeper.log.dir=/run/lab-node/log",
                "-cp", ZK_CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain", "/run/mesos-cluster/zookeeper/zoo.cfg"],
            restartSec: 2,
        };
        for (const kind of ["mesos", "marathon"]) {
            units[kind === "mesos" ? "mesos-master" : "marathon"] = {
                argv: [PY, "-B", path.join(HERE, "standin.py"), "--kind", kind, "--zk", this.zkHosts, "--fqdn", node.fqdn, "--ip", ip, "--session-timeout", String(SESSION_TIMEOUT)],
                restartSec: 2,
                autostart: autostartServices,
            };
        }
        units["mesos-dns"] = { argv: ["sleep", "infinity"], restartSec: 2 };
        return units;
    }

    prepareNode(node, { autostartServices }) {
        const dir = dirOf(node.name);
        fs.rmSync(dir, { recursive: true, force: true });
        for (const sub of ["etc-mesos-cluster", "zk-data", "run-mesos-cluster", "node/log"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
        fs.writeFileSync(path.join(dir, "hosts"), this.hostsFile(node.name));
        const state = path.join(dir, "node");
        fs.writeFileSync(path.join(state, "units.json"), JSON.stringify(this.units(node, { autostartServices }), null, 2));
        // A new machine gets new host keys (master-1's replacement too).
        must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `root@${node.name}`, "-f", path.join(state, "ssh_host_ed25519_key")], `ssh-keygen (host key of ${node.name})`);
        this.hostKeys.set(node.name, fs.readFileSync(path.join(state, "ssh_host_ed25519_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" "));
        fs.copyFileSync(path.join(SSH_DIR, "id_ed25519.pub"), path.join(state, "authorized_keys"));
        fs.writeFileSync(path.join(state, "sshd_config"), [
            "Port 22",
            "HostKey /run/lab-node/ssh_host_ed25519_key",
            "AuthorizedKeysFile /run/lab-node/authorized_keys",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PidFile none",
            "AllowTcpForwarding yes",
            "PrintMotd no",
            "MaxStartups 100:30:200",
            "MaxSessions 100",
            "LogLevel ERROR",
            "",
        ].join("\n"));
        if (node.role === "master") {
            const env = this.envFileFor(node.name);
            this.envFiles.set(node.name, env);
            fs.writeFileSync(path.join(dir, "etc-mesos-cluster", "exhibitor"), env);
        }
    }

    bootNode(node, mac, { autostartServices }) {
        this.prepareNode(node, { autostartServices });
        const prefix = node.role === "border" ? this.plan.publicPrefix : this.plan.privatePrefix;
        net("node-up", node.name, `${node.privateIp}/${prefix}`, mac, this.plan.vpcCidr);
        net("node-start", node.name, dirOf(node.name));
    }

    supervisorPid(name) {
        const pid = fs.readFileSync(path.join(dirOf(name), "init.pid"), "utf8").trim();
        if (!/^\d+$/.test(pid) || !fs.existsSync(`/proc/${pid}`)) throw new LabError(`${name}: its supervisor (pid ${pid}) is not running; see ${path.join(dirOf(name), "node", "log")}`);
        return pid;
    }

    /** Runs argv inside the node: its network, mount and UTS namespaces (the lab's own access). */
    inNode(name, argv, opts) {
        return run(["nsenter", "-t", this.supervisorPid(name), "-n", "-m", "-u", "--", ...argv], opts);
    }

    systemctl(name, ...args) {
        const r = this.inNode(name, ["/usr/local/sbin/systemctl", ...args], { timeout: 30_000 });
        if (r.code !== 0 && args[0] !== "is-active") throw new LabError(`${name}: systemctl ${args.join(" ")} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
        return r;
    }

    /** Runs argv in the node's network namespace only (the lab's probes). */
    inNet(name, argv, opts) {
        return run(["ip", "netns", "exec", nsOf(name), ...argv], opts);
    }

    // -- Probes ---------------------------------------------------------------------------------

    zkMode(master) {
        const r = this.inNet(master.name, ["sh", "-c", `echo srvr | nc -w 3 ${master.privateIp} 2181`], { timeout: 8000 });
        const m = /^Mode: (\w+)/m.exec(r.stdout);
        return m ? m[1] : "down";
    }

    ensemble(masters = this.masters) {
        const modes = masters.map((m) => [m.name, this.zkMode(m)]);
        const leaders = modes.filter(([, mode]) => mode === "leader").length;
        const serving = modes.filter(([, mode]) => mode === "leader" || mode === "follower").length;
        return { ok: leaders === 1 && serving === masters.length, detail: modes.map(([n, mode]) => `${n}=${mode}`).join(" ") };
    }

    /** What master `m` answers for the Mesos leader: a node name, "none" (503) or "down". */
    mesosLeaderSeenBy(m) {
        const r = this.inNet(m.name, ["curl", "-sI", "--max-time", "3", `http://${m.privateIp}:5050/redirect`], { timeout: 8000 });
        const status = /^HTTP\/\S+ (\d+)/m.exec(r.stdout)?.[1];
        if (!status) return "down";
        if (status === "503") return "none";
        const loc = /^location: *\/\/([^:\s]+)/im.exec(r.stdout)?.[1];
        return this.nodes.find((n) => n.fqdn === loc)?.name ?? `unknown(${loc ?? status})`;
    }

    marathonLeaderSeenBy(m) {
        const r = this.inNet(m.name, ["curl", "-s", "--max-time", "3", `http://${m.privateIp}:8080/v2/leader`], { timeout: 8000 });
        if (r.code !== 0) return "down";
        try {
            const leader = JSON.parse(r.stdout).leader;
            if (!leader) return "none";
            return this.nodes.find((n) => `${n.fqdn}:8080` === leader)?.name ?? `unknown(${leader})`;
        } catch {
            return "none";
        }
    }

    /** Leaders as every given master sees them; `agreed` is the leader if all agree. */
    leaders(masters = this.masters) {
        const mesos = masters.map((m) => [m.name, this.mesosLeaderSeenBy(m)]);
        const marathon = masters.map((m) => [m.name, this.marathonLeaderSeenBy(m)]);
        const agree = (seen) => (new Set(seen.map(([, l]) => l)).size === 1 && this.byName.has(seen[0][1]) ? seen[0][1] : undefined);
        const fmt = (seen) => seen.map(([n, l]) => `${n}->${l}`).join(" ");
        return { mesos: agree(mesos), marathon: agree(marathon), detail: `mesos: ${fmt(mesos)}; marathon: ${fmt(marathon)}` };
    }

    async waitLeaders(what, want, masters = this.masters, timeout = 60_000) {
        return waitFor(what, () => {
            const l = this.leaders(masters);
            return { ...l, ok: want(l) };
        }, { timeout, interval: 500 });
    }

    neighbour(fromName, ip) {
        const r = this.inNet(fromName, ["ip", "neigh", "show", ip]);
        return r.stdout.trim();
    }

    zkcli(fromName, ...args) {
        return this.inNet(fromName, [PY, "-B", path.join(HERE, "zkcli.py"), "--zk", this.zkHosts, ...args], { timeout: 30_000 });
    }

    // -- Post-step commands ---------------------------------------------------------------------

    scriptOf(cmd) {
        return path.join(this.plan.outDir, "scripts", `${cmd.name}.sh`);
    }

    /**
     * Runs commands as Pulumi would: each once all its dependsOn (within this set) succeeded,
     * independent ones in parallel; a command whose dependency failed is skipped.
     * `override` maps a command to a replacement script file (fault checks' shorter bounds).
     */
    async runCommands(cmds, { label, override, timeout = 1_500_000 } = {}) {
        const names = new Set(cmds.map((c) => c.name));
        const results = new Map();
        const pending = new Map();
        const start = (cmd) => {
            const node = this.byName.get(cmd.node);
            const file = override ? override(cmd) : this.scriptOf(cmd);
            const tag = `${cmd.name}`;
            const argv = [...this.sshArgv(node), "bash"];
            const p = runAsync(argv, {
                stdinFile: file,
                timeout,
                onLine: (line) => console.log(`${stamp()}   ${tag} | ${line}`),
            }).then((r) => {
                const res = { ...r, cmd, node, startedAt: Date.now() - r.ms, endedAt: Date.now() };
                results.set(cmd.name, res);
                pending.delete(cmd.name);
                const verdict = r.code === 0 ? "ok" : `FAILED on ${cmd.node} (${node.privateIp}), exit ${r.code}${r.timedOut ? " (the lab's bound)" : ""}: ${lastError(r.out)}`;
                say(`${label ? `${label}: ` : ""}${cmd.name} [${cmd.step} on ${cmd.node}] ${secs(r.ms)} s ${verdict}`);
            });
            pending.set(cmd.name, p);
        };
        const todo = [...cmds];
        while (todo.length > 0 || pending.size > 0) {
            for (let i = 0; i < todo.length; ) {
                const cmd = todo[i];
                const deps = (cmd.dependsOn ?? []).filter((d) => names.has(d));
                if (deps.some((d) => results.has(d) && (results.get(d).code !== 0 || results.get(d).skipped))) {
                    results.set(cmd.name, { cmd, skipped: true, code: null, ms: 0, out: "" });
                    say(`${label ? `${label}: ` : ""}${cmd.name} [${cmd.step} on ${cmd.node}] skipped: a dependency failed`);
                    todo.splice(i, 1);
                } else if (deps.every((d) => results.has(d))) {
                    todo.splice(i, 1);
                    say(`${label ? `${label}: ` : ""}${cmd.name} [${cmd.step} on ${cmd.node}] starts`);
                    start(cmd);
                } else i++;
            }
            if (pending.size === 0) {
                if (todo.length > 0) throw new LabError(`commands ${todo.map((c) => c.name).join(", ")} depend on something that never ran`);
                break;
            }
            await Promise.race(pending.values());
        }
        return cmds.map((c) => results.get(c.name));
    }

    /** A copy of a command's script with the script's --timeout and the outer timeout shortened. */
    shortened(cmd, seconds) {
        const text = fs.readFileSync(this.scriptOf(cmd), "utf8");
        const lines = text.split("\n");
        const i = lines.findIndex((l) => /^timeout \d+ /.test(l));
        if (i < 0) throw new LabError(`${cmd.name}: no 'timeout N ...' line in ${this.scriptOf(cmd)} to shorten`);
        lines[i] = lines[i].replace(/^timeout \d+ /, `timeout ${seconds + 30} `).replace(/'--timeout' '\d+'/g, `'--timeout' '${seconds}'`);
        const file = path.join(LAB, "fault-scripts", `${cmd.name}.sh`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, lines.join("\n"));
        return file;
    }
}

function lastError(out) {
    const lines = out.trim().split("\n").filter(Boolean);
    return (lines.filter((l) => /error|fail|refus|denied|timed out|unreachable|no route/i.test(l)).pop() ?? lines.pop() ?? "(no output)").trim();
}

// ---------------------------------------------------------------------------------------------
// Phases

async function build(lab) {
    section("build: one network namespace per node, on a bridge in its own switch namespace");
    lab.makeClientKey();
    net("switch-up");
    for (const node of lab.nodes) lab.bootNode(node, macOf(node), { autostartServices: false });
    lab.writeKnownHosts();
    say(`nodes: ${lab.nodes.map((n) => `${n.name}=${n.privateIp}`).join(" ")}`);
    say(`Exhibitor env files from ${lab.envSource}`);

    await waitFor("every node answers SSH through the border", async () => {
        const rs = await Promise.all(lab.nodes.map((n) => runAsync([...lab.sshArgv(n), "hostname"], { timeout: 20_000 }).then((r) => [n, r])));
        const bad = rs.filter(([n, r]) => r.code !== 0 || r.out.trim() !== n.name);
        return { ok: bad.length === 0, detail: bad.map(([n, r]) => `${n.name}: ${r.out.trim() || `exit ${r.code}`}`).join("; ") };
    }, { timeout: 60_000, interval: 1000 });
    check("ssh -J root@border reaches every node", true, lab.nodes.map((n) => n.name).join(", "));

    const zk = await waitFor("the ZooKeeper ensemble settles (every member serves, one leader)", () => lab.ensemble(), { timeout: 120_000, interval: 1000 });
    check("ZooKeeper ensemble started through zk-static-ensemble settles", true, zk.detail);
}

async function replay(lab) {
    const m1 = lab.byName.get("master-1");
    const others = lab.nodes.filter((n) => n !== m1);
    const survivors = lab.masters.filter((m) => m !== m1);

    section("seed 000 step 1: master-1 is the elected master");
    for (const unit of ["mesos-master", "marathon"]) lab.systemctl("master-1", "start", unit);
    await lab.waitLeaders("master-1 leads Mesos and Marathon (alone)", (l) => l.mesos === "master-1" && l.marathon === "master-1", [m1], 30_000);
    for (const m of survivors) for (const unit of ["mesos-master", "marathon"]) lab.systemctl(m.name, "start", unit);
    const l1 = await lab.waitLeaders("every master names master-1 as leader", (l) => l.mesos === "master-1" && l.marathon === "master-1", lab.masters, 30_000);
    check("master-1 leads Mesos and Marathon", true, l1.detail);
    const values = [1, 2, 3, 4, 5].map((i) => `voting-app-container-${i}`);
    const put = lab.zkcli("master-2", "put", "/lab/app", ...values);
    check("test znodes written", put.code === 0, (put.stdout || put.stderr).trim());

    for (const n of others) lab.inNet(n.name, ["ping", "-c", "1", "-W", "2", m1.privateIp], { timeout: 5000 });
    const view = others.map((n) => [n.name, lab.neighbour(n.name, m1.privateIp)]);
    for (const [n, v] of view) say(`  ARP view on ${n}: ${v || "(none)"}`);
    check(`every other host has a neighbour entry for ${m1.privateIp} at the old MAC ${MAC_OLD}`, view.every(([, v]) => v.includes(MAC_OLD)),
        view.filter(([, v]) => !v.includes(MAC_OLD)).map(([n]) => n).join(", ") || `${view.length} hosts`);

    section("seed 000 step 2: destroy master-1");
    const tDestroy = Date.now();
    net("node-down", "master-1");
    const l2 = await lab.waitLeaders("the surviving masters agree on a new leader", (l) => l.mesos && l.marathon && l.mesos !== "master-1" && l.marathon !== "master-1", survivors, 90_000);
    const takeover = Date.now() - tDestroy;
    check("another master takes over after master-1 is destroyed", true, `${l2.detail} (after ${secs(takeover)} s)`);

    section("seed 000 step 4: a brand-new master-1 (same name and IP, new MAC, empty ZooKeeper data)");
    lab.bootNode(m1, MAC_NEW, { autostartServices: true });
    lab.writeKnownHosts();
    const envNow = fs.readFileSync(path.join(dirOf("master-1"), "etc-mesos-cluster", "exhibitor"), "utf8");
    say(`master-1 MAC ${MAC_OLD} -> ${MAC_NEW}; env file from ${lab.envSource}: ${envNow.trim().replace(/\n/g, " | ")}`);
    const before = others.map((n) => [n.name, lab.neighbour(n.name, m1.privateIp)]);
    say(`before the post-steps, hosts still at the old MAC: ${before.filter(([, v]) => v.includes(MAC_OLD)).map(([n]) => n).join(", ") || "none"}`);

    section("seed 000 steps 3-5: the plan's post-step commands, over SSH through the border");
    if (lab.plan.commands.length === 0) {
        check("the plan has post-step commands", false, "npm run plan -- --json shows no 'commands': nothing to replay");
        return { takeover, results: [] };
    }
    const tPost = Date.now();
    const results = await lab.runCommands(lab.plan.commands, { label: "replay" });
    const postMs = Date.now() - tPost;
    const failed = results.filter((r) => r.code !== 0);
    const purgedOld = results.filter((r) => r.cmd.step === "arp-purge" && new RegExp(`purging ${m1.privateIp.replace(/\./g, "\\.")} .*${MAC_OLD}`).test(r.out)).map((r) => r.cmd.node);
    say(`the ARP purge removed master-1's old MAC on: ${purgedOld.join(", ") || "no host"}`);
    check("every post-step command succeeds", failed.length === 0, failed.map((r) => `${r.cmd.name}: ${r.skipped ? "skipped" : lastError(r.out)}`).join("; ") || `${results.length} commands in ${secs(postMs)} s`);

    section("checks after the replay");
    const after = others.map((n) => [n.name, lab.neighbour(n.name, m1.privateIp)]);
    for (const [n, v] of after) say(`  ARP view on ${n}: ${v || "(none)"}`);
    check(`no host keeps master-1's old MAC (entry gone or ${MAC_NEW})`, after.every(([, v]) => !v.includes(MAC_OLD) && (v === "" || v.includes(MAC_NEW) || /FAILED|INCOMPLETE/.test(v))),
        after.filter(([, v]) => v.includes(MAC_OLD)).map(([n]) => n).join(", ") || `${after.length} hosts`);
    const zk = lab.ensemble();
    check("ZooKeeper ensemble: one leader, every member serves", zk.ok, zk.detail);
    const survived = lab.zkcli("master-3", "check", "/lab/app", ...values);
    check("the test znodes survived", survived.code === 0, (survived.stdout || survived.stderr).trim());
    const l3 = lab.leaders();
    check("master-1 leads Mesos and Marathon again", l3.mesos === "master-1" && l3.marathon === "master-1", l3.detail);
    return { takeover, results, postMs };
}

async function faultExhibitor(lab) {
    section(`fault (a): master-3's ZooKeeper is down during the exhibitor rewrite (script bound shortened to ${FAULT_TIMEOUT} s)`);
    const chain = lab.plan.commands.filter((c) => c.step === "exhibitor-rewrite");
    if (chain.length === 0) return check("fault (a): the plan has exhibitor-rewrite commands", false, "none");
    // The file as it was before: same ensemble (ZooKeeper keeps working), different text, so
    // the rewrite really writes and restarts.
    const oldText = new Map();
    for (const m of lab.masters) {
        const file = path.join(dirOf(m.name), "etc-mesos-cluster", "exhibitor");
        const text = `# before the rewrite (lab fault a)\n${lab.envFiles.get(m.name)}`;
        fs.writeFileSync(file, text);
        oldText.set(m.name, text);
    }
    lab.systemctl("master-3", "stop", "zookeeper");
    const results = await lab.runCommands(chain, { label: "fault a", override: (c) => lab.shortened(c, FAULT_TIMEOUT) });
    const failedAt = results.find((r) => r.code !== 0 && !r.skipped);
    const message = failedAt ? lastError(failedAt.out) : "";
    check("fault (a): the rewrite chain stops with a clear message", Boolean(failedAt) && results.slice(results.indexOf(failedAt) + 1).every((r) => r.skipped) && /error: .*(settle|serve)/.test(message),
        failedAt ? `${failedAt.cmd.name}: ${message}` : "no command failed");
    const files = lab.masters.map((m) => {
        const dir = path.join(dirOf(m.name), "etc-mesos-cluster");
        const text = fs.readFileSync(path.join(dir, "exhibitor"), "utf8");
        const state = text === oldText.get(m.name) ? "old" : text.trim() === lab.envFiles.get(m.name).trim() ? "new" : "OTHER";
        const temps = fs.readdirSync(dir).filter((f) => f.startsWith(".exhibitor") || f.endsWith(".tmp"));
        return { m, state, temps };
    });
    check("fault (a): each env file is the old or the new content, no temp file left", files.every((f) => f.state !== "OTHER" && f.temps.length === 0),
        files.map((f) => `${f.m.name}=${f.state}${f.temps.length ? ` temp:${f.temps.join(",")}` : ""}`).join(" "));

    say("restore: start master-3's ZooKeeper, run the rewrite chain as planned (a real rolling restart)");
    lab.systemctl("master-3", "start", "zookeeper");
    const again = await lab.runCommands(chain, { label: "restore a" });
    const zk = await waitFor("ensemble settles", () => lab.ensemble(), { timeout: 60_000 }).catch((e) => ({ ok: false, detail: e.message }));
    check("fault (a) restored: the rewrite chain succeeds, files are new, ensemble settled", again.every((r) => r.code === 0) && zk.ok &&
        lab.masters.every((m) => fs.readFileSync(path.join(dirOf(m.name), "etc-mesos-cluster", "exhibitor"), "utf8").trim() === lab.envFiles.get(m.name).trim()),
        `${again.map((r) => `${r.cmd.node} ${secs(r.ms)} s`).join(", ")}; ${zk.detail}`);
    return again;
}

async function faultArp(lab) {
    const victim = lab.nodes.filter((n) => n.role === "worker").pop() ?? lab.nodes[lab.nodes.length - 1];
    section(`fault (b): ${victim.name} is unreachable during the ARP purge`);
    const purges = lab.plan.commands.filter((c) => c.step === "arp-purge");
    net("link", victim.name, "down");
    const results = await lab.runCommands(purges, { label: "fault b", timeout: 120_000 });
    const bad = results.filter((r) => r.code !== 0);
    check(`fault (b): only ${victim.name}'s purge fails, and the lab names it`, bad.length === 1 && bad[0].cmd.node === victim.name,
        bad.map((r) => `${r.cmd.name} on ${r.cmd.node} (${r.node.privateIp}) failed after ${secs(r.ms)} s: ${lastError(r.out)}`).join("; ") || "nothing failed");
    net("link", victim.name, "up", lab.plan.vpcCidr);
    const again = await lab.runCommands(purges.filter((c) => c.node === victim.name), { label: "restore b" });
    check(`fault (b) restored: ${victim.name}'s purge succeeds once its link is up`, again.every((r) => r.code === 0), again.map((r) => `${secs(r.ms)} s`).join(", "));
}

async function faultStepDown(lab) {
    const preferred = "master-1";
    section(`fault (c): the preferred leader ${preferred} cannot win (its mesos-master is stopped; script bound shortened to ${FAULT_TIMEOUT} s)`);
    const chain = lab.plan.commands.filter((c) => c.step === "leader-step-down");
    lab.systemctl(preferred, "stop", "mesos-master");
    const others = lab.masters.filter((m) => m.name !== preferred);
    const l0 = await lab.waitLeaders("another master leads Mesos", (l) => l.mesos && l.mesos !== preferred, others, 60_000);
    say(`with ${preferred}'s mesos-master stopped: ${l0.detail}`);
    const results = await lab.runCommands(chain, { label: "fault c", override: (c) => lab.shortened(c, FAULT_TIMEOUT) });
    const failed = results.filter((r) => r.code !== 0 && !r.skipped);
    check("fault (c): the step-down fails within its bound", failed.length > 0, failed.map((r) => `${r.cmd.name}: ${lastError(r.out)}`).join("; ") || "it succeeded");
    const l1 = lab.leaders(others);
    check("fault (c): the cluster still has a leader", Boolean(l1.mesos && l1.marathon), l1.detail);

    say(`restore: start ${preferred}'s mesos-master and run the step-down chain as planned`);
    lab.systemctl(preferred, "start", "mesos-master");
    const again = await lab.runCommands(chain, { label: "restore c" });
    const l2 = lab.leaders();
    check(`fault (c) restored: ${preferred} leads Mesos and Marathon again`, again.every((r) => r.code === 0) && l2.mesos === preferred && l2.marathon === preferred, l2.detail);
    return again;
}

// ---------------------------------------------------------------------------------------------
// Timings

function hopsOf(results) {
    const hops = [];
    for (const r of results) {
        for (const line of (r.out ?? "").split("\n")) {
            const m = /leader-step-down: (\w+) leader: (\S+) -> (\S+) after ([\d.]+) s/.exec(line);
            if (m) hops.push({ kind: m[1], from: m[2], to: m[3], s: Number(m[4]), cmd: r.cmd.name });
        }
    }
    return hops;
}

function report(title, results) {
    if (!results || results.length === 0) return;
    console.log(`\n${title}`);
    for (const r of results) console.log(`  ${r.cmd.name.padEnd(44)} ${r.cmd.step.padEnd(18)} ${r.skipped ? "skipped" : `${secs(r.ms).padStart(6)} s  ${r.code === 0 ? "ok" : `exit ${r.code}`}`}`);
    const purges = results.filter((r) => r.cmd.step === "arp-purge" && !r.skipped);
    if (purges.length > 0) {
        const span = Math.max(...purges.map((r) => r.endedAt)) - Math.min(...purges.map((r) => r.startedAt));
        console.log(`  ARP purge across all ${purges.length} hosts (parallel): ${secs(span)} s   [seed 000: one loopssh per host, by hand]`);
    }
    const hops = hopsOf(results);
    for (const h of hops) console.log(`  step-down hop (${h.kind.padEnd(8)}) ${h.from} -> ${h.to}: ${h.s.toFixed(1)} s   [seed 000: sleep ${SEED_SLEEP} + a manual check]  (${h.cmd})`);
    const steps = results.filter((r) => r.cmd.step === "leader-step-down" && !r.skipped);
    if (steps.length > 0) {
        const span = Math.max(...steps.map((r) => r.endedAt)) - Math.min(...steps.map((r) => r.startedAt));
        console.log(`  leader step-down in total: ${hops.length} hops, ${secs(span)} s   [seed 000: 3 hops x sleep ${SEED_SLEEP} = ${3 * SEED_SLEEP} s of sleeps + manual checks]`);
    }
    const all = results.filter((r) => !r.skipped);
    if (all.length > 0) console.log(`  post-steps in total: ${secs(Math.max(...all.map((r) => r.endedAt)) - Math.min(...all.map((r) => r.startedAt)))} s`);
}

// ---------------------------------------------------------------------------------------------

async function main() {
    ensureRoot();
    if (!process.env.LAB_LOCKED) {
        // One lab at a time on a machine: namespaces and ports are global.
        fs.mkdirSync("/run/lock", { recursive: true });
        // Ctrl-C reaches the child too; it cleans up, and this parent reports its status.
        process.on("SIGINT", () => {});
        process.on("SIGTERM", () => {});
        const r = cp.spawnSync("flock", ["-w", "600", "/run/lock/mesos-cluster-lab.lock", process.execPath, __filename, ...process.argv.slice(2)],
            { stdio: "inherit", env: { ...process.env, LAB_LOCKED: "1" } });
        process.exit(r.status ?? 1);
    }
    ensurePackages();
    for (const file of [LAUNCHER]) if (!fs.existsSync(file)) throw new LabError(`${path.relative(REPO, file)} is missing: the lab runs ZooKeeper through it`);

    fs.mkdirSync(LAB, { recursive: true });
    cleanup(); // leftovers of a crashed run
    cleanedUp = false;
    for (const dir of ["nodes", "ssh", "plan", "fault-scripts"]) fs.rmSync(path.join(LAB, dir), { recursive: true, force: true });
    const onSignal = (sig) => {
        console.error(`\nlab: ${sig}: cleaning up`);
        cleanup();
        process.exit(130);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("exit", () => {
        if (!process.env.LAB_KEEP) cleanup();
    });

    section("plan");
    const plan = readPlan();
    const cfg = require(path.join(REPO, "node_modules", "yaml")).parse(fs.readFileSync(CONFIG, "utf8")).config;
    const network = cfg["mesos-cluster:network"];
    plan.vpcCidr = network.vpcCidr;
    plan.publicPrefix = network.publicSubnetCidr.split("/")[1];
    plan.privatePrefix = network.privateSubnetCidr.split("/")[1];
    say(`${plan.nodes.length} nodes, Mesos quorum ${plan.mesosQuorum}, ensemble ${plan.exhibitorStaticEnsemble}, ${plan.commands.length} post-step commands (scripts in ${path.relative(REPO, plan.outDir)}/scripts)`);
    for (const c of plan.commands) {
        if (!fs.existsSync(path.join(plan.outDir, "scripts", `${c.name}.sh`))) throw new LabError(`the plan lists ${c.name} but wrote no ${path.join(plan.outDir, "scripts", `${c.name}.sh`)}`);
    }
    const lab = new Lab(plan);

    await build(lab);
    const replayed = await replay(lab);
    let restoreA, restoreC;
    if (plan.commands.length > 0) {
        restoreA = await faultExhibitor(lab);
        await faultArp(lab);
        restoreC = await faultStepDown(lab);
    }

    section("timings");
    console.log(`master-1 destroyed -> survivors agree on a new leader: ${secs(replayed.takeover)} s (ZooKeeper session timeout ${SESSION_TIMEOUT} s)`);
    report("replay of seed 000 (the plan's commands, verbatim):", replayed.results);
    report("fault (a) restore: exhibitor rewrite with a real change (rolling restart):", restoreA);
    report("fault (c) restore: step-down to master-1 again:", restoreC);
    const failed = checks.filter((c) => !c.ok);
    console.log(`\n${checks.length - failed.length}/${checks.length} checks passed; total lab time ${secs(Date.now() - T0)} s`);
    for (const c of failed) console.log(`  FAILED: ${c.name}: ${c.detail}`);
    return failed.length === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(`\nlab: ${err instanceof LabError ? err.message : err.stack}`);
        const failed = checks.filter((c) => !c.ok);
        for (const c of failed) console.error(`  FAILED: ${c.name}: ${c.detail}`);
        console.error(`lab: aborted after ${secs(Date.now() - T0)} s; logs under ${path.relative(process.cwd(), LAB) || LAB}/nodes/<node>/node/log`);
        process.exit(1);
    },
);
