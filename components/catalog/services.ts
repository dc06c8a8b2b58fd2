import { Role, ROLES } from "./roles";

/**
 * The one catalog of what the cluster runs: every service's systemd unit, image, ports, the
 * roles that run it and the roles that reach it. Security-group rules, unit templates,
 * post-step arguments and the lab all derive from here, so a port cannot be opened in one
 * place and listened on in another without a test noticing (test/catalog.test.ts).
 *
 * Pure data, imported by every later stage (config → plan → rendering/resources); it imports
 * nothing of theirs.
 */

/**
 * Who may open a connection: a role's security group, the operators' `adminCidrs`, or the DNS
 * forwarder through which the VPC resolver asks the masters for Mesos-DNS names.
 */
export type Source = Role | "admin" | "dnsForwarder";

export interface Listener {
    /** The key templates and scripts use: `ports.<name>`. */
    readonly name: PortName;
    readonly protocol: "tcp" | "udp";
    readonly port: number | readonly [number, number];
    readonly description: string;
    /** Who may connect, per role the service runs on; a role missing here is reached by nobody. */
    readonly from: Partial<Record<Role, readonly Source[]>>;
}

export interface Service {
    /** The systemd unit on the node; undefined for what the OS image itself runs (sshd). */
    readonly unit?: string;
    /** Key of the service's container image in `mesos-cluster:images`. */
    readonly image?: ImageKey;
    readonly roles: readonly Role[];
    /** Runs only when the named switch is on (`mesos-cluster:vpn.enabled`). */
    readonly optIn?: "vpn";
    /** Images its unit pulls besides its own (the workers' agent image is built from two). */
    readonly alsoPulls?: readonly ImageKey[];
    readonly listeners: readonly Listener[];
}

/**
 * Container images, pinned by tag; `mesos-cluster:images.<key>` overrides one.
 *
 * Each comes from its project's own registry where the project publishes one outside Docker
 * Hub (docs/roles.md, "Where each image comes from", names the source checked for each). The
 * ones only Docker Hub has (mesosphere/*, jippi/pritunl) are written with their Docker Hub name
 * and pulled through the cluster's ECR pull-through cache (components/registry/): no node pulls
 * from Docker Hub anonymously.
 *
 * Mesosphere stopped publishing mesos-master/mesos-slave, mesos-dns and marathon-lb images
 * around these versions; the tags below are ones seen published and in use, not guesses.
 */
export const DEFAULT_IMAGES = {
    // The Docker Official Image, as Docker publishes it on ECR Public too.
    zookeeper: "public.ecr.aws/docker/library/zookeeper:3.9.3",
    etcd: "quay.io/coreos/etcd:v3.5.17",
    mesosMaster: "docker.io/mesosphere/mesos-master:1.7.0",
    mesosAgent: "docker.io/mesosphere/mesos-slave:1.7.0",
    // Only its static docker CLI is used: copied into the workers' local agent image.
    dockerCli: "public.ecr.aws/docker/library/docker:27.5.1-cli",
    marathon: "docker.io/mesosphere/marathon:v1.11.24",
    mesosDns: "docker.io/mesosphere/mesos-dns:v0.6.0",
    marathonLb: "docker.io/mesosphere/marathon-lb:v1.14.1",
    prometheus: "quay.io/prometheus/prometheus:v2.55.1",
    nodeExporter: "quay.io/prometheus/node-exporter:v1.8.2",
    cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1",
    pritunl: "docker.io/jippi/pritunl:1.32.3697.80",
} as const;

export type ImageKey = keyof typeof DEFAULT_IMAGES;

/** Every port by name: what templates see as `ports.<name>` and scripts take as arguments. */
export const PORTS = {
    ssh: 22,
    dns: 53,
    http: 80,
    https: 443,
    pritunlVpn: 1194,
    zkClient: 2181,
    zkPeer: 2888,
    zkElection: 3888,
    etcdClient: 2379,
    etcdPeer: 2380,
    cadvisor: 4194,
    mesosMaster: 5050,
    mesosAgent: 5051,
    marathon: 8080,
    /** Marathon's libprocess (its Mesos scheduler driver): fixed, as DC/OS does, so the masters can open it. */
    marathonLibprocess: 15101,
    mesosDnsHttp: 8123,
    prometheus: 9090,
    haproxyStats: 9090,
    nodeExporter: 9100,
    taskPorts: [31000, 32000],
} as const satisfies Record<string, number | readonly [number, number]>;

export type PortName = keyof typeof PORTS;

