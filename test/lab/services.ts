import * as fs from "fs";
import * as path from "path";
import { ETCD_TLS, etcdClientUrl, etcdPeerUrl } from "../../components/catalog/etcd";
import { PATHS, PORTS, SERVICES } from "../../components/catalog/services";
import type { Hosts, UnitSpec } from "./hosts";
import type { LabNode } from "./plan";
import { PROMETHEUS, prometheusUnit } from "./monitoring";
import { LabError, Probe, RunResult, waitFor } from "./proc";
import { labCurlConfig } from "./authSecrets";

/**
 * What runs on the lab's masters, named and wired as the catalog says: Debian's ZooKeeper
 * started through the project's own launcher and the node's env file, the Mesos and Marathon
 * stand-ins (standin.py: the same ZooKeeper elections, the same HTTP answers), and the probes
 * the checks use (ZooKeeper `srvr`, Mesos /redirect, Marathon /v2/leader).
 */

const HERE = __dirname;
const REPO = path.resolve(HERE, "..", "..");
const PY = "/usr/bin/python3";
/** The launcher the cloud-config installs as PATHS.launcher. */
export const LAUNCHER = path.join(REPO, "templates", "files", "zk-static-ensemble.sh");
const ZK_CLASSPATH = ["/etc/zookeeper/conf", "/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"].join(":");
/** Unit of the node's sshd (the OS image's own, so not in the catalog). */
export const SSH_UNIT = "ssh.service";

const ZOOKEEPER = SERVICES.zookeeper.unit;
export const MESOS = SERVICES.mesosMaster.unit;
export const MARATHON = SERVICES.marathon.unit;
const MESOS_DNS = SERVICES.mesosDns.unit;
export const ETCD = SERVICES.etcd.unit;
const AGENT = SERVICES.mesosAgent.unit;
/** Starts the quorum unit's etcd command line with Debian's etcd (see the script). */
const ETCD_UNIT = path.join(HERE, "etcd-unit.sh");

/** A member as `etcdctl member list` prints it. */
export interface EtcdMember {
    readonly id: string;
    readonly name: string;
    readonly peer: string;
}

/** An agent as the leading master's /master/slaves lists it. */
export interface Agent {
    readonly id: string;
    readonly hostname: string;
    readonly active: boolean;
}

/**
 * The etcd command line of the quorum bundle's unit (`ExecStart=/usr/bin/docker run ...
 * --env-file FILE <image> /usr/local/bin/etcd FLAGS...`): the env file and FLAGS, with the
 * node's name and IP for the unit's ${NODE_NAME} and ${NODE_IP} (from its node.env).
 */
