import { describe, expect, it } from "vitest";
import { validateConfig } from "../components/config/validate";
import { devRawConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";

// Availability zones in the stack config: each bad input refused with its exact line, every
// problem at once; the warnings for a single zone and a single shared NAT gateway.

const zone = (name: string, publicSubnetCidr: string, privateSubnetCidr: string) => ({ name, publicSubnetCidr, privateSubnetCidr });
const A = zone("eu-west-1a", "10.136.0.0/24", "10.136.64.0/18");
const B = zone("eu-west-1b", "10.136.1.0/24", "10.136.128.0/18");
const C = zone("eu-west-1c", "10.136.2.0/24", "10.136.192.0/18");

const dev = devRawConfig();
function result(patch: Record<string, unknown>, base = dev) {
    return validateConfig(withPatch(base, patch));
}
const errorsOf = (patch: Record<string, unknown>) => {
    const r = result(patch);
    return r.ok ? [] : r.errors;
};

describe("the dev stack's zones", () => {
    it("lists three zones of its region and passes without a warning", () => {
        const r = result({});
        expect(r).toMatchObject({ ok: true, warnings: [] });
        if (r.ok) expect(r.config.network).toMatchObject({ zones: [A, B, C], natGateways: "perZone" });
    });
});

describe("bad zone input, each refused by key with what to change", () => {
    const table: [string, Record<string, unknown>, string[]][] = [
        [
            "a zone listed twice (fewer distinct zones than listed)",
            { network: { zones: [A, { ...B, name: "eu-west-1a" }, C] } },
            ['mesos-cluster:network.zones[1].name: "eu-west-1a" is listed already as zones[0].name; nodes spread over distinct zones only, so list each zone once'],
        ],
        [
            "subnets that overlap across zones",
            { network: { zones: [A, { ...B, privateSubnetCidr: "10.136.64.0/20" }, C] } },
            ['mesos-cluster:network.zones[1].privateSubnetCidr: "10.136.64.0/20" overlaps zones[0].privateSubnetCidr 10.136.64.0/18'],
        ],
        [
            "a public subnet overlapping another zone's private one",
            { network: { zones: [A, B, { ...C, publicSubnetCidr: "10.136.128.0/24" }] } },
            ['mesos-cluster:network.zones[2].publicSubnetCidr: "10.136.128.0/24" overlaps zones[1].privateSubnetCidr 10.136.128.0/18'],
        ],
        [
            "a subnet outside the VPC",
            { network: { zones: [A, { ...B, publicSubnetCidr: "10.137.1.0/24" }, C] } },
            ['mesos-cluster:network.zones[1].publicSubnetCidr: "10.137.1.0/24" is outside vpcCidr 10.136.0.0/16'],
        ],
        [
            "a zone of another region",
            { network: { zones: [A, { ...B, name: "us-east-1b" }, C] } },
            ['mesos-cluster:network.zones[1].name: "us-east-1b" is not in region eu-west-1'],
        ],
        [
            "a zone name that is a region",
            { network: { zones: [{ ...A, name: "eu-west-1" }, B, C] } },
            ['mesos-cluster:network.zones[0].name: "eu-west-1" is not an availability zone like eu-west-1a'],
        ],
        [
            "a subnet that is not a CIDR",
            { network: { zones: [A, B, { ...C, privateSubnetCidr: "10.136.192.1/18" }] } },
            ['mesos-cluster:network.zones[2].privateSubnetCidr: "10.136.192.1/18" is not an IPv4 CIDR like 10.136.0.0/16 (network address, no host bits)'],
        ],
        [
            "an explicit IP outside the subnet of its node's zone",
            { nodes: { master: { ips: ["10.136.64.11", "10.136.64.12", "10.136.192.11"] } } },
            [
                'mesos-cluster:nodes.master.ips[1]: "10.136.64.12" is outside zones[1].privateSubnetCidr 10.136.128.0/18, the subnet of eu-west-1b, where master-2 goes (node N of a role in zone (N-1) mod 3)',
            ],
        ],
        [
            "an explicit IP on the DNS forwarder's address in the second zone",
            { nodes: { master: { ips: ["10.136.64.11", "10.136.128.5", "10.136.192.11"] } } },
            ['mesos-cluster:nodes.master.ips[1]: "10.136.128.5" of master-2 is already the address of the DNS forwarder (kept by the plan)'],
        ],
        [
            "an explicit border IP on the NAT gateway's address",
            { nodes: { border: { ips: ["10.136.0.5"] } } },
            ['mesos-cluster:nodes.border.ips[0]: "10.136.0.5" of border-1 is already the address of the NAT gateway of eu-west-1a (kept by the plan)'],
        ],
        [
            "a zone whose subnet cannot hold its share of workers",
            { network: { zones: [A, B, { ...C, privateSubnetCidr: "10.136.192.0/26" }] }, nodes: { worker: { count: 9 } } },
            [
                "mesos-cluster:nodes.worker.count: 9 worker nodes put 3 in eu-west-1c (node N in zone (N-1) mod 3), which do not fit zones[2].privateSubnetCidr 10.136.192.0/26, which holds at most 0 of them (worker-N at offset 100+its rank in its zone, below the broadcast address AWS reserves); use larger subnets or explicit ips",
            ],
        ],
        [
            "two zones for three masters and three quorum nodes (one zone would hold a majority)",
            { network: { zones: [A, B] } },
            [
                "mesos-cluster:network.zones: 2 zones put 2 of 3 masters in eu-west-1a (node N in zone (N-1) mod 2); losing that zone leaves 1, short of the masters' quorum (Mesos replicated log, ZooKeeper) of 2: list 3 zones, or list one zone for a dev or test cluster",
                "mesos-cluster:network.zones: 2 zones put 2 of 3 quorum nodes in eu-west-1a (node N in zone (N-1) mod 2); losing that zone leaves 1, short of the etcd quorum of 2: list 3 zones, or list one zone for a dev or test cluster",
            ],
        ],
        [
            "two zones for five masters",
            { network: { zones: [A, B] }, nodes: { master: { count: 5 }, quorum: { count: 1 } } },
            [
                "mesos-cluster:network.zones: 2 zones put 3 of 5 masters in eu-west-1a (node N in zone (N-1) mod 2); losing that zone leaves 2, short of the masters' quorum (Mesos replicated log, ZooKeeper) of 3: list 3 zones, or list one zone for a dev or test cluster",
                "mesos-cluster:network.zones: 2 zones, but 1 quorum node sits in one of them (eu-west-1a): losing that zone loses it, and the etcd quorum with it: list 3 zones and use 3 quorum nodes, or list one zone for a dev or test cluster",
            ],
        ],
        [
            "three zones for one master",
            { nodes: { master: { count: 1 } } },
            [
                "mesos-cluster:network.zones: 3 zones, but 1 master sits in one of them (eu-west-1a): losing that zone loses it, and the masters' quorum (Mesos replicated log, ZooKeeper) with it: use 3 masters (nodes.master.count: 3), or list one zone for a dev or test cluster",
            ],
        ],
        [
            "the single-zone keys beside network.zones",
            { network: { publicSubnetCidr: "10.136.0.0/24", availabilityZone: "eu-west-1a" } },
            [
                "mesos-cluster:network.publicSubnetCidr: describes a single zone, but network.zones is set too; give each zone's publicSubnetCidr in network.zones (e.g. zones[0].publicSubnetCidr) and remove this key",
                "mesos-cluster:network.availabilityZone: describes a single zone, but network.zones is set too; give each zone's name in network.zones (e.g. zones[0].name) and remove this key",
            ],
        ],
        ["an empty zone list", { network: { zones: [] } }, ["mesos-cluster:network.zones: [] must list at least one zone"]],
        [
            "an unknown NAT gateway mode",
            { network: { natGateways: "one" } },
            ['mesos-cluster:network.natGateways: "one" must be "perZone" (a NAT gateway in each zone) or "single" (one, in the first zone)'],
        ],
        [
            "an unknown key in a zone",
            { network: { zones: [A, { ...B, privateSubnet: "10.136.128.0/18" }, C] } },
            ["mesos-cluster:network.zones[1].privateSubnet: unknown key; did you mean mesos-cluster:network.zones[1].privateSubnetCidr?"],
        ],
    ];

    it.each(table)("refuses %s", (_label, patch, expected) => {
        expect(errorsOf(patch)).toEqual(expected);
    });

    it("accepts five masters over three zones and three masters over four: each survives any one zone", () => {
        const D = zone("eu-west-1d", "10.136.3.0/24", "10.136.32.0/19");
        expect(result({ nodes: { master: { count: 5 } } }).ok).toBe(true);
        expect(result({ network: { zones: [A, B, C, D] } }).ok).toBe(true);
    });

    it("reports every zone mistake at once", () => {
        const errors = errorsOf({
            network: { zones: [A, { ...B, name: "eu-west-1a" }, { ...C, name: "us-east-1c", publicSubnetCidr: "10.137.2.0/24" }] },
            nodes: { master: { ips: ["10.136.64.11", "10.136.64.12", "10.136.192.11"] } },
        });
        expect(errors).toEqual([
            'mesos-cluster:network.zones[2].publicSubnetCidr: "10.137.2.0/24" is outside vpcCidr 10.136.0.0/16',
            'mesos-cluster:network.zones[1].name: "eu-west-1a" is listed already as zones[0].name; nodes spread over distinct zones only, so list each zone once',
            'mesos-cluster:network.zones[2].name: "us-east-1c" is not in region eu-west-1',
            'mesos-cluster:nodes.master.ips[1]: "10.136.64.12" is outside zones[1].privateSubnetCidr 10.136.128.0/18, the subnet of eu-west-1a, where master-2 goes (node N of a role in zone (N-1) mod 3)',
        ]);
    });
});

describe("allowed, with a warning", () => {
    const single = "every node is in one availability zone (eu-west-1a): its outage takes every master and quorum node, and so the whole cluster, down at once; list 3 zones in network.zones for production";

    it("one zone in the single-zone keys", () => {
        expect(validateConfig(singleZoneRawConfig())).toMatchObject({ ok: true, warnings: [`mesos-cluster:network: ${single}`] });
    });

    it("one zone in network.zones, one master and one quorum node included", () => {
        expect(result({ network: { zones: [A] }, nodes: { master: { count: 1 }, quorum: { count: 1 } } })).toMatchObject({
            ok: true,
            warnings: [`mesos-cluster:network.zones: ${single}`],
        });
    });

    it("a single NAT gateway shared by three zones", () => {
        expect(result({ network: { natGateways: "single" } })).toMatchObject({
            ok: true,
            warnings: [
                'mesos-cluster:network.natGateways: "single" sends every zone\'s egress through the one NAT gateway in eu-west-1a: losing that zone cuts image pulls and all outbound traffic in the others too',
            ],
        });
    });
});