const ALL: readonly Role[] = ROLES;
const everyRole = (sources: readonly Source[]) => Object.fromEntries(ALL.map((role) => [role, sources])) as Record<Role, readonly Source[]>;
const listen = (name: PortName, from: Listener["from"], description: string, protocol: "tcp" | "udp" = "tcp"): Listener => ({
    name,
    protocol,
    port: PORTS[name],
    description,
    from,
});

export const SERVICES = {
    sshd: {
        roles: ALL,
        // Only the border takes SSH from outside; every other node only from the border.
        listeners: [listen("ssh", { border: ["admin"], quorum: ["border"], master: ["border"], worker: ["border"] }, "SSH (jump host from admins, the rest from the jump host)")],
    },
    etcd: {
        unit: "etcd.service",
        image: "etcd",
        roles: ["quorum"],
        listeners: [
            // Its only clients are on the quorum nodes (etcd-member-swap asks the other members;
            // operators use the node's etcdctl): only they hold etcdctl's client certificate,
            // and etcd refuses a client without one (--client-cert-auth).
            listen("etcdClient", { quorum: ["quorum"] }, "etcd clients (TLS, client certificate)"),
            listen("etcdPeer", { quorum: ["quorum"] }, "etcd peers (TLS, peer certificate)"),
        ],
    },
    zookeeper: {
        // The masters' ensemble (Exhibitor env file), used by Mesos and Marathon. The quorum
        // nodes run no ZooKeeper: nothing was its client; etcd is their coordination service.
        unit: "zookeeper.service",
        image: "zookeeper",
        roles: ["master"],
        listeners: [
            listen("zkClient", { master: ["master", "worker"] }, "Mesos ZooKeeper clients"),
            listen("zkPeer", { master: ["master"] }, "Mesos ZooKeeper followers"),
            listen("zkElection", { master: ["master"] }, "Mesos ZooKeeper election"),
        ],
    },
    mesosMaster: {
        unit: "mesos-master.service",
        image: "mesosMaster",
        roles: ["master"],
        listeners: [listen("mesosMaster", { master: ["master", "worker", "border"] }, "mesos-master API and UI")],
    },
    marathon: {
        unit: "marathon.service",
        image: "marathon",
        roles: ["master"],
        listeners: [
            listen("marathon", { master: ["master", "worker", "border"] }, "Marathon API and UI (marathon-lb reads it)"),
            // The leading Mesos master opens connections to its frameworks' libprocess address
            // (registration, offers): without a fixed port Marathon would listen on a random one.
            listen("marathonLibprocess", { master: ["master"] }, "Marathon's scheduler driver (libprocess), from the leading Mesos master"),
        ],
    },
    mesosDns: {
        unit: "mesos-dns.service",
        image: "mesosDns",
        roles: ["master"],
        listeners: [
            // Everyone resolves through the VPC resolver, which forwards Mesos-DNS's domain here.
            listen("dns", { master: ["dnsForwarder"] }, "mesos-dns, from the VPC resolver's forwarder", "udp"),
            listen("dns", { master: ["dnsForwarder"] }, "mesos-dns, from the VPC resolver's forwarder"),
            listen("mesosDnsHttp", {}, "mesos-dns HTTP API (local only)"),
        ],
    },
    prometheus: {
        unit: "prometheus.service",
        image: "prometheus",
        roles: ["master"],
        // No authentication of its own: its UI is reached through an SSH tunnel that ends on the
        // master itself (ssh -J border ... -L 9090:<master IP>:9090), so no security-group rule.
        listeners: [listen("prometheus", {}, "Prometheus UI (SSH tunnel to the master)")],
    },
    mesosAgent: {
        // Runs the local image mesos-agent-image builds at boot from `mesosAgent` + `dockerCli`.
        unit: "mesos-agent.service",
        image: "mesosAgent",
        alsoPulls: ["dockerCli"],
        roles: ["worker"],
        listeners: [
            listen("mesosAgent", { worker: ["master"] }, "mesos-agent API"),
            listen("taskPorts", { worker: ["master", "worker"] }, "Mesos task ports (marathon-lb backends)"),
        ],
    },
    marathonLb: {
        unit: "marathon-lb.service",
        image: "marathonLb",
        roles: ["worker"],
        listeners: [
            listen("http", { worker: ["border"] }, "marathon-lb HTTP"),
            listen("https", { worker: ["border"] }, "marathon-lb HTTPS"),
            // Stats and marathon-lb's unauthenticated /_mlb_signal/* (reload) endpoints: nobody
            // needs them across the network; an SSH tunnel to the worker reaches them.
            listen("haproxyStats", {}, "marathon-lb HAProxy stats (SSH tunnel to the worker)"),
        ],
    },
    cadvisor: {
        unit: "cadvisor.service",
        image: "cadvisor",
        roles: ["master", "worker"],
        listeners: [listen("cadvisor", { master: ["master"], worker: ["master"] }, "cAdvisor scrape")],
    },
    nodeExporter: {
        unit: "node-exporter.service",
        image: "nodeExporter",
        roles: ALL,
        // Prometheus runs on the masters and scrapes every node.
        listeners: [listen("nodeExporter", everyRole(["master"]), "node-exporter scrape")],
    },
    pritunl: {
        unit: "pritunl.service",
        image: "pritunl",
        roles: ["border"],
        optIn: "vpn",
        listeners: [
            listen("pritunlVpn", { border: ["admin"] }, "Pritunl VPN", "udp"),
            listen("https", { border: ["admin"] }, "Pritunl web console"),
        ],
    },
} as const satisfies Record<string, Service>;

