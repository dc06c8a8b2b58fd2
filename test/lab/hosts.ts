import * as fs from "fs";
import * as path from "path";
import { ETCD_LOCAL_ENDPOINT, ETCD_TLS } from "../../components/catalog/etcd";
import { PATHS, PORTS } from "../../components/catalog/services";
import { inCidr, LabNode, LabPlan, LabSegment } from "./plan";
import { LabError, must, run, RunOptions, RunResult } from "./proc";

/**
 * The lab's hosts: one network namespace per node of the plan, its eth0 a veth on its subnet's
 * bridge in a switch namespace, its default route via the router namespace that joins the
 * subnets (net.sh does the plumbing, with AWS-like neighbour caches), its own mount
 * and UTS namespaces with the node's files bind-mounted (node-init.sh: its /etc/resolv.conf
 * names the lab's DNS server, its /etc/hosts only localhost), and sshd reached only through
 * the border: `ssh -J root@<border>`, as the command resources do.
 */

export const PREFIX = "mclab";
const HERE = __dirname;
const NET = path.join(HERE, "net.sh");

/** Seed 000's MACs of the elected master, before and after its replacement. */
export const SEED_MACS = { before: "06:5f:d8:1e:5f:a9", after: "06:66:72:e3:21:77" } as const;

/** What the node's supervisor (supervisor.py) keeps running, by unit name. */
export interface UnitSpec {
    readonly argv: readonly string[];
    readonly restartSec: number;
    /** false: the unit waits for `systemctl start`. */
    readonly autostart?: boolean;
}

/** Every host's MAC but the seed's: 06:00 and the IP's octets. */
export function derivedMac(ip: string): string {
    return `06:00:${ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join(":")}`;
}

/** The MAC of a node's replacement (a new ENI): 06:01 and the IP's octets. */
export function replacementMac(ip: string): string {
    return derivedMac(ip).replace(/^06:00:/, "06:01:");
}

/**
 * /usr/local/bin/etcdctl on a lab quorum host. The quorum bundle's is `docker run` of the etcd
 * image's etcdctl; the lab's is Debian's (etcd-client 3.4), API v3 and etcdctl's client
 * certificate (ETCDCTL_CACERT/CERT/KEY, at the secrets contract's paths) as the wrapper sets
 * them, its own member over loopback unless --endpoints is given.
 */
export const LAB_ETCDCTL = [
    "#!/bin/sh",
    "# The lab's stand-in for the quorum bundle's etcdctl wrapper: Debian's etcdctl, the same certificate.",
    `export ETCDCTL_API=3 ETCDCTL_CACERT=${ETCD_TLS.ca} ETCDCTL_CERT=${ETCD_TLS.clientCert} ETCDCTL_KEY=${ETCD_TLS.clientKey}`,
    `endpoints=${ETCD_LOCAL_ENDPOINT}`,
    'for arg in "$@"; do case $arg in --endpoints | --endpoints=*) endpoints= ;; esac; done',
    'if [ -n "$endpoints" ]; then export ETCDCTL_ENDPOINTS="$endpoints"; fi',
    'exec /usr/bin/etcdctl "$@"',
    "",
].join("\n");

function netEnv(labDir: string): NodeJS.ProcessEnv {
    return { ...process.env, LAB_DIR: labDir, LAB_PREFIX: PREFIX };
}

/** Kills every lab process and deletes every lab namespace (also a crashed run's). */
export function cleanupHosts(labDir: string): RunResult {
    return run(["bash", NET, "cleanup"], { env: netEnv(labDir), timeout: 60_000 });
}

/** A node's own /etc/hosts: names come from DNS, as on the cluster's nodes. */
export const NODE_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

/** The machine's nsswitch.conf with `hosts: files dns`: no resolver of the machine's own (nss-resolve, mdns, myhostname). */
function nodeNsswitch(): string {
    const machine = fs.existsSync("/etc/nsswitch.conf") ? fs.readFileSync("/etc/nsswitch.conf", "utf8") : "passwd: files\ngroup: files\nshadow: files\n";
    return `${machine.split("\n").filter((l) => !/^\s*hosts\s*:/.test(l)).join("\n").trimEnd()}\nhosts: files dns\n`;
}

