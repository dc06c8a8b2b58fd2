/**
 * Container images per service, pinned by tag. A stack overrides any of them with
 * `mesos-cluster:images: { <service>: <image:tag> }`.
 *
 * Mesosphere stopped publishing mesos-master/mesos-slave, mesos-dns and marathon-lb images
 * around these versions; the tags below are ones seen published and in use, not guesses.
 * Mesos 1.7 still runs on Ubuntu 24.04 hosts because it only talks to Docker through the
 * socket and the host's CLI (see units/mesos-agent.hbs).
 */
export const DEFAULT_IMAGES = {
    zookeeper: "zookeeper:3.9.3",
    etcd: "quay.io/coreos/etcd:v3.5.17",
    mesosMaster: "mesosphere/mesos-master:1.7.0",
    mesosAgent: "mesosphere/mesos-slave:1.7.0",
    marathon: "mesosphere/marathon:v1.11.24",
    mesosDns: "mesosphere/mesos-dns:v0.6.0",
    marathonLb: "mesosphere/marathon-lb:v1.14.1",
    prometheus: "prom/prometheus:v2.55.1",
    nodeExporter: "prom/node-exporter:v1.8.2",
    cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1",
    pritunl: "jippi/pritunl:1.32.3697.80",
} as const;

export type ServiceImage = keyof typeof DEFAULT_IMAGES;

export const DEFAULTS = {
    region: "eu-west-1",
    clusterId: "cell-1",
    domain: "cell-1.dc-1.demo.lan",
    network: {
        vpcCidr: "10.136.0.0/16",
        publicSubnetCidr: "10.136.0.0/24",
        privateSubnetCidr: "10.136.64.0/18",
    },
    nodes: {
        border: { count: 1, instanceType: "t3.small", rootVolumeGiB: 20 },
        quorum: { count: 3, instanceType: "t3.medium", rootVolumeGiB: 30 },
        master: { count: 3, instanceType: "m5.large", rootVolumeGiB: 50 },
        worker: { count: 3, instanceType: "m5.xlarge", rootVolumeGiB: 100 },
    },
    adminCidrs: [] as string[],
    sshUser: "ubuntu",
    preferredLeader: "master-1",
    ami: {
        // Canonical's account; the name pattern selects Ubuntu 24.04 LTS (noble) on gp3.
        owner: "099720109477",
        namePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
    },
    vpn: { enabled: false },
} as const;