export type ServiceName = keyof typeof SERVICES;

/** Services in catalog order, the switched-off opt-ins left out. */
export function enabledServices(options: { vpn: boolean }): [ServiceName, Service][] {
    return (Object.entries(SERVICES) as [ServiceName, Service][]).filter(([, service]) => service.optIn !== "vpn" || options.vpn);
}

/**
 * A node's systemd units in start order (docker.service first): what cloud-init enables and
 * clusterstat reports.
 */
export function roleUnits(role: Role, options: { vpn: boolean }): string[] {
    const units = enabledServices(options)
        .filter(([, service]) => service.roles.includes(role) && service.unit !== undefined)
        .map(([, service]) => service.unit as string);
    return ["docker.service", ...units];
}

/** The image keys a node of `role` pulls at first boot: its units' images, catalog order. */
export function roleImageKeys(role: Role, options: { vpn: boolean }): ImageKey[] {
    return enabledServices(options)
        .filter(([, service]) => service.roles.includes(role))
        .flatMap(([, service]) => [...(service.image ? [service.image] : []), ...(service.alsoPulls ?? [])]);
}

/** The master units a replaced master must have active before any post-step touches it. */
export const MASTER_CONTROL_UNITS = [
    SERVICES.zookeeper.unit,
    SERVICES.mesosMaster.unit,
    SERVICES.marathon.unit,
    SERVICES.mesosDns.unit,
] as const;

/** Paths the templates write and the scripts read: the documented contracts. */
export const PATHS = {
    /** Exhibitor-compatible env file of the masters' ZooKeeper. */
    exhibitorEnv: "/etc/mesos-cluster/exhibitor",
    /** NODE_NAME, NODE_FQDN, NODE_IP, NODE_ROLE: the one node-specific file every unit reads. */
    nodeEnv: "/etc/mesos-cluster/node.env",
    units: "/etc/mesos-cluster/units",
    masters: "/etc/mesos-cluster/masters",
    launcher: "/usr/local/bin/zk-static-ensemble",
    clusterstat: "/usr/local/bin/clusterstat",
    clusterStatus: "/usr/local/bin/cluster-status",
    /** ETCD_INITIAL_CLUSTER and ETCD_INITIAL_CLUSTER_STATE of a quorum node's etcd. */
    etcdEnv: "/etc/mesos-cluster/etcd.env",
    /** etcdctl on a quorum node: the etcd image's own, run through Docker. */
    etcdctl: "/usr/local/bin/etcdctl",
    /** Docker's own settings: log rotation for every container. */
    dockerDaemon: "/etc/docker/daemon.json",
    /** Builds the workers' local agent image (the Mesos image plus a docker CLI inside it). */
    agentImageBuilder: "/usr/local/sbin/mesos-agent-image",
    /** Writes registryEnv and the Docker credential-helper config from the instance identity. */
    registrySetup: "/usr/local/sbin/mesos-cluster-registry",
    /** ECR_REGISTRY=<account>.dkr.ecr.<region>.amazonaws.com: the node's own ECR registry. */
    registryEnv: "/etc/mesos-cluster/registry.env",
    /** Docker client config of root: credHelpers for the node's ECR registry (ecr-login). */
    dockerConfigDir: "/root/.docker",
} as const;

/**
 * The workers' agent image, built on the node: the same tag is the agent's own image and its
 * --docker_mesos_image, so executors run where the docker CLI is (see docs/roles.md).
 */
export const LOCAL_AGENT_IMAGE = "mesos-cluster/mesos-agent:local";

/**
 * What keeps every node's disk bounded (docs/roles.md, "Disks"): etcd's backend quota and
 * Docker's log rotation per container. ZooKeeper's autopurge is the launcher's own (zoo.cfg);
 * the journal is bounded by journald's default (10% of the disk).
 */
export const DISK_LIMITS = {
    etcdQuotaBytes: 2 * 1024 ** 3,
    containerLogMaxSize: "20m",
    containerLogMaxFiles: 5,
} as const;
