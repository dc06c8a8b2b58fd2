export const DEFAULTS = {
    region: "eu-west-1",
    clusterId: "cell-1",
    domain: "cell-1.dc-1.demo.lan",
    network: {
        vpcCidr: "10.136.0.0/16",
        publicSubnetCidr: "10.136.0.0/24",
        privateSubnetCidr: "10.136.64.0/18",
        // A NAT gateway per zone: losing one zone leaves the others their egress.
        natGateways: "perZone",
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
