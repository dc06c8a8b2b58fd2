import { beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../components/catalog/roles";
import type { RoleBundle } from "../components/userdata/roleBundle";
import { evaluateProgram, type Evaluation } from "../scripts/offline/mockEngine";
import { componentOutputs, outputOf, resourceIn } from "./helpers/builtAlone";

// Issue 15: components/bundles/ measured on its own. BundleStore built alone under mocks (no
// whole program), each resource's inputs and the bucket policy stated literally. Built in a
// beforeAll, where StrykerJS's mutant is already active.


const COMPONENT = "urn:pulumi:dev::mesos-cluster::mesos-cluster:bundles:BundleStore::c9-bundles";
const child = (type: string, name: string) => `urn:pulumi:dev::mesos-cluster::mesos-cluster:bundles:BundleStore$${type}::${name}`;

const bundle = (role: Role, sha: string): RoleBundle => ({ role, files: [], script: `#!/bin/sh\necho ${role}\n`, sha256: sha, key: `bundles/${role}-${sha}.sh` });

let built: Evaluation;
let host = "";
let objects: [Role, string][] = [];
let ready: string[] = [];
beforeAll(async () => {
    built = await evaluateProgram({
        config: {},
        load: async () => {
            const { BundleStore } = await import("../components/bundles/bundleStore.js");
            const store = new BundleStore("c9-bundles", {
                region: "eu-central-1",
                vpcId: "vpc-9",
                routeTableIds: ["rtb-public", "rtb-private"],
                bundles: new Map<Role, RoleBundle>([
                    ["quorum", bundle("quorum", "aa11")],
                    ["worker", bundle("worker", "bb22")],
                ]),
                tags: { Cluster: "c9", ManagedBy: "test" },
            });
            host = await outputOf(store.host);
            objects = await Promise.all([...store.objects].map(async ([role, o]) => [role, await outputOf(o.urn)] as [Role, string]));
            ready = await Promise.all(store.ready.map((r) => outputOf(r.urn)));
            return {};
        },
    });
});

const resource = (type: string, name: string) => resourceIn(built, type, name);

describe("BundleStore, built on its own", () => {
    it("registers the bucket, its guards, the endpoint, the policy and one object per bundle, under the component", () => {
        expect(built.resources.map((r) => [r.type, r.name, r.parent])).toEqual([
            ["mesos-cluster:bundles:BundleStore", "c9-bundles", ""],
            ["aws:s3/bucket:Bucket", "c9-bundles-bucket", COMPONENT],
            ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "c9-bundles-public-access", COMPONENT],
            ["aws:s3/bucketOwnershipControls:BucketOwnershipControls", "c9-bundles-ownership", COMPONENT],
            ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "c9-bundles-encryption", COMPONENT],
            ["aws:ec2/vpcEndpoint:VpcEndpoint", "c9-bundles-s3-endpoint", COMPONENT],
            ["aws:s3/bucketPolicy:BucketPolicy", "c9-bundles-policy", COMPONENT],
            ["aws:s3/bucketObjectv2:BucketObjectv2", "c9-bundles-quorum", COMPONENT],
            ["aws:s3/bucketObjectv2:BucketObjectv2", "c9-bundles-worker", COMPONENT],
        ]);
    });

    it("keeps the bucket private, owner-enforced, encrypted, and emptied at destroy", () => {
        expect(resource("aws:s3/bucket:Bucket", "c9-bundles-bucket").inputs).toEqual({ forceDestroy: true, tags: { Cluster: "c9", ManagedBy: "test", Name: "c9-bundles-bucket" } });
        expect(resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "c9-bundles-public-access").inputs).toEqual({
            bucket: "c9-bundles-bucket-id",
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(resource("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "c9-bundles-ownership").inputs).toEqual({
            bucket: "c9-bundles-bucket-id",
            rule: { objectOwnership: "BucketOwnerEnforced" },
        });
        expect(resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "c9-bundles-encryption").inputs).toEqual({
            bucket: "c9-bundles-bucket-id",
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        });
    });

    it("reaches S3 through a gateway endpoint of the region on the given route tables", () => {
        expect(resource("aws:ec2/vpcEndpoint:VpcEndpoint", "c9-bundles-s3-endpoint").inputs).toEqual({
            vpcId: "vpc-9",
            serviceName: "com.amazonaws.eu-central-1.s3",
            vpcEndpointType: "Gateway",
            routeTableIds: ["rtb-public", "rtb-private"],
            tags: { Cluster: "c9", ManagedBy: "test", Name: "c9-bundles-s3-endpoint" },
        });
    });

    it("lets only the endpoint read bundles/*, over TLS only, once public policies are blocked", () => {
        const policy = resource("aws:s3/bucketPolicy:BucketPolicy", "c9-bundles-policy");
        expect(policy.inputs.bucket).toBe("c9-bundles-bucket-id");
        expect(JSON.parse(policy.inputs.policy)).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "NodesReadBundlesThroughTheVpcEndpoint",
                    Effect: "Allow",
                    Principal: "*",
                    Action: ["s3:GetObject"],
                    Resource: ["arn:aws:s3:::c9-bundles-bucket/bundles/*"],
                    Condition: { StringEquals: { "aws:SourceVpce": "c9-bundles-s3-endpoint-id" } },
                },
                {
                    Sid: "TlsOnly",
                    Effect: "Deny",
                    Principal: "*",
                    Action: ["s3:*"],
                    Resource: ["arn:aws:s3:::c9-bundles-bucket", "arn:aws:s3:::c9-bundles-bucket/*"],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
        expect(policy.dependsOn).toContain(child("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "c9-bundles-public-access"));
    });

    it("stores each bundle as a shell script under its content key, tagged with its role", () => {
        expect(resource("aws:s3/bucketObjectv2:BucketObjectv2", "c9-bundles-quorum").inputs).toEqual({
            bucket: "c9-bundles-bucket-id",
            key: "bundles/quorum-aa11.sh",
            content: "#!/bin/sh\necho quorum\n",
            contentType: "text/x-shellscript",
            tags: { Cluster: "c9", ManagedBy: "test", Role: "quorum" },
        });
        expect(resource("aws:s3/bucketObjectv2:BucketObjectv2", "c9-bundles-worker").inputs).toMatchObject({ key: "bundles/worker-bb22.sh", tags: { Role: "worker" } });
    });

    it("hands out the bucket's regional host, the objects by role, and the policy and endpoint a node waits for", () => {
        expect(host).toBe("c9-bundles-bucket.s3.eu-west-1.amazonaws.com");
        expect(objects).toEqual([
            ["quorum", child("aws:s3/bucketObjectv2:BucketObjectv2", "c9-bundles-quorum")],
            ["worker", child("aws:s3/bucketObjectv2:BucketObjectv2", "c9-bundles-worker")],
        ]);
        expect(ready).toEqual([child("aws:s3/bucketPolicy:BucketPolicy", "c9-bundles-policy"), child("aws:ec2/vpcEndpoint:VpcEndpoint", "c9-bundles-s3-endpoint")]);
    });

    it("registers its outputs", () => {
        expect(componentOutputs.get("mesos-cluster:bundles:BundleStore::c9-bundles")).toEqual({ host: "c9-bundles-bucket.s3.eu-west-1.amazonaws.com" });
    });
});
