import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation, RegisteredResource } from "../scripts/offline/mockEngine";
import { byName, evaluateStack, ofType } from "./helpers/evaluate";
import { TYPES } from "../scripts/offline/resourceTypes";

const INSTANCE = TYPES.instance;
const SG = TYPES.securityGroup;
const INGRESS = TYPES.ingressRule;

// The dev stack over three zones: node N of a role in zone (N-1) mod 3, at offset + its rank
// in that zone of the zone's subnet (written out, not computed with the code under test).
const EXPECTED: Record<string, { ip: string; subnet: string }> = {
    "border-1": { ip: "10.136.0.11", subnet: "cell-1-net-public" },
    "master-1": { ip: "10.136.64.11", subnet: "cell-1-net-private" },
    "master-2": { ip: "10.136.128.11", subnet: "cell-1-net-private-eu-west-1b" },
    "master-3": { ip: "10.136.192.11", subnet: "cell-1-net-private-eu-west-1c" },
    "quorum-1": { ip: "10.136.64.21", subnet: "cell-1-net-private" },
    "quorum-2": { ip: "10.136.128.21", subnet: "cell-1-net-private-eu-west-1b" },
    "quorum-3": { ip: "10.136.192.21", subnet: "cell-1-net-private-eu-west-1c" },
    "worker-1": { ip: "10.136.64.101", subnet: "cell-1-net-private" },
    "worker-2": { ip: "10.136.128.101", subnet: "cell-1-net-private-eu-west-1b" },
    "worker-3": { ip: "10.136.192.101", subnet: "cell-1-net-private-eu-west-1c" },
};

let dev: Evaluation;
beforeAll(async () => {
    dev = await evaluateStack();
});

const instance = (name: string): RegisteredResource => {
    const found = ofType(dev, INSTANCE).find((r) => r.inputs.tags.Name === name);
    if (!found) throw new Error(`no instance ${name}`);
    return found;
};

