import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { PlannedNode } from "../components/plan/clusterPlan";
import type { ClusterSecrets } from "../components/secrets/clusterSecrets";
import type { NodeUserData } from "../components/userdata/userData";
import { evaluateProgram, type Evaluation } from "../scripts/offline/mockEngine";
import { componentOutputs, resourceIn } from "./helpers/builtAlone";

// Issue 15, the nodes run of 2026-11-22 (66.0% against the program-level files): the master-set
// guard and a NodeGroup built on their own under mocks, with every input and option written
// out; the secrets the group reads are a stand-in. Built in a beforeAll, where StrykerJS's
// mutant is already active.

const TAGS = { Cluster: "c9", ManagedBy: "test" };
const GROUP = "urn:pulumi:dev::mesos-cluster::mesos-cluster:nodes:NodeGroup::c9-worker";

const node = (index: number, zone: string, ip: string): PlannedNode => ({
    name: `worker-${index}`,
    role: "worker",
    index,
    fqdn: `worker-${index}.c9.internal`,
    privateIp: ip,
    subnet: "private",
    availabilityZone: zone,
    subnetCidr: "10.9.64.0/18",
    instanceType: "m5.large",
    rootVolumeGiB: 40,
});
const NODES = [node(1, "za", "10.9.64.101"), node(2, "zb", "10.9.128.101")];
/** A resource of the test's own, for the group to wait for. */
class Stub extends pulumi.CustomResource {
    constructor(type: string, name: string) {
        super(type, name, {});
    }
}
const userData = (n: PlannedNode) => ({ node: n, userDataBase64: `H4sI-${n.name}` }) as unknown as NodeUserData;

let built: Evaluation;
let hostKeys: [string, string][] = [];
let missing: unknown;
beforeAll(async () => {
    built = await evaluateProgram({
        config: {},
        load: async () => {
            const { masterSetGuard } = await import("../components/nodes/masterSet.js");
            const { NodeGroup } = await import("../components/nodes/nodeGroup.js");
            masterSetGuard("c9", { clusterId: "c9", ensemble: "1:10.9.64.10,2:10.9.128.10,3:10.9.192.10", tags: TAGS }, {});
            // worker-1 has boot parameters to wait for; worker-2 none.
            const boot = new Stub("test:index:Boot", "worker-1-boot");
            const secrets = {
                bootParameters: new Map([["worker-1", [boot]]]),
                hostKey: (n: PlannedNode, instance: pulumi.CustomResource & { id: pulumi.Output<string> }) => instance.id.apply((id) => `ssh-ed25519 AAAA-${n.name}-${id}`),
            } as unknown as ClusterSecrets;
            const ready = new Stub("test:index:Ready", "bundle-ready");
            const group = await NodeGroup.create("c9-worker", {
                role: "worker",
                nodes: NODES,
                userData: new Map(NODES.map((n) => [n.name, userData(n)])),
                subnetId: (n) => `subnet-${n.availabilityZone}`,
                securityGroupId: "sg-worker",
                keyName: "c9-key",
                ami: "ami-9",
                rebuild: new Set(["worker-2"]),
                tags: TAGS,
                instanceProfile: "c9-iam-worker",
                bundleHost: "c9-bundles.s3.example",
                bootDependencies: [ready],
                zoneId: "Z9",
                secrets,
            });
            hostKeys = await Promise.all([...group.hostKeys].map(async ([name, key]) => [name, await new Promise<string>((resolve) => key.apply((k) => { resolve(k); return k; }))] as [string, string]));
            try {
                await NodeGroup.create("c9-lost", { role: "worker", nodes: [node(3, "za", "10.9.64.103")], userData: new Map(), subnetId: () => "s", securityGroupId: "sg", keyName: "k", ami: "a", rebuild: new Set(), tags: TAGS, instanceProfile: "p", bundleHost: "h", bootDependencies: [], zoneId: "Z", secrets });
            } catch (err) {
                missing = err;
            }
            return {};
        },
    });
});

const resource = (type: string, name: string) => resourceIn(built, type, name);
const unsecret = (value: any) => (value && typeof value === "object" && "value" in value ? value.value : value);

