import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../components/catalog/roles";
import { evaluateProgram, type Evaluation } from "../scripts/offline/mockEngine";
import { outputOf, resourceIn } from "./helpers/builtAlone";

// Issue 15: components/iam/ measured on its own. NodeIdentities built alone under mocks (no
// whole program), twice: every role reading its secrets with the workers on the Docker Hub
// cache, and no secrets with only the border on the cache. Each role's policy is written out.
// Built in a beforeAll, where StrykerJS's mutant is already active.


const ASSUME = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
const component = (name: string) => `urn:pulumi:dev::mesos-cluster::mesos-cluster:iam:NodeIdentities::${name}`;
const child = (type: string, name: string) => `urn:pulumi:dev::mesos-cluster::mesos-cluster:iam:NodeIdentities$${type}::${name}`;

const secretsOf = (role: string) => [
    {
        Sid: "ReadOwnRoleSecrets",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        Resource: [`arn:aws:ssm:eu-central-1:111122223333:parameter/c9/${role}`, `arn:aws:ssm:eu-central-1:111122223333:parameter/c9/${role}/*`],
    },
    {
        Sid: "DecryptOwnRoleSecretsThroughSsm",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: "arn:aws:kms:eu-central-1:111122223333:key/*",
        Condition: {
            StringEquals: { "kms:ViaService": "ssm.eu-central-1.amazonaws.com" },
            StringLike: { "kms:EncryptionContext:PARAMETER_ARN": `arn:aws:ssm:eu-central-1:111122223333:parameter/c9/${role}/*` },
        },
    },
];
const ecrOf = (region: string, prefix: string) => [
    { Sid: "EcrToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
    {
        Sid: "PullThroughDockerHubCache",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
        Resource: `arn:aws:ecr:${region}:111122223333:repository/${prefix}/*`,
    },
];
const DESCRIBE = { Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" };

let built: Evaluation;
let profiles: Record<string, [Role, string][]> = {};
let policies: Record<string, string[]> = {};
beforeAll(async () => {
    built = await evaluateProgram({
        config: {},
        load: async () => {
            const { NodeIdentities } = await import("../components/iam/nodeIdentities.js");
            const all = new NodeIdentities("c9-iam", {
                roles: ["worker", "quorum", "master"],
                tags: { Cluster: "c9", ManagedBy: "test" },
                ecrCache: { roles: ["worker"], scope: pulumi.output({ region: "eu-central-1", account: "111122223333", prefix: "c9-dockerhub" }) },
                secrets: { region: "eu-central-1", account: "111122223333", clusterId: "c9" },
            });
            const bare = new NodeIdentities("c8-iam", {
                roles: ["quorum", "master", "border"],
                tags: { Cluster: "c8" },
                ecrCache: { roles: ["border"], scope: { region: "us-east-2", account: "111122223333", prefix: "c8-dockerhub" } },
            });
            for (const [name, ids] of [["c9-iam", all], ["c8-iam", bare]] as const) {
                profiles[name] = await Promise.all([...ids.profiles].map(async ([role, p]) => [role, await outputOf(p.urn)] as [Role, string]));
                policies[name] = await Promise.all(ids.policies.map((p) => outputOf(p.urn)));
            }
            return {};
        },
    });
});

const resource = (type: string, name: string) => resourceIn(built, type, name);
const policyOf = (name: string) => JSON.parse(resource("aws:iam/rolePolicy:RolePolicy", name).inputs.policy);

describe("NodeIdentities, built on its own", () => {
    it("makes a role, its inline policy when it has statements, and a profile per role, in the catalog's role order", () => {
        expect(built.resources.map((r) => [r.type, r.name, r.parent])).toEqual([
            ["mesos-cluster:iam:NodeIdentities", "c9-iam", ""],
            ...(["quorum", "master", "worker"] as const).flatMap((role) => [
                ["aws:iam/role:Role", `c9-iam-${role}`, component("c9-iam")],
                ["aws:iam/rolePolicy:RolePolicy", `c9-iam-${role}`, component("c9-iam")],
                ["aws:iam/instanceProfile:InstanceProfile", `c9-iam-${role}`, component("c9-iam")],
            ]),
            ["mesos-cluster:iam:NodeIdentities", "c8-iam", ""],
            ["aws:iam/role:Role", "c8-iam-border", component("c8-iam")],
            ["aws:iam/rolePolicy:RolePolicy", "c8-iam-border", component("c8-iam")],
            ["aws:iam/instanceProfile:InstanceProfile", "c8-iam-border", component("c8-iam")],
            // The quorum without secrets or cache may do nothing in AWS: no policy at all.
            ["aws:iam/role:Role", "c8-iam-quorum", component("c8-iam")],
            ["aws:iam/instanceProfile:InstanceProfile", "c8-iam-quorum", component("c8-iam")],
            ["aws:iam/role:Role", "c8-iam-master", component("c8-iam")],
            ["aws:iam/rolePolicy:RolePolicy", "c8-iam-master", component("c8-iam")],
            ["aws:iam/instanceProfile:InstanceProfile", "c8-iam-master", component("c8-iam")],
        ]);
    });

    it("lets EC2 assume each role, described and tagged with its role and cluster", () => {
        expect(resource("aws:iam/role:Role", "c9-iam-worker").inputs).toEqual({
            assumeRolePolicy: ASSUME,
            description: "worker nodes of c9",
            tags: { Cluster: "c9", ManagedBy: "test", Role: "worker" },
        });
        expect(resource("aws:iam/role:Role", "c8-iam-border").inputs).toEqual({ assumeRolePolicy: ASSUME, description: "border nodes of c8", tags: { Cluster: "c8", Role: "border" } });
        expect(resource("aws:iam/instanceProfile:InstanceProfile", "c9-iam-quorum").inputs).toEqual({ role: "c9-iam-quorum", tags: { Cluster: "c9", ManagedBy: "test", Role: "quorum" } });
        expect(resource("aws:iam/instanceProfile:InstanceProfile", "c8-iam-master").inputs).toEqual({ role: "c8-iam-master", tags: { Cluster: "c8", Role: "master" } });
    });

    it("gives each role its own secrets, the masters DescribeInstances, and the cache only to the roles on it", () => {
        expect(resource("aws:iam/rolePolicy:RolePolicy", "c9-iam-quorum").inputs.role).toBe("c9-iam-quorum");
        expect(policyOf("c9-iam-quorum")).toEqual({ Version: "2012-10-17", Statement: secretsOf("quorum") });
        expect(policyOf("c9-iam-master")).toEqual({ Version: "2012-10-17", Statement: [DESCRIBE, ...secretsOf("master")] });
        expect(policyOf("c9-iam-worker")).toEqual({ Version: "2012-10-17", Statement: [...ecrOf("eu-central-1", "c9-dockerhub"), ...secretsOf("worker")] });
        expect(policyOf("c8-iam-border")).toEqual({ Version: "2012-10-17", Statement: ecrOf("us-east-2", "c8-dockerhub") });
        expect(policyOf("c8-iam-master")).toEqual({ Version: "2012-10-17", Statement: [DESCRIBE] });
    });

    it("hands out the profiles by role and the policies a node waits for", () => {
        expect(profiles["c9-iam"]).toEqual((["quorum", "master", "worker"] as const).map((role) => [role, child("aws:iam/instanceProfile:InstanceProfile", `c9-iam-${role}`)]));
        expect(policies["c9-iam"]).toEqual(["quorum", "master", "worker"].map((role) => child("aws:iam/rolePolicy:RolePolicy", `c9-iam-${role}`)));
        expect(policies["c8-iam"]).toEqual(["border", "master"].map((role) => child("aws:iam/rolePolicy:RolePolicy", `c8-iam-${role}`)));
    });
});

describe("policies' pure parts", () => {
    it("names parameters in the region's partition, and only hierarchical ones", async () => {
        const { parameterArn, cacheRepositoriesArn } = await import("../components/iam/policies.js");
        expect(parameterArn({ region: "cn-north-1", account: "111122223333", clusterId: "c9" }, "/c9/worker")).toBe("arn:aws-cn:ssm:cn-north-1:111122223333:parameter/c9/worker");
        expect(() => parameterArn({ region: "eu-central-1", account: "111122223333", clusterId: "c9" }, "c9/worker")).toThrow(
            "parameter names here are hierarchical, starting with /: c9/worker",
        );
        expect(cacheRepositoriesArn({ region: "us-gov-west-1", account: "111122223333", prefix: "c9-dockerhub" })).toBe("arn:aws-us-gov:ecr:us-gov-west-1:111122223333:repository/c9-dockerhub/*");
    });
});
