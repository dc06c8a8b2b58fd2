import type { Role } from "../plan/names";

/**
 * The least-privilege port matrix: which role may reach which port on which role. Only the
 * border accepts traffic from outside (adminCidrs); SSH to every other node comes from the
 * border alone; cluster ports open only between the roles that speak them.
 */
export type Source = Role | "admin";

export interface PortRule {
    readonly to: Role;
    readonly from: Source;
    readonly protocol: "tcp" | "udp";
    readonly fromPort: number;
    readonly toPort: number;
    readonly description: string;
}

const rule = (to: Role, from: Source[], protocol: "tcp" | "udp", ports: number | [number, number], description: string): PortRule[] => {
    const [fromPort, toPort] = typeof ports === "number" ? [ports, ports] : ports;
    return from.map((source) => ({ to, from: source, protocol, fromPort, toPort, description }));
};

export const PORTS = {
    ssh: 22,
    dns: 53,
    zkClient: 2181,
    zkPeer: 2888,
    zkElection: 3888,
    etcdClient: 2379,
    etcdPeer: 2380,
    mesosMaster: 5050,
    mesosAgent: 5051,
    marathon: 8080,
    mesosDnsHttp: 8123,
    prometheus: 9090,
    nodeExporter: 9100,
    cadvisor: 4194,
    haproxyStats: 9090,
    taskPorts: [31000, 32000] as [number, number],
    pritunlVpn: 1194,
    https: 443,
    http: 80,
} as const;

export function clusterRules(options: { vpn: boolean }): PortRule[] {
    const p = PORTS;
    return [
        ...rule("border", ["admin"], "tcp", p.ssh, "SSH to the jump host"),
        ...(options.vpn
            ? [
                  ...rule("border", ["admin"], "udp", p.pritunlVpn, "Pritunl VPN"),
                  ...rule("border", ["admin"], "tcp", p.https, "Pritunl web console"),
              ]
            : []),

        ...rule("quorum", ["border"], "tcp", p.ssh, "SSH from the jump host"),
        ...rule("quorum", ["quorum", "master", "worker"], "tcp", p.etcdClient, "etcd clients"),
        ...rule("quorum", ["quorum"], "tcp", p.etcdPeer, "etcd peers"),
        ...rule("quorum", ["quorum", "master", "worker"], "tcp", p.zkClient, "platform ZooKeeper clients"),
        ...rule("quorum", ["quorum"], "tcp", p.zkPeer, "platform ZooKeeper followers"),
        ...rule("quorum", ["quorum"], "tcp", p.zkElection, "platform ZooKeeper election"),

        ...rule("master", ["border"], "tcp", p.ssh, "SSH from the jump host"),
        ...rule("master", ["master", "worker"], "tcp", p.zkClient, "Mesos ZooKeeper clients"),
        ...rule("master", ["master"], "tcp", p.zkPeer, "Mesos ZooKeeper followers"),
        ...rule("master", ["master"], "tcp", p.zkElection, "Mesos ZooKeeper election"),
        ...rule("master", ["master", "worker", "border"], "tcp", p.mesosMaster, "mesos-master API and UI"),
        ...rule("master", ["master", "worker", "border"], "tcp", p.marathon, "Marathon API and UI (marathon-lb reads it)"),
        ...rule("master", ["master", "worker"], "udp", p.dns, "mesos-dns"),
        ...rule("master", ["master", "worker"], "tcp", p.dns, "mesos-dns"),
        ...rule("master", ["border"], "tcp", p.prometheus, "Prometheus UI"),

        ...rule("worker", ["border"], "tcp", p.ssh, "SSH from the jump host"),
        ...rule("worker", ["master"], "tcp", p.mesosAgent, "mesos-agent API"),
        ...rule("worker", ["master", "worker"], "tcp", p.taskPorts, "Mesos task ports (marathon-lb backends)"),
        ...rule("worker", ["border"], "tcp", p.http, "marathon-lb HTTP"),
        ...rule("worker", ["border"], "tcp", p.https, "marathon-lb HTTPS"),
        ...rule("worker", ["border"], "tcp", p.haproxyStats, "marathon-lb HAProxy stats"),

        // Prometheus runs on the masters and scrapes every node.
        ...(["border", "quorum", "master", "worker"] as const).flatMap((to) => rule(to, ["master"], "tcp", p.nodeExporter, "node-exporter scrape")),
        ...(["master", "worker"] as const).flatMap((to) => rule(to, ["master"], "tcp", p.cadvisor, "cAdvisor scrape")),
    ];
}

/** A stable resource-name suffix for a rule, e.g. "master-from-worker-tcp-5050". */
export function ruleName(r: PortRule): string {
    const ports = r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`;
    return `${r.to}-from-${r.from}-${r.protocol}-${ports}`;
}
