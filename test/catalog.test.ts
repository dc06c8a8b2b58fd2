import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ROLES, Role } from "../components/catalog/roles";
import { roleUnits } from "../components/catalog/services";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { clusterRules } from "../components/security/rules";
import { renderAllUserData } from "../components/userdata/userData";
import { TEMPLATES_DIR } from "../components/userdata/render";
import { devRawConfig, withPatch } from "./helpers/devConfig";
import { isUnitFile, readNode, WrittenFile } from "./helpers/validators";

// The catalog is the one source of ports, units and flows; these tests hold what the nodes
// actually run (the rendered user data) against what the security groups open.

const validated = validateConfig(withPatch(devRawConfig(), { vpn: { enabled: true } }));
if (!validated.ok) throw new Error(validated.errors.join("\n"));
const plan = planCluster(validated.config);
const rendered = renderAllUserData(plan).userData;
const firstOf = (role: Role) => plan.nodes.find((n) => n.role === role)!.name;
const filesOf = (role: Role): readonly WrittenFile[] => readNode(rendered.get(firstOf(role))!).files;

/**
 * Where a rendered file says "listen here": a flag or config key per service, each pattern
 * written out literally so that a renamed flag or a stray port fails this test.
 */
const LISTEN_PATTERNS: [RegExp, string][] = [
    [/--port=(\d+)/g, "tcp"], // mesos-master, mesos-agent, cadvisor
    [/--http_port (\d+)/g, "tcp"], // marathon
    [/--web\.listen-address=\$\{NODE_IP\}:(\d+)/g, "tcp"], // prometheus, node-exporter (the node's private address)
    [/LIBPROCESS_PORT=(\d+)/g, "tcp"], // marathon's scheduler driver
    [/--listen-(?:client|peer)-urls https:\/\/[^:\s]+:(\d+)/g, "tcp"], // etcd (TLS)
    [/--ports (\d+):(\d+):(\d+)/g, "tcp"], // zk-static-ensemble: client, peer, election
    [/-e PORTS=(\d+)/g, "tcp"], // marathon-lb's HAProxy stats
    [/"port": (\d+)/g, "udp+tcp"], // mesos-dns DNS
    [/"httpport": (\d+)/g, "tcp"], // mesos-dns HTTP
];

/** Ports a service listens on by its own defaults, with no flag to see in a unit. */
const IMPLICIT: Record<Role, number[]> = {
    border: [22, 443, 1194], // sshd; Pritunl's console and VPN
    quorum: [22],
    master: [22],
    worker: [22, 80, 443, 31000], // sshd; marathon-lb's HAProxy frontends; Mesos task ports from 31000
};

function listenedPorts(role: Role): Set<number> {
    const ports = new Set<number>(IMPLICIT[role]);
    for (const file of filesOf(role)) {
        if (!isUnitFile(file) && !file.path.endsWith(".json")) continue;
        for (const [pattern] of LISTEN_PATTERNS) {
            for (const match of file.content.matchAll(pattern)) for (const port of match.slice(1)) ports.add(Number(port));
        }
    }
    return ports;
}

function openedPorts(role: Role): Set<number> {
    return new Set(clusterRules({ vpn: true }).filter((r) => r.to === role).map((r) => r.fromPort));
}

describe("the service catalog against what the nodes run", () => {
    it.each(ROLES)("%s: every port the security groups open has a service listening on it", (role) => {
        const listened = listenedPorts(role);
        expect([...openedPorts(role)].filter((port) => !listened.has(port))).toEqual([]);
    });

    it.each(ROLES)("%s: every port a rendered unit listens on is opened, or is reached by nobody (mesos-dns API, Prometheus, HAProxy stats)", (role) => {
        const opened = openedPorts(role);
        const localOnly = role === "master" ? [8123, 9090] : role === "worker" ? [9090] : [];
        expect([...listenedPorts(role)].filter((port) => !opened.has(port) && !localOnly.includes(port))).toEqual([]);
    });

    it("opens these ports per role, literally (the matrix's meaning, not its code)", () => {
        const sorted = (role: Role) => [...openedPorts(role)].sort((a, b) => a - b);
        expect(sorted("border")).toEqual([22, 443, 1194, 9100]);
        expect(sorted("quorum")).toEqual([22, 2379, 2380, 9100]);
        expect(sorted("master")).toEqual([22, 53, 2181, 2888, 3888, 4194, 5050, 8080, 9100, 15101]);
        expect(sorted("worker")).toEqual([22, 80, 443, 4194, 5051, 9100, 31000]);
    });

    it.each(ROLES)("%s writes a unit file for exactly the catalog's units of its role", (role) => {
        const written = filesOf(role).filter(isUnitFile).map((f) => path.basename(f.path)).sort();
        expect(written).toEqual(roleUnits(role, { vpn: true }).filter((u) => u !== "docker.service").sort());
    });

    it("keeps the services' own traffic inside the cluster: only the border takes anything from admins", () => {
        const fromAdmin = clusterRules({ vpn: true }).filter((r) => r.from === "admin");
        expect(new Set(fromAdmin.map((r) => r.to))).toEqual(new Set(["border"]));
        expect(clusterRules({ vpn: false }).filter((r) => r.from === "admin").map((r) => `${r.protocol}/${r.fromPort}`)).toEqual(["tcp/22"]);
    });
});

describe("zk-static-ensemble --ports", () => {
    const launcher = path.join(TEMPLATES_DIR, "files", "zk-static-ensemble.sh");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zk-ports-"));
    const env = path.join(dir, "exhibitor");
    fs.writeFileSync(env, "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=2:10.0.0.10,5:10.0.0.9\n");
    const run = (...extra: string[]) =>
        spawnSync("bash", [launcher, "--env", env, "--ip", "10.0.0.9", "--conf-dir", `${dir}/conf`, "--data-dir", `${dir}/data`, ...extra, "--", "true"], { encoding: "utf8" });

    it("writes the ports it is given into zoo.cfg (the unit passes the catalog's)", () => {
        const result = run("--ports", "12181:12888:13888");
        expect(result.status).toBe(0);
        const cfg = fs.readFileSync(`${dir}/conf/zoo.cfg`, "utf8");
        expect(cfg).toContain("clientPort=12181\n");
        expect(cfg).toContain("server.2=10.0.0.10:12888:13888;10.0.0.10:12181\nserver.5=10.0.0.9:12888:13888;10.0.0.9:12181\n");
        expect(fs.readFileSync(`${dir}/data/myid`, "utf8")).toBe("5\n");
    });

    it("refuses malformed ports with its usage, writing nothing", () => {
        fs.rmSync(`${dir}/conf`, { recursive: true, force: true });
        for (const bad of ["2181:2888", "2181:2888:x", "0:2888:3888", ""]) {
            const result = run("--ports", bad);
            expect(result.status, bad).toBe(2);
            expect(result.stderr, bad).toContain("--ports wants CLIENT:PEER:ELECTION");
        }
        expect(fs.existsSync(`${dir}/conf`)).toBe(false);
    });
});
