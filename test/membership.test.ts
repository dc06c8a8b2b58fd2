import { beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { renderAllUserData } from "../components/userdata/userData";
import { MOCK_ACCOUNT, type Evaluation, type RegisteredResource } from "../scripts/offline/mockEngine";
import { ecrCacheStatements, secretStatements } from "../components/iam/policies";
import { devRawConfig, devStackConfig, withPatch } from "./helpers/devConfig";
import { byName, evaluateStack, ofType } from "./helpers/evaluate";
import { TYPES } from "../scripts/offline/resourceTypes";

// Membership is a property of the cluster (DNS records, EC2 discovery), not of each node's
// frozen user data: adding a node must not touch anything that exists.

const INSTANCE = TYPES.instance;
const RECORD = TYPES.dnsRecord;

function rendered(workers: number) {
    const validated = validateConfig(withPatch(devRawConfig(), { nodes: { worker: { count: workers } } }));
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    return renderAllUserData(planCluster(validated.config));
}

describe("user data depends only on the node and the control plane", () => {
    it("renders byte-identical user data and bundles for every node that exists with 3 and with 4 workers", () => {
        const three = rendered(3);
        const four = rendered(4);
        expect(four.userData.size).toBe(three.userData.size + 1);
        for (const [name, data] of three.userData) {
            expect(four.userData.get(name)!.text, name).toBe(data.text);
        }
        for (const [role, bundle] of three.bundles) expect(four.bundles.get(role)!.script, role).toBe(bundle.script);
        // The new worker differs from worker-3 only in what is its own (worker-4 is the second
        // worker of eu-west-1a, after worker-1: offset 100+2 of its private subnet).
        const diff = (a: string, b: string) => a.split("\n").filter((line, i) => line !== b.split("\n")[i]);
        expect(diff(four.userData.get("worker-4")!.text, four.userData.get("worker-3")!.text).join("\n")).toBe(
            [
                "# worker-4 of cell-1: only what is this node's own, plus its role's bundle by",
                'hostname: "worker-4"',
                'fqdn: "worker-4.cell-1.dc-1.demo.lan"',
                '    content: "NODE_NAME=worker-4\\nNODE_FQDN=worker-4.cell-1.dc-1.demo.lan\\nNODE_IP=10.136.64.102\\nNODE_ROLE=worker\\n"',
            ].join("\n"),
        );
    });

    it("lists no other node in any user data: names come from DNS, scrape targets from EC2", () => {
        const { userData } = rendered(3);
        for (const [name, data] of userData) {
            for (const other of ["worker-1", "worker-2", "worker-3", "border-1", "10.136.64.101", "10.136.0.11"]) {
                if (other === name || other === data.node.privateIp) continue;
                const mentions = new RegExp(`(^|[^\\w.-])${other.replace(/\./g, "\\.")}($|[^\\w.-])`);
                expect(mentions.test(data.text), `${name} mentions ${other}`).toBe(false);
                expect(mentions.test(data.bundle.script), `${name}'s bundle mentions ${other}`).toBe(false);
            }
            expect(data.files.some((f) => f.path === "/etc/hosts"), name).toBe(false);
        }
    });

    it("keeps every node's user data plain and at most 8192 bytes, at 3 and at 1000 workers", () => {
        for (const workers of [3, 1000]) {
            const biggest = Math.max(...[...rendered(workers).userData.values()].map((d) => d.textBytes));
            expect(biggest, `${workers} workers`).toBeLessThanOrEqual(8192);
        }
    });
});

describe("adding a worker under mocks", () => {
    let three: Evaluation;
    let four: Evaluation;
    beforeAll(async () => {
        const nodes = JSON.parse(devStackConfig().config["mesos-cluster:nodes"]);
        three = await evaluateStack();
        four = await evaluateStack({ config: { "mesos-cluster:nodes": JSON.stringify({ ...nodes, worker: { ...nodes.worker, count: 4 } }) } });
    }, 120_000);

    it("registers only the new worker's instance, DNS record, ARP-purge command and agent check", () => {
        const before = new Set(three.resources.map((r) => r.urn));
        const added = four.resources.filter((r) => !before.has(r.urn)).map((r) => `${r.type} ${r.name}`);
        expect(added.sort()).toEqual([
            "aws:ec2/instance:Instance cell-1-worker-4",
            "aws:route53/record:Record cell-1-worker-4-dns",
            // Its SSH host key (issue 12), kept in SSM with the binding to its instance.
            "aws:ssm/parameter:Parameter cell-1-worker-4-ssh-host-binding",
            "aws:ssm/parameter:Parameter cell-1-worker-4-ssh-host-key-ssm",
            "command:remote:Command cell-1-agent-reregister-worker-4",
            "command:remote:Command cell-1-arp-purge-worker-4",
            "tls:index/privateKey:PrivateKey cell-1-worker-4-ssh-host-key",
        ]);
        expect(three.resources.filter((r) => !four.resources.some((o) => o.urn === r.urn))).toEqual([]);
    });

    it("changes no input of any resource that already exists", () => {
        const after = new Map(four.resources.map((r) => [r.urn, r]));
        const changed = three.resources.filter((r: RegisteredResource) => JSON.stringify(after.get(r.urn)!.inputs) !== JSON.stringify(r.inputs));
        expect(changed.map((r) => r.name)).toEqual([]);
    });
});

describe("names, discovery and bundles as AWS resources (dev stack under mocks)", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack();
    }, 120_000);

    it("a private zone for the node domain on the VPC, one A record per node, the domain as DHCP search domain", () => {
        const zone = byName(dev, "cell-1-dns-zone");
        expect(zone.inputs).toMatchObject({ name: "cell-1.dc-1.demo.lan", vpcs: [{ vpcId: byName(dev, "cell-1-net-vpc").id }] });
        expect(new Set(ofType(dev, RECORD).map((r) => r.inputs.zoneId))).toEqual(new Set(["ZCELL1DNSZONE"]));
        const records = ofType(dev, RECORD).map((r) => [r.inputs.name, r.inputs.type, r.inputs.records]);
        expect(records).toContainEqual(["master-1.cell-1.dc-1.demo.lan", "A", ["10.136.64.11"]]);
        expect(records).toContainEqual(["worker-3.cell-1.dc-1.demo.lan", "A", ["10.136.192.101"]]);
        expect(records.length).toBe(ofType(dev, INSTANCE).length);
        expect(byName(dev, "cell-1-dns-dhcp").inputs).toMatchObject({ domainName: "cell-1.dc-1.demo.lan", domainNameServers: ["AmazonProvidedDNS"] });
        const associations = dev.resources.filter((r) => r.type === "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation");
        expect(associations.map((a) => a.inputs.vpcId)).toEqual([byName(dev, "cell-1-net-vpc").id]);
    });

    it("forwards Mesos-DNS's domain to the masters through a forwarder at the plan's fixed addresses", () => {
        expect(byName(dev, "cell-1-dns-mesos").inputs).toMatchObject({
            domainName: "mesos",
            ruleType: "FORWARD",
            targetIps: [
                { ip: "10.136.64.11", port: 53 },
                { ip: "10.136.128.11", port: 53 },
                { ip: "10.136.192.11", port: 53 },
            ],
        });
        const forwarder = byName(dev, "cell-1-dns-forwarder");
        // Over two zones: offset 5 of the first two zones' private subnets, each in its own subnet.
        expect(forwarder.inputs.ipAddresses).toEqual([
            { ip: "10.136.64.5", subnetId: byName(dev, "cell-1-net-private").id },
            { ip: "10.136.128.5", subnetId: byName(dev, "cell-1-net-private-eu-west-1b").id },
        ]);
        expect(byName(dev, "cell-1-net-nat").inputs.privateIp).toBe("10.136.0.5");
        expect(byName(dev, "cell-1-net-nat-eu-west-1b").inputs.privateIp).toBe("10.136.1.5");
        expect(byName(dev, "cell-1-net-nat-eu-west-1c").inputs.privateIp).toBe("10.136.2.5");
    });

    it("lets masters describe instances, and the roles that pull through the Docker Hub cache read only it", () => {
        const policies = dev.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
        // Every role reads its own secrets (issue 12); quorum nodes and the border (VPN off) pull
        // nothing through the cache: no ECR statement.
        expect(policies.map((p) => p.name)).toEqual(["cell-1-iam-border", "cell-1-iam-quorum", "cell-1-iam-master", "cell-1-iam-worker"]);
        const cache = ecrCacheStatements({ region: "eu-west-1", account: MOCK_ACCOUNT, prefix: "cell-1-dockerhub" });
        const secrets = (role: "border" | "quorum" | "master" | "worker") => secretStatements(role, { region: "eu-west-1", account: MOCK_ACCOUNT, clusterId: "cell-1" });
        expect(JSON.parse(policies[0].inputs.policy)).toEqual({ Version: "2012-10-17", Statement: secrets("border") });
        expect(JSON.parse(policies[1].inputs.policy)).toEqual({ Version: "2012-10-17", Statement: secrets("quorum") });
        expect(JSON.parse(policies[2].inputs.policy)).toEqual({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }, ...cache, ...secrets("master")],
        });
        expect(JSON.parse(policies[3].inputs.policy)).toEqual({ Version: "2012-10-17", Statement: [...cache, ...secrets("worker")] });
        expect(cache[1].Resource).toBe(`arn:aws:ecr:eu-west-1:${MOCK_ACCOUNT}:repository/cell-1-dockerhub/*`);
        expect(dev.resources.filter((r) => r.type.startsWith("aws:iam/rolePolicyAttachment") || r.type.startsWith("aws:iam/policy:"))).toEqual([]);
        for (const node of ofType(dev, INSTANCE)) {
            const role = node.inputs.tags.Role;
            expect(node.inputs.iamInstanceProfile, node.name).toBe(`cell-1-iam-${role}`);
        }
    });

    it("keeps bundles in a private bucket readable only through the VPC's S3 endpoint, and nodes boot after it", () => {
        expect(byName(dev, "cell-1-bundles-public-access").inputs).toMatchObject({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        const endpoint = byName(dev, "cell-1-bundles-s3-endpoint");
        expect(endpoint.inputs).toMatchObject({ serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" });
        // Every route table: the public one and each zone's private one.
        expect([...endpoint.inputs.routeTableIds].sort()).toEqual(
            ["cell-1-net-public-rt", "cell-1-net-private-rt", "cell-1-net-private-rt-eu-west-1b", "cell-1-net-private-rt-eu-west-1c"].map((n) => byName(dev, n).id).sort(),
        );
        const policy = JSON.parse(byName(dev, "cell-1-bundles-policy").inputs.policy);
        expect(policy.Statement[0]).toMatchObject({ Effect: "Allow", Action: ["s3:GetObject"], Condition: { StringEquals: { "aws:SourceVpce": endpoint.id } } });
        expect(policy.Statement[0].Resource[0]).toMatch(/\/bundles\/\*$/);
        const objects = dev.resources.filter((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2");
        expect(objects.map((o) => o.inputs.key).every((key: string) => /^bundles\/(border|quorum|master|worker)-[0-9a-f]{64}\.sh$/.test(key))).toBe(true);
        const master = ofType(dev, INSTANCE).find((i) => i.inputs.tags.Name === "master-1")!;
        expect(master.dependsOn).toEqual(expect.arrayContaining([byName(dev, "cell-1-bundles-master").urn, byName(dev, "cell-1-bundles-policy").urn]));
        expect(master.inputs.userData).toContain(objects.find((o) => o.inputs.tags.Role === "master")!.inputs.key);
    });
});

describe("domains a private zone cannot serve", () => {
    it.each([
        ["cell-1.local", /ends in \.local, which Ubuntu resolves by multicast DNS/],
        ["dc-1.mesos", /collides with Mesos-DNS's own domain "mesos"/],
        ["cell-1.mesos", /collides with Mesos-DNS's own domain "mesos"/],
        ["eu-west-1.compute.internal", /is a domain AWS itself answers in the VPC/],
    ])("refuses %s by name", (domain, message) => {
        const result = validateConfig(withPatch(devRawConfig(), { domain }));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.errors.join("\n")).toMatch(new RegExp(`^mesos-cluster:domain: "${domain.replace(/\./g, "\\.")}" ${message.source}`, "m"));
    });
});