export function etcdUnitCommand(unitText: string, node: LabNode): { envFile: string; flags: string[] } {
    const exec = unitText.replace(/\\\n/g, " ").split("\n").find((l) => l.startsWith("ExecStart="));
    if (!exec) throw new LabError(`${ETCD}: no ExecStart in the quorum bundle's unit`);
    const words = exec.trim().split(/\s+/);
    const envFile = words[words.indexOf("--env-file") + 1];
    const at = words.indexOf("/usr/local/bin/etcd");
    if (!envFile || at < 0) throw new LabError(`${ETCD}: its ExecStart has no --env-file or no /usr/local/bin/etcd: ${exec}`);
    const flags = words.slice(at + 1).map((w) => w.replace(/\$\{NODE_NAME\}/g, node.name).replace(/\$\{NODE_IP\}/g, node.privateIp));
    const left = flags.filter((w) => /\$\{/.test(w));
    if (left.length > 0) throw new LabError(`${ETCD}: the lab does not know ${left.join(" ")}`);
    return { envFile, flags };
}

/** A unit's ExecStart as words (continuation lines joined). */
export function execStartWords(unitText: string, unit: string): string[] {
    const exec = unitText.replace(/\s*\\\n\s*/g, " ").split("\n").find((l) => l.startsWith("ExecStart="));
    if (!exec) throw new LabError(`${unit}: no ExecStart in its bundle's unit`);
    return exec.slice("ExecStart=".length).trim().split(/\s+/);
}

/** The value of `--name=value` or `--name value` among a unit's words; throws if absent. */
export function flagValue(words: readonly string[], name: string, unit: string): string {
    const eq = words.find((w) => w.startsWith(`${name}=`));
    if (eq) return eq.slice(name.length + 1);
    const at = words.indexOf(name);
    if (at >= 0 && at + 1 < words.length) return words[at + 1];
    throw new LabError(`${unit}: its ExecStart has no ${name}`);
}

/**
 * The authentication flags of the masters' and workers' units (issue 12), as the stand-ins take
 * them: the same secret files, named the same way, so the lab runs what the units would read.
 */
export function authArgs(unitText: string, unit: string): string[] {
    const words = execStartWords(unitText, unit);
    const on = (flag: string) => words.includes(`${flag}=true`) || words.includes(flag);
    if (unit === MESOS) {
        return ["--zk", flagValue(words, "--zk", unit), "--credentials", flagValue(words, "--credentials", unit),
            ...(on("--authenticate_agents") ? ["--authenticate-agents"] : []),
            ...(on("--authenticate_frameworks") ? ["--authenticate-frameworks"] : []),
            ...(on("--authenticate_http_readwrite") ? ["--authenticate-http-readwrite"] : []),
            ...(on("--authenticate_http_readonly") ? ["--authenticate-http-readonly"] : [])];
    }
    if (unit === MARATHON) {
        return ["--env-file", flagValue(words, "--env-file", unit),
            ...(on("--mesos_authentication") ? ["--principal", flagValue(words, "--mesos_authentication_principal", unit), "--secret-file", flagValue(words, "--mesos_authentication_secret_file", unit)] : [])];
    }
    if (unit === AGENT) return ["--zk", flagValue(words, "--master", unit), ...(words.some((w) => w.startsWith("--credential=")) ? ["--credential", flagValue(words, "--credential", unit)] : [])];
    throw new LabError(`no stand-in for ${unit}`);
}

/** Leaders as every asked master sees them; `mesos`/`marathon` set only if they all agree. */
export interface Leaders extends Probe {
    readonly mesos?: string;
    readonly marathon?: string;
}

export class Services {
    readonly zkHosts: string;
    private curlConfig?: string;

    /** `sessionTimeout`: the stand-ins' ZooKeeper session timeout in seconds. */
    constructor(
        readonly hosts: Hosts,
        readonly sessionTimeout: number,
    ) {
        this.zkHosts = hosts.masters.map((m) => `${m.privateIp}:${PORTS.zkClient}`).join(",");
    }

    /** The lab's curl config holding the operator's credentials as the masters received them (its own probes). */
    get curlAuth(): string {
        this.curlConfig ??= labCurlConfig(this.hosts);
        return this.curlConfig;
    }

    /** The node's units; masters' Mesos and Marathon wait for a start when `autostartLeaders` is false. */
    units(node: LabNode, { autostartLeaders }: { autostartLeaders: boolean }): Record<string, UnitSpec> {
        const units: Record<string, UnitSpec> = {
            [SSH_UNIT]: { argv: ["/usr/sbin/sshd", "-D", "-e", "-f", "/run/lab-node/sshd_config"], restartSec: 1 },
        };
        if (node.role === "quorum") {
            const { envFile, flags } = etcdUnitCommand(this.hosts.bundleFile(node, `/etc/systemd/system/${ETCD}`), node);
            // Restart=always, RestartSec as the container units (a refused start is retried).
            return { ...units, [ETCD]: { argv: ["bash", ETCD_UNIT, envFile, "--", ...flags], restartSec: 2 } };
        }
        if (node.role === "worker") {
            return {
                ...units,
                [AGENT]: {
                    argv: [PY, "-B", path.join(HERE, "standin.py"), "--kind", "agent", ...authArgs(this.hosts.bundleFile(node, `/etc/systemd/system/${AGENT}`), AGENT),
                        "--fqdn", node.fqdn, "--ip", node.privateIp, "--session-timeout", String(this.sessionTimeout)],
                    restartSec: 2,
                },
            };
        }
        if (node.role !== "master") return units;
        const standin = (kind: "mesos" | "marathon", port: number): UnitSpec => ({
            argv: [PY, "-B", path.join(HERE, "standin.py"), "--kind", kind,
                ...authArgs(this.hosts.bundleFile(node, `/etc/systemd/system/${kind === "mesos" ? MESOS : MARATHON}`), kind === "mesos" ? MESOS : MARATHON),
                "--fqdn", node.fqdn, "--ip", node.privateIp,
                "--port", String(port), "--session-timeout", String(this.sessionTimeout)],
            restartSec: 2,
            autostart: autostartLeaders,
        });
        return {
            ...units,
            [ZOOKEEPER]: {
                // The same launcher and env file as the cloud-config; Debian's ZooKeeper in the foreground.
                argv: ["bash", LAUNCHER, "--env", PATHS.exhibitorEnv, "--ip", node.privateIp, "--conf-dir", "/run/mesos-cluster/zookeeper", "--data-dir", "/var/lib/zookeeper", "--",
                    "java", "-Xmx128m", "-Xms32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.root.logger=INFO,CONSOLE", "-Dzookeeper.log.dir=/run/lab-node/log",
                    "-cp", ZK_CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain", "/run/mesos-cluster/zookeeper/zoo.cfg"],
                restartSec: 2,
            },
            [MESOS]: standin("mesos", PORTS.mesosMaster),
            [MARATHON]: standin("marathon", PORTS.marathon),
            [MESOS_DNS]: { argv: ["sleep", "infinity"], restartSec: 2 },
            // Debian's Prometheus; the lab starts it (on the preferred master only) when it checks discovery.
            [PROMETHEUS]: prometheusUnit(node),
        };
    }

    /** The node's systemctl shim, as the scripts call it; throws unless it succeeds. */
    systemctl(name: string, verb: "start" | "stop", unit: string): void {
        const r = this.hosts.inNode(name, ["/usr/local/sbin/systemctl", verb, unit], { timeout: 30_000 });
        if (r.code !== 0) throw new LabError(`${name}: systemctl ${verb} ${unit} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    }

    startZookeeper(name: string): void {
        this.systemctl(name, "start", ZOOKEEPER);
    }

    stopZookeeper(name: string): void {
        this.systemctl(name, "stop", ZOOKEEPER);
    }

    // -- Probes -----------------------------------------------------------------------------

    /**
     * What `srvr` says of the member's role: leader, follower, ... or "down". Asked as the
     * scripts ask (bash's /dev/tcp, the write side left open): `echo srvr | nc` half-closes the
     * connection, and ZooKeeper then sometimes closes it before it answers.
     */
    zkMode(master: LabNode): string {
        const ask = 'exec 3<>"/dev/tcp/$1/$2" && printf srvr >&3 && cat <&3';
        const r = this.hosts.inNet(master.name, ["timeout", "5", "bash", "-c", ask, "zk-srvr", master.privateIp, String(PORTS.zkClient)], { timeout: 8000 });
        return /^Mode: (\w+)/m.exec(r.stdout)?.[1] ?? "down";
    }

    /** Settled: every member serves, exactly one leads. */
    ensemble(masters: readonly LabNode[] = this.hosts.masters): Probe {
        const modes = masters.map((m) => [m.name, this.zkMode(m)] as const);
        const leaders = modes.filter(([, mode]) => mode === "leader").length;
        const serving = modes.filter(([, mode]) => mode === "leader" || mode === "follower").length;
        return { ok: leaders === 1 && serving === masters.length, detail: modes.map(([n, mode]) => `${n}=${mode}`).join(" ") };
    }

    /** Who master `m` names as Mesos leader: a node name, "none" (503) or "down". */
    private mesosLeaderSeenBy(m: LabNode): string {
        const r = this.hosts.inNet(m.name, ["curl", "-sI", "--max-time", "3", `http://${m.privateIp}:${PORTS.mesosMaster}/redirect`], { timeout: 8000 });
        const status = /^HTTP\/\S+ (\d+)/m.exec(r.stdout)?.[1];
        if (!status) return "down";
        if (status === "503") return "none";
        const location = /^location: *\/\/([^:\s]+)/im.exec(r.stdout)?.[1];
        return (location && this.hosts.byFqdn(location)?.name) ?? `unknown(${location ?? status})`;
    }

    private marathonLeaderSeenBy(m: LabNode): string {
        const r = this.hosts.inNet(m.name, ["curl", "-s", "-K", this.curlAuth, "--max-time", "3", `http://${m.privateIp}:${PORTS.marathon}/v2/leader`], { timeout: 8000 });
        if (r.code !== 0) return "down";
        let leader: unknown;
        try {
            leader = (JSON.parse(r.stdout) as { leader?: unknown }).leader;
        } catch {
            return "none";
        }
        if (typeof leader !== "string") return "none";
        const [fqdn, port] = leader.split(":");
        return (port === String(PORTS.marathon) && this.hosts.byFqdn(fqdn)?.name) || `unknown(${leader})`;
    }

    leaders(masters: readonly LabNode[] = this.hosts.masters): Leaders {
        const mesos = masters.map((m) => [m.name, this.mesosLeaderSeenBy(m)] as const);
        const marathon = masters.map((m) => [m.name, this.marathonLeaderSeenBy(m)] as const);
        const agreed = (seen: readonly (readonly [string, string])[]) =>
            new Set(seen.map(([, l]) => l)).size === 1 && this.hosts.nodes.some((n) => n.name === seen[0][1]) ? seen[0][1] : undefined;
        const show = (seen: readonly (readonly [string, string])[]) => seen.map(([n, l]) => `${n}->${l}`).join(" ");
        return { ok: true, mesos: agreed(mesos), marathon: agreed(marathon), detail: `mesos: ${show(mesos)}; marathon: ${show(marathon)}` };
    }

    waitLeaders(what: string, want: (l: Leaders) => boolean, masters: readonly LabNode[] = this.hosts.masters, timeout = 60_000): Promise<Leaders> {
        return waitFor(what, () => {
            const l = this.leaders(masters);
            return { ...l, ok: want(l) };
        }, { timeout, interval: 500 });
    }

    // -- etcd on the quorum hosts, asked with the node's /usr/local/bin/etcdctl ------------

    etcdUrl(node: LabNode): string {
        return etcdClientUrl(node.privateIp);
    }

    /**
     * Clients etcd must refuse, asked from `from` against `target` (Debian's etcdctl and curl, not
     * the node's wrapper): no client certificate (only the CA, so TLS itself is fine), plain
     * http on the client port, no certificate on the peer port. ok when all three are refused,
     * the same requests with the certificates are answered (so the certificate made the
     * difference), and the target's etcd logged the refusals as TLS rejections.
     */
    etcdRefusesStrangers(from: LabNode, target: LabNode): Probe {
        const log = path.join(this.hosts.dir(target.name), "node", "log", `${ETCD.replace(/\.service$/, "")}.log`);
        const rejections = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").match(/rejected connection from .*(client didn't provide a certificate|bad certificate)/g)?.length ?? 0 : 0);
        const before = rejections();
        const etcdctl = (...extra: string[]) => this.hosts.inNode(from.name, ["env", "ETCDCTL_API=3", "/usr/bin/etcdctl", `--cacert=${ETCD_TLS.ca}`, ...extra, "--dial-timeout=2s", "--command-timeout=3s",
            `--endpoints=${this.etcdUrl(target)}`, "get", "/lab/", "--prefix", "--keys-only"], { timeout: 20_000 });
        const curl = (url: string, ...extra: string[]) => this.hosts.inNode(from.name, ["curl", "-s", "--http1.1", "--max-time", "3", ...extra, "-o", "/dev/null", "-w", "%{http_code}", url], { timeout: 10_000 }).stdout.trim();
        const bare = etcdctl();
        const withCert = etcdctl(`--cert=${ETCD_TLS.clientCert}`, `--key=${ETCD_TLS.clientKey}`);
        const plain = curl(`http://${target.privateIp}:${PORTS.etcdClient}/version`);
        const peerUrl = `${etcdPeerUrl(target.privateIp)}/version`;
        const peer = curl(peerUrl, "--cacert", ETCD_TLS.ca);
        // From a quorum node, with its own node certificate (a member's peer identity).
        const peerWithCert = curl(peerUrl, "--cacert", ETCD_TLS.ca, "--cert", ETCD_TLS.cert, "--key", ETCD_TLS.key);
        const logged = rejections() - before;
        const refused = { bare: bare.code !== 0, plain: plain !== "200", peer: peer !== "200" };
        const answered = { client: withCert.code === 0, peer: peerWithCert === "200" };
        return {
            ok: refused.bare && refused.plain && refused.peer && answered.client && answered.peer && logged >= 2,
            detail: `etcdctl without a certificate -> ${refused.bare ? `refused (exit ${bare.code})` : "ANSWERED"}, with etcdctl's -> ${answered.client ? "answered" : `REFUSED: ${withCert.stderr.trim().slice(-150)}`}; ` +
                `http:// on ${PORTS.etcdClient} -> ${refused.plain ? "refused" : "ANSWERED"} (${plain || "no answer"}); ` +
                `peer ${PORTS.etcdPeer} without a certificate -> ${refused.peer ? "refused" : "ANSWERED"} (${peer || "no answer"}), with the node's -> ${peerWithCert}; ` +
                `${target.name}'s etcd logged ${logged} TLS rejections (no certificate)`,
        };
    }

    etcdctl(from: LabNode, endpoints: readonly LabNode[], ...args: string[]): RunResult {
        return this.hosts.inNode(from.name, [PATHS.etcdctl, "--dial-timeout=2s", "--command-timeout=5s", `--endpoints=${endpoints.map((n) => this.etcdUrl(n)).join(",")}`, ...args],
            { timeout: 20_000 });
    }

    /** Every member healthy (`endpoint health` of each, asked from the member itself). */
    etcdHealth(members: readonly LabNode[]): Probe {
        const seen = members.map((m) => [m.name, this.etcdctl(m, [m], "endpoint", "health").code === 0] as const);
        return { ok: seen.every(([, ok]) => ok), detail: seen.map(([n, ok]) => `${n}=${ok ? "healthy" : "unhealthy"}`).join(" ") };
    }

    /** `member list` as `from` answers it. */
    etcdMembers(from: LabNode): EtcdMember[] {
        const r = this.etcdctl(from, [from], "member", "list");
        if (r.code !== 0) throw new LabError(`${from.name}: etcdctl member list failed: ${(r.stderr || r.stdout).trim()}`);
        return r.stdout.trim().split("\n").filter(Boolean).map((l) => {
            const [id, , name, peer] = l.split(", ");
            return { id, name, peer };
        });
    }

    /** The agents the leading master lists (GET /master/slaves on the leader, from `from`). */
    agents(from: LabNode): Agent[] {
        const leader = this.leaders().mesos;
        if (!leader) throw new LabError("no agreed Mesos leader to ask for its agents");
        const r = this.hosts.inNet(from.name, ["curl", "-sf", "-K", this.curlAuth, "--max-time", "5", `http://${this.hosts.node(leader).privateIp}:${PORTS.mesosMaster}/master/slaves`], { timeout: 10_000 });
        if (r.code !== 0) throw new LabError(`GET /master/slaves on ${leader} failed (exit ${r.code})`);
        return (JSON.parse(r.stdout) as { slaves: Agent[] }).slaves;
    }

    /** zkcli.py (kazoo) from inside a node: put/check test znodes. */
    zkcli(from: string, ...args: string[]): RunResult {
        return this.hosts.inNet(from, [PY, "-B", path.join(HERE, "zkcli.py"), "--zk", this.zkHosts, ...args], { timeout: 30_000 });
    }

    /** What a client may do at a znode, with the given digest credentials or none (zkcli.py probe). */
    zkProbe(from: string, znode: string, digest?: string): { acl: string[] | string; children: string; create: string } {
        const r = this.zkcli(from, ...(digest ? ["--digest", digest] : []), "probe", znode);
        if (r.code !== 0) throw new LabError(`zkcli probe ${znode} from ${from} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
        return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}");
    }

    /** HTTP status of a request from inside `from`'s network, with the lab's operator credentials or without. */
    httpStatus(from: string, method: string, url: string, withCredentials: boolean): string {
        const r = this.hosts.inNet(from, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, ...(withCredentials ? ["-K", this.curlAuth] : []), "--max-time", "5", url], { timeout: 10_000 });
        return r.stdout.trim() || `curl exit ${r.code}`;
    }

    /** The frameworks the leading master lists (GET /master/frameworks on the leader). */
    frameworks(from: LabNode): { name: string; hostname: string; principal?: string }[] {
        const leader = this.leaders().mesos;
        if (!leader) throw new LabError("no agreed Mesos leader to ask for its frameworks");
        const r = this.hosts.inNet(from.name, ["curl", "-sf", "-K", this.curlAuth, "--max-time", "5", `http://${this.hosts.node(leader).privateIp}:${PORTS.mesosMaster}/master/frameworks`], { timeout: 10_000 });
        if (r.code !== 0) throw new LabError(`GET /master/frameworks on ${leader} failed (exit ${r.code})`);
        return (JSON.parse(r.stdout) as { frameworks: { name: string; hostname: string; principal?: string }[] }).frameworks;
    }
}