describe("the dev stack's resource graph under mocks", () => {
    it("has the expected number of each AWS resource type", () => {
        const counts = (type: string) => ofType(dev, type).length;
        expect(counts(INSTANCE)).toBe(10);
        expect(counts("aws:ec2/vpc:Vpc")).toBe(1);
        expect(counts("aws:ec2/subnet:Subnet")).toBe(6); // a public and a private one per zone
        expect(counts("aws:ec2/internetGateway:InternetGateway")).toBe(1);
        expect(counts("aws:ec2/natGateway:NatGateway")).toBe(3); // one per zone
        expect(counts("aws:ec2/routeTable:RouteTable")).toBe(4); // the public one, a private one per zone
        expect(counts("aws:ec2/routeTableAssociation:RouteTableAssociation")).toBe(6);
        expect(counts("aws:ec2/eip:Eip")).toBe(4); // three NATs and the border
        expect(counts(SG)).toBe(5); // one per role and the DNS forwarder's
        expect(counts("aws:ec2/keyPair:KeyPair")).toBe(1);
    });

    it("registers no URN twice", () => {
        expect(dev.duplicateUrns).toEqual([]);
        expect(new Set(dev.resources.map((r) => r.urn)).size).toBe(dev.resources.length);
    });

    it("gives each instance its planned IP, its zone's subnet and its role security group", () => {
        expect(ofType(dev, INSTANCE).map((i) => i.inputs.tags.Name).sort()).toEqual(Object.keys(EXPECTED).sort());
        for (const [name, { ip, subnet }] of Object.entries(EXPECTED)) {
            const node = instance(name);
            const role = name.split("-")[0];
            expect(node.inputs.privateIp, name).toBe(ip);
            expect(node.inputs.subnetId, name).toBe(byName(dev, subnet).id);
            expect(node.inputs.vpcSecurityGroupIds, name).toEqual([byName(dev, `cell-1-sg-${role}`).id]);
            expect(node.inputs.tags, name).toMatchObject({ Name: name, Role: role, Cluster: "cell-1" });
        }
    });

    it("replaces instances delete-first and never by surprise (AMI and user data frozen); IMDSv2 with hop limit 2; encrypted disks", () => {
        for (const node of ofType(dev, INSTANCE)) {
            const name = node.inputs.tags.Name;
            expect(node.deleteBeforeReplace, name).toBe(true);
            // Written out, not imported: a list that lost an entry must not pass against itself.
            expect([...node.ignoreChanges].sort(), name).toEqual(["ami", "userData", "userDataBase64"]);
            // Containers sit one hop behind the host: IMDSv2 answers need a hop limit of 2.
            // Tags in IMDS: the node reads its BundleBucket tag at first boot.
            expect(node.inputs.metadataOptions, name).toEqual({ httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 2, instanceMetadataTags: "enabled" });
            expect(node.inputs.rootBlockDevice, name).toMatchObject({ encrypted: true, volumeType: "gp3" });
            expect(node.inputs.keyName, name).toBe(byName(dev, "cell-1-key").inputs.keyName ?? "cell-1-key");
            expect(node.inputs.ami, name).toBe("ami-0mock0ubuntu2404");
        }
    });

    it("maps no public IP on launch in either subnet: only the border's Elastic IP is public", () => {
        const subnets = ofType(dev, "aws:ec2/subnet:Subnet");
        expect(subnets.map((s) => [s.name, s.inputs.mapPublicIpOnLaunch]).sort()).toEqual([
            ["cell-1-net-private", false],
            ["cell-1-net-private-eu-west-1b", false],
            ["cell-1-net-private-eu-west-1c", false],
            ["cell-1-net-public", false],
            ["cell-1-net-public-eu-west-1b", false],
            ["cell-1-net-public-eu-west-1c", false],
        ]);
        expect(ofType(dev, INSTANCE).map((i) => i.inputs.associatePublicIpAddress).filter((v) => v !== undefined && v !== false)).toEqual([]);
    });

    it("opens only the border to the outside, and SSH elsewhere only from the border", () => {
        const groupIdToRole = new Map(ofType(dev, SG).map((sg) => [sg.id, (sg.inputs.tags.Role as string | undefined) ?? sg.name]));
        const rules = ofType(dev, INGRESS).map((r) => ({
            to: groupIdToRole.get(r.inputs.securityGroupId),
            from: r.inputs.referencedSecurityGroupId ? groupIdToRole.get(r.inputs.referencedSecurityGroupId) : r.inputs.cidrIpv4,
            port: r.inputs.fromPort,
            toPort: r.inputs.toPort,
        }));
        const external = rules.filter((r) => !["border", "quorum", "master", "worker", "cell-1-sg-dns-forwarder"].includes(r.from));
        expect(external.length).toBeGreaterThan(0);
        expect(external.every((r) => r.to === "border" && r.from === "203.0.113.0/24")).toBe(true);
        const ssh = rules.filter((r) => r.port <= 22 && r.toPort >= 22);
        expect(ssh.filter((r) => r.to !== "border").map((r) => r.from).every((from) => from === "border")).toBe(true);
        expect(new Set(ssh.map((r) => r.to))).toEqual(new Set(["border", "quorum", "master", "worker"]));
        // ZooKeeper peer ports stay among the masters.
        expect(rules.filter((r) => r.to === "master" && (r.port === 2888 || r.port === 3888)).every((r) => r.from === "master")).toBe(true);
        // The DNS forwarder reaches only Mesos-DNS on the masters.
        expect(rules.filter((r) => r.from === "cell-1-sg-dns-forwarder").map((r) => `${r.to}:${r.port}`)).toEqual(["master:53", "master:53"]);
        // No rule spans more than the task-port range.
        expect(rules.every((r) => r.toPort - r.port <= 1000)).toBe(true);
    });

    it("exports the border IP, the node table, the ensemble and the entry points", () => {
        const { outputs } = dev;
        expect(outputs.borderPublicIp).toBe("198.51.100.10");
        expect(outputs.mesosQuorum).toBe(2);
        // Sorted as strings: "10.136.128.11" < "10.136.192.11" < "10.136.64.11".
        expect(outputs.exhibitorStaticEnsemble).toBe("1:10.136.128.11,2:10.136.192.11,3:10.136.64.11");
        expect(outputs.mesosUrl).toBe("http://master-1.cell-1.dc-1.demo.lan:5050");
        expect(outputs.marathonUrl).toBe("http://master-1.cell-1.dc-1.demo.lan:8080");
        expect(outputs.sshCommand).toBe("ssh -J ubuntu@198.51.100.10 ubuntu@10.136.64.11");
        const table = outputs.nodes as { name: string; privateIp: string; instanceId: string; fqdn: string; role: string }[];
        expect(table).toHaveLength(10);
        expect(table.find((n) => n.name === "master-1")).toEqual({
            name: "master-1",
            role: "master",
            fqdn: "master-1.cell-1.dc-1.demo.lan",
            privateIp: "10.136.64.11",
            instanceId: instance("master-1").id,
        });
    });
});

describe("rebuilding a node on purpose", () => {
    it("lets only the named node take the current AMI and user data", async () => {
        process.env.MESOS_CLUSTER_REBUILD = "master-1";
        let rebuilt: Evaluation;
        try {
            rebuilt = await evaluateStack();
        } finally {
            delete process.env.MESOS_CLUSTER_REBUILD;
        }
        for (const node of ofType(rebuilt, INSTANCE)) {
            const name = node.inputs.tags.Name;
            expect(node.ignoreChanges.length === 0, name).toBe(name === "master-1");
            expect(node.deleteBeforeReplace, name).toBe(true);
        }
    });
});

describe("config errors stop the program before any resource", () => {
    it("throws every error line and registers nothing", async () => {
        const { devStackConfig } = await import("./helpers/devConfig.js");
        const config = { ...devStackConfig().config };
        config["mesos-cluster:nodes"] = JSON.stringify({ master: { count: 2 }, quorum: { count: 4 } });
        config["mesos-cluster:preferredLeader"] = "master-5";
        const failure = await evaluateStack({ config }).then(
            () => undefined,
            (err: { lines?: string[]; resourcesRegistered?: number }) => err,
        );
        expect(failure?.lines).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^mesos-cluster:nodes\.master\.count: 2 must be odd/),
                expect.stringMatching(/^mesos-cluster:nodes\.quorum\.count: 4 must be odd/),
                expect.stringMatching(/^mesos-cluster:preferredLeader: "master-5" is not a master/),
            ]),
        );
        expect(failure?.resourcesRegistered).toBe(0);
    });
});