export class Hosts {
    private readonly all: LabNode[];
    readonly border: LabNode;
    readonly masters: readonly LabNode[];
    private readonly byName: Map<string, LabNode>;
    private readonly hostKeys = new Map<string, string>();
    private readonly sshDir: string;
    private readonly sshConfig: string;

    /** `resolvConf`: every node's /etc/resolv.conf (the lab's DNS server, the search domain). */
    constructor(
        readonly plan: LabPlan,
        readonly labDir: string,
        private readonly resolvConf: string,
    ) {
        this.all = [...plan.nodes];
        this.byName = new Map(plan.nodes.map((n) => [n.name, n]));
        const border = plan.nodes.find((n) => n.role === "border");
        if (!border) throw new LabError("the plan has no border: nothing to jump through");
        this.border = border;
        this.masters = plan.nodes.filter((n) => n.role === "master");
        this.sshDir = path.join(labDir, "ssh");
        this.sshConfig = path.join(this.sshDir, "config");
    }

    /** The hosts, in the plan's order, and any added since (addNode). */
    get nodes(): readonly LabNode[] {
        return this.all;
    }

    /** A node the plan gained after the lab was built (a worker added mid-run); boot it next. */
    addNode(node: LabNode): void {
        if (this.byName.has(node.name)) throw new LabError(`${node.name} is already a host of the lab`);
        this.all.push(node);
        this.byName.set(node.name, node);
    }

    node(name: string): LabNode {
        const node = this.byName.get(name);
        if (!node) throw new LabError(`no node ${name} in the plan`);
        return node;
    }

    /** The node named by a fully-qualified name, if any. */
    byFqdn(fqdn: string): LabNode | undefined {
        return this.nodes.find((n) => n.fqdn === fqdn);
    }

    ns(name: string): string {
        return `${PREFIX}-${name}`;
    }

    dir(name: string): string {
        return path.join(this.labDir, "nodes", name);
    }

    /** Where the node's Exhibitor env file (PATHS.exhibitorEnv) lives on this machine. */
    envFile(name: string): string {
        return this.etcFile(name, PATHS.exhibitorEnv);
    }

    /** Where a file of the node's /etc/mesos-cluster lives on this machine. */
    etcFile(name: string, file: string): string {
        return path.join(this.dir(name), "etc-mesos-cluster", path.relative("/etc/mesos-cluster", file));
    }

    private net(...args: string[]): void {
        must(["bash", NET, ...args], `net.sh ${args.join(" ")}`, { env: netEnv(this.labDir) });
    }

    // -- SSH: a client key, a config whose jump host is the border, known host keys ---------