describe("the master-set guard", () => {
    it("is a protected String parameter named after the cluster, replaced when the ensemble changes", () => {
        const guard = resource("aws:ssm/parameter:Parameter", "c9-master-set");
        expect({ ...guard.inputs, value: unsecret(guard.inputs.value) }).toEqual({
            name: "/mesos-cluster/c9/master-set",
            type: "String",
            value: "1:10.9.64.10,2:10.9.128.10,3:10.9.192.10",
            description: "The fixed master set (Exhibitor static ensemble) of this cluster; a change is refused, see docs/replace.md",
            tags: { Cluster: "c9", ManagedBy: "test" },
        });
        expect(guard.protect).toBe(true);
        expect(guard.replaceOnChanges).toEqual(["value"]);
    });
});

describe("a NodeGroup, built on its own", () => {
    it("makes an instance and an A record per node under the group", () => {
        expect(built.resources.filter((r) => r.parent === GROUP).map((r) => [r.type, r.name])).toEqual([
            ["aws:ec2/instance:Instance", "c9-worker-1"],
            ["aws:route53/record:Record", "c9-worker-1-dns"],
            ["aws:ec2/instance:Instance", "c9-worker-2"],
            ["aws:route53/record:Record", "c9-worker-2-dns"],
        ]);
    });

    it("launches each node at its planned address, IMDSv2 only, on an encrypted gp3 disk deleted with it, tagged for its bundle", () => {
        const worker1 = resource("aws:ec2/instance:Instance", "c9-worker-1");
        expect(worker1.inputs).toEqual({
            ami: "ami-9",
            instanceType: "m5.large",
            subnetId: "subnet-za",
            privateIp: "10.9.64.101",
            vpcSecurityGroupIds: ["sg-worker"],
            keyName: "c9-key",
            iamInstanceProfile: "c9-iam-worker",
            userDataBase64: "H4sI-worker-1",
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2, instanceMetadataTags: "enabled" },
            rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 40, deleteOnTermination: true },
            tags: { Cluster: "c9", ManagedBy: "test", Name: "worker-1", Role: "worker", Fqdn: "worker-1.c9.internal", BundleBucket: "c9-bundles.s3.example" },
            volumeTags: { Cluster: "c9", ManagedBy: "test", Name: "worker-1", Role: "worker" },
        });
        expect(resource("aws:ec2/instance:Instance", "c9-worker-2").inputs).toMatchObject({ subnetId: "subnet-zb", privateIp: "10.9.128.101" });
    });

    it("waits for the boot dependencies and the node's own boot parameters; AMI and user data frozen unless rebuilt", () => {
        const worker1 = resource("aws:ec2/instance:Instance", "c9-worker-1");
        const worker2 = resource("aws:ec2/instance:Instance", "c9-worker-2");
        expect(worker1.dependsOn).toEqual(["urn:pulumi:dev::mesos-cluster::test:index:Ready::bundle-ready", "urn:pulumi:dev::mesos-cluster::test:index:Boot::worker-1-boot"]);
        expect(worker2.dependsOn).toEqual(["urn:pulumi:dev::mesos-cluster::test:index:Ready::bundle-ready"]);
        expect([worker1.deleteBeforeReplace, worker1.ignoreChanges]).toEqual([true, ["ami", "userData", "userDataBase64"]]);
        expect([worker2.deleteBeforeReplace, worker2.ignoreChanges]).toEqual([true, []]);
    });

    it("names each node in the zone with a 60 s A record of its address", () => {
        expect(resource("aws:route53/record:Record", "c9-worker-2-dns").inputs).toEqual({ zoneId: "Z9", name: "worker-2.c9.internal", type: "A", ttl: 60, records: ["10.9.128.101"] });
    });

    it("hands out each node's host key and registers its instance ids", () => {
        expect(hostKeys).toEqual([
            ["worker-1", "ssh-ed25519 AAAA-worker-1-c9-worker-1-id"],
            ["worker-2", "ssh-ed25519 AAAA-worker-2-c9-worker-2-id"],
        ]);
        expect(componentOutputs.get("mesos-cluster:nodes:NodeGroup::c9-worker")).toEqual({ instanceIds: ["c9-worker-1-id", "c9-worker-2-id"] });
    });

    it("refuses a node without rendered user data, naming it", () => {
        expect(String(missing)).toBe("Error: no user data rendered for worker-3");
    });
});