    makeClientKey(): void {
        fs.mkdirSync(this.sshDir, { recursive: true, mode: 0o700 });
        must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `lab@${PREFIX}`, "-f", path.join(this.sshDir, "id_ed25519")], "ssh-keygen (client key)");
        const b = this.border;
        fs.writeFileSync(this.sshConfig, [
            `Host ${b.name} ${b.privateIp}`,
            `    HostName ${b.privateIp}`,
            // The root namespace reaches only the border, through the border's own loopback.
            `    ProxyCommand ip netns exec ${this.ns(b.name)} nc 127.0.0.1 ${PORTS.ssh}`,
            "Host *",
            "    User root",
            `    Port ${PORTS.ssh}`,
            `    IdentityFile ${path.join(this.sshDir, "id_ed25519")}`,
            "    IdentitiesOnly yes",
            `    UserKnownHostsFile ${path.join(this.sshDir, "known_hosts")}`,
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

    /** known_hosts: every node pinned to the host key the plan's commands pin (and the jump's). */
    writeKnownHosts(file = path.join(this.sshDir, "known_hosts"), keys: ReadonlyMap<string, string> = this.hostKeys): void {
        const lines = [...keys].map(([name, key]) => {
            const n = this.node(name);
            return `${n.privateIp},${n.name},${n.fqdn} ${key}`;
        });
        fs.writeFileSync(file, lines.join("\n") + "\n");
    }

    /** The host key the lab pins for a node (the plan's). */
    pinnedKey(name: string): string {
        const key = this.hostKeys.get(name);
        if (!key) throw new LabError(`${name}: no host key pinned`);
        return key;
    }

    /**
     * `ssh` to the node as the command resources connect: through the border. `knownHosts`: another
     * known_hosts file, for this connection and its jump (a copy of the config names it).
     */
    sshArgv(node: LabNode, knownHosts?: string): string[] {
        let config = this.sshConfig;
        if (knownHosts !== undefined) {
            config = `${knownHosts}.config`;
            const ownKnownHosts = path.join(this.sshDir, "known_hosts");
            fs.writeFileSync(config, fs.readFileSync(this.sshConfig, "utf8").split(ownKnownHosts).join(knownHosts));
        }
        return ["ssh", "-F", config, ...(node === this.border ? [] : ["-J", `root@${this.border.name}`]), `root@${node.privateIp}`];
    }

    // -- Nodes ------------------------------------------------------------------------------

    /** The switch and router namespaces, and one segment per subnet of the plan. */
    switchUp(): void {
        this.net("switch-up");
        for (const seg of this.plan.segments) this.net("segment-up", seg.bridge, `${seg.router}/${seg.prefixLength}`, derivedMac(seg.router));
    }

    /** The segment (subnet) holding `ip`. */
    segmentOf(ip: string): LabSegment {
        const seg = this.plan.segments.find((s) => inCidr(ip, s.cidr));
        if (!seg) throw new LabError(`${ip} is in none of the plan's subnets (${this.plan.segments.map((s) => s.cidr).join(", ")})`);
        return seg;
    }

    /**
     * A brand-new machine: fresh node directory, the given MAC, its boot fetch (secrets and the
     * host key `node` was planned with, from the lab's SSM) before sshd, units started. `node`
     * is the node as the plan that created this instance has it (its id, fetch and host key).
     */
    boot(node: LabNode, mac: string, units: Readonly<Record<string, UnitSpec>>, bootFetch: (hostKeyFile: string, scriptFile: string) => string): void {
        this.prepare(node, units, bootFetch);
        const seg = this.segmentOf(node.privateIp);
        this.net("node-up", node.name, `${node.privateIp}/${node.prefixLength}`, mac, seg.bridge, seg.router);
        this.net("node-start", node.name, this.dir(node.name));
    }

    /** Destroys the node: every process killed, its namespace deleted. */
    destroy(name: string): void {
        this.net("node-down", name);
    }

    /** The node's eth0 up or down (up puts its default route via its router back). */
    link(name: string, state: "up" | "down"): void {
        this.net("link", name, state, ...(state === "up" ? [this.segmentOf(this.node(name).privateIp).router] : []));
    }

    private prepare(node: LabNode, units: Readonly<Record<string, UnitSpec>>, bootFetch: (hostKeyFile: string, scriptFile: string) => string): void {
        const dir = this.dir(node.name);
        fs.rmSync(dir, { recursive: true, force: true });
        for (const sub of ["etc-mesos-cluster", "zk-data", "run-mesos-cluster", "node/log"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
        fs.mkdirSync(path.join(dir, "empty"));
        fs.writeFileSync(path.join(dir, "hosts"), NODE_HOSTS);
        fs.writeFileSync(path.join(dir, "resolv.conf"), this.resolvConf);
        fs.writeFileSync(path.join(dir, "nsswitch.conf"), nodeNsswitch());
        if (node.role === "master") fs.writeFileSync(this.envFile(node.name), this.cloudConfigFile(node, PATHS.exhibitorEnv));
        if (node.role === "quorum") {
            // As the quorum bundle installs them: etcd.env (state new), and an etcdctl.
            fs.writeFileSync(this.etcFile(node.name, PATHS.etcdEnv), this.bundleFile(node, PATHS.etcdEnv));
            fs.mkdirSync(path.join(dir, "var-lib", "zookeeper"), { recursive: true });
            fs.mkdirSync(path.join(dir, "usr-local-bin"));
            fs.writeFileSync(path.join(dir, "usr-local-bin", path.basename(PATHS.etcdctl)), LAB_ETCDCTL, { mode: 0o755 });
        }
        const state = path.join(dir, "node");
        fs.writeFileSync(path.join(state, "units.json"), JSON.stringify(units, null, 2));
        // The host key is the plan's, fetched at boot (node-init.sh runs boot-fetch before the
        // supervisor starts sshd); the lab pins what the plan's commands pin, nothing it saw.
        fs.writeFileSync(path.join(state, "mesos-cluster-secrets.py"), node.fetch.script, { mode: 0o700 });
        fs.writeFileSync(path.join(state, "boot-fetch"), bootFetch("/run/lab-node/ssh_host_ed25519_key", "/run/lab-node/mesos-cluster-secrets.py"), { mode: 0o700 });
        this.hostKeys.set(node.name, node.hostKey);
        fs.copyFileSync(path.join(this.sshDir, "id_ed25519.pub"), path.join(state, "authorized_keys"));
        fs.writeFileSync(path.join(state, "sshd_config"), [
            `Port ${PORTS.ssh}`,
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
    }

    /** A file the node's role bundle installs. */
    bundleFile(node: LabNode, file: string): string {
        const content = this.plan.bundles.get(node.role)?.get(file);
        if (content === undefined) throw new LabError(`${node.name}: the ${node.role} bundle does not install ${file}`);
        return content;
    }

    /** A file the node's rendered cloud-config writes (write_files). */
    cloudConfigFile(node: LabNode, file: string): string {
        const content = node.files.get(file);
        if (content === undefined) throw new LabError(`${node.name}: its cloud-config does not write ${file}`);
        return content;
    }

    // -- The lab's own access (not through SSH) -------------------------------------------

    private supervisorPid(name: string): string {
        const pid = fs.readFileSync(path.join(this.dir(name), "init.pid"), "utf8").trim();
        if (!/^\d+$/.test(pid) || !fs.existsSync(`/proc/${pid}`)) {
            throw new LabError(`${name}: its supervisor (pid ${pid}) is not running; see ${path.join(this.dir(name), "node", "log")}`);
        }
        return pid;
    }

    /** Runs argv inside the node: its network, mount and UTS namespaces. */
    inNode(name: string, argv: readonly string[], opts?: RunOptions): RunResult {
        return run(["nsenter", "-t", this.supervisorPid(name), "-n", "-m", "-u", "--", ...argv], opts);
    }

    /** Runs argv in the node's network namespace only (probes). */
    inNet(name: string, argv: readonly string[], opts?: RunOptions): RunResult {
        return run(["ip", "netns", "exec", this.ns(name), ...argv], opts);
    }

    /** sha256 of the node's /etc/resolv.conf and /etc/hosts, as the node itself reads them. */
    nameFilesHash(name: string): string {
        const r = this.inNode(name, ["sha256sum", "/etc/resolv.conf", "/etc/hosts"]);
        if (r.code !== 0) throw new LabError(`${name}: sha256sum /etc/resolv.conf /etc/hosts failed: ${r.stderr.trim()}`);
        return r.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0].slice(0, 12)).join("/");
    }

    /** The node's neighbour entry for `ip` as `ip neigh show` prints it ("" if none). */
    neighbour(from: string, ip: string): string {
        return this.inNet(from, ["ip", "neigh", "show", ip]).stdout.trim();
    }

    /** Sets the node's neighbour entry for `ip` to `mac`, STALE, as a cache that missed a MAC change holds it. */
    plantStaleNeighbour(from: string, ip: string, mac: string): void {
        const r = this.inNet(from, ["ip", "neigh", "replace", ip, "lladdr", mac, "dev", "eth0", "nud", "stale"]);
        if (r.code !== 0) throw new LabError(`${from}: ip neigh replace ${ip} lladdr ${mac} failed: ${r.stderr.trim()}`);
    }

    /** One ping from the node to `ip`; whether it was answered. */
    ping(from: string, ip: string): boolean {
        return this.inNet(from, ["ping", "-c", "1", "-W", "2", ip], { timeout: 5000 }).code === 0;
    }

    /** The node's routes (`ip -4 route show`), one per line. */
    routes(name: string): string[] {
        return this.inNet(name, ["ip", "-4", "route", "show"]).stdout.trim().split("\n").filter(Boolean);
    }
}
