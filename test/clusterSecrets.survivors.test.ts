import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { evaluateProgram, type Evaluation, type RegisteredResource } from "../scripts/offline/mockEngine";
import { singleZoneRawConfig, withPatch } from "./helpers/devConfig";

// Issue 15: components/secrets/clusterSecrets.ts measured with a focused file: ClusterSecrets
// built on its own under mocks for a plan of one node per role, every generated secret, signed
// certificate and SSM parameter written out, and a node's host key with its binding. Built in a
// beforeAll, where StrykerJS's mutant is already active.

class Instance extends pulumi.CustomResource {
    declare readonly id: pulumi.Output<string>;
    constructor(name: string) {
        super("test:index:Instance", name, {});
    }
}

const TAGS = { Cluster: "c9", ManagedBy: "test" };
const COMPONENT = "urn:pulumi:dev::mesos-cluster::mesos-cluster:secrets:ClusterSecrets::c9-secrets";

let built: Evaluation;
let boot: Record<string, string[]> = {};
let hostKey = "";
beforeAll(async () => {
    const checked = validateConfig(withPatch(singleZoneRawConfig(), { clusterId: "c9", nodes: { quorum: { count: 1 }, master: { count: 1 }, worker: { count: 1 } } }));
    if (!checked.ok) throw new Error(checked.errors.join("\n"));
    const plan = planCluster(checked.config);
    built = await evaluateProgram({
        config: {},
        load: async () => {
            const { ClusterSecrets } = await import("../components/secrets/clusterSecrets.js");
            const secrets = new ClusterSecrets("c9-secrets", { plan, roles: ["border", "quorum", "master", "worker"], tags: TAGS });
            const urnOf = (r: pulumi.Resource) => new Promise<string>((resolve) => r.urn.apply((u) => { resolve(u); return u; }));
            boot = Object.fromEntries(await Promise.all([...secrets.bootParameters].map(async ([node, params]) => [node, await Promise.all(params.map(urnOf))] as [string, string[]])));
            const worker = plan.nodes.find((n) => n.name === "worker-1")!;
            const key = secrets.hostKey(worker, new Instance("c9-worker-1"));
            hostKey = await new Promise<string>((resolve) => key.apply((k) => { resolve(k); return k; }));
            return {};
        },
    });
}, 60_000);

const named = (name: string): RegisteredResource => {
    const found = built.resources.filter((r) => r.name === name);
    expect(found, name).toHaveLength(1);
    return found[0]!;
};
const plain = (value: any) => (value && typeof value === "object" && "value" in value ? value.value : value);

const urn = (type: string, name: string) => `urn:pulumi:dev::mesos-cluster::mesos-cluster:secrets:ClusterSecrets$${type}::${name}`;
const PARAM = "aws:ssm/parameter:Parameter";
const SECRET_DESCRIPTION = "mesos-cluster secret: read at boot by the node's instance profile";

describe("ClusterSecrets, built on its own", () => {
    it("parents everything it makes to itself", () => {
        const own = built.resources.filter((r) => r.type !== "test:index:Instance" && r.type !== "mesos-cluster:secrets:ClusterSecrets");
        expect(own.length).toBeGreaterThan(20);
        for (const r of own) expect(r.parent, r.name).toBe(COMPONENT);
    });

    it("generates five 32-character passwords of letters and digits", () => {
        const passwords = built.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
        expect(passwords.map((r) => [r.name, r.inputs])).toEqual(
            ["mesos-agent", "marathon-framework", "http-operator", "zk-mesos", "zk-marathon"].map((what) => [`c9-secrets-${what}`, { length: 32, special: false }]),
        );
    });

    it("makes etcd's CA, the client's certificate and each quorum node's, ECDSA P-256, ten years", () => {
        for (const key of ["c9-secrets-etcd-ca-key", "c9-secrets-etcd-client-key", "c9-secrets-etcd-quorum-1-key"]) expect(named(key).inputs, key).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const ca = named("c9-secrets-etcd-ca").inputs;
        expect({ ...ca, privateKeyPem: undefined }).toEqual({
            subject: { commonName: "c9 etcd CA", organization: "mesos-cluster" },
            isCaCertificate: true,
            validityPeriodHours: 87_600,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            privateKeyPem: undefined,
        });
        expect(named("c9-secrets-etcd-client-csr").inputs.subject).toEqual({ commonName: "etcd-client", organization: "mesos-cluster" });
        expect(named("c9-secrets-etcd-client-csr").inputs.dnsNames).toBeUndefined();
        const client = named("c9-secrets-etcd-client").inputs;
        expect([client.allowedUses, client.validityPeriodHours]).toEqual([["digital_signature", "key_encipherment", "client_auth"], 87_600]);
        expect(client.caCertPem).toBe(plain(named("c9-secrets-quorum-etcd-ca.crt").inputs.value));
        const csr = named("c9-secrets-etcd-quorum-1-csr").inputs;
        expect([csr.subject, csr.dnsNames, csr.ipAddresses]).toEqual([
            { commonName: "quorum-1", organization: "mesos-cluster" },
            ["quorum-1", "quorum-1.cell-1.dc-1.demo.lan", "localhost"],
            ["10.136.64.21", "127.0.0.1"],
        ]);
        const node = named("c9-secrets-etcd-quorum-1").inputs;
        expect([node.allowedUses, node.validityPeriodHours]).toEqual([["digital_signature", "key_encipherment", "server_auth", "client_auth"], 87_600]);
    });

    it("keeps each role's files and each quorum node's own in SecureString parameters under /<cluster>/<role>[/<node>]", () => {
        expect({ ...named("c9-secrets-worker-http-operator").inputs, value: undefined }).toEqual({
            name: "/c9/worker/http-operator",
            type: "SecureString",
            tier: "Standard",
            description: SECRET_DESCRIPTION,
            tags: { Cluster: "c9", ManagedBy: "test", Role: "worker" },
            value: undefined,
        });
        expect(plain(named("c9-secrets-worker-http-operator").inputs.value)).toMatch(/^operator:[A-Za-z0-9]+$/);
        expect({ ...named("c9-secrets-quorum-1-etcd-node.key").inputs, value: undefined }).toEqual({
            name: "/c9/quorum/quorum-1/etcd-node.key",
            type: "SecureString",
            tier: "Standard",
            description: SECRET_DESCRIPTION,
            tags: { Cluster: "c9", ManagedBy: "test", Role: "quorum", Name: "quorum-1" },
            value: undefined,
        });
        expect(plain(named("c9-secrets-quorum-1-etcd-node.key").inputs.value)).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
        expect(plain(named("c9-secrets-quorum-1-etcd-node.crt").inputs.value)).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    });

    it("lists what each node waits for: its role's parameters, then its own", () => {
        const p = (name: string) => urn(PARAM, name);
        expect(boot).toEqual({
            "border-1": [],
            "quorum-1": [p("c9-secrets-quorum-etcd-ca.crt"), p("c9-secrets-quorum-etcd-client.crt"), p("c9-secrets-quorum-etcd-client.key"), p("c9-secrets-quorum-1-etcd-node.crt"), p("c9-secrets-quorum-1-etcd-node.key")],
            "master-1": [
                p("c9-secrets-master-mesos-credentials.json"),
                p("c9-secrets-master-marathon-framework-secret"),
                p("c9-secrets-master-http-operator"),
                p("c9-secrets-master-zk-mesos-url"),
                p("c9-secrets-master-marathon.env"),
            ],
            "worker-1": [p("c9-secrets-worker-mesos-agent-credential.json"), p("c9-secrets-worker-http-operator"), p("c9-secrets-worker-zk-mesos-url")],
        });
    });

    it("gives a node a host key replaced with its instance, stored as a secret and bound to the instance after it", () => {
        const key = named("c9-worker-1-ssh-host-key");
        expect([key.type, key.inputs, key.replacementTrigger]).toEqual(["tls:index/privateKey:PrivateKey", { algorithm: "ED25519" }, "c9-worker-1-id"]);
        expect({ ...named("c9-worker-1-ssh-host-key-ssm").inputs, value: undefined }).toEqual({
            name: "/c9/worker/worker-1/ssh_host_ed25519_key",
            type: "SecureString",
            tier: "Standard",
            description: SECRET_DESCRIPTION,
            tags: { Cluster: "c9", ManagedBy: "test", Role: "worker", Name: "worker-1" },
            value: undefined,
        });
        const binding = named("c9-worker-1-ssh-host-binding");
        expect({ ...binding.inputs, value: undefined }).toEqual({
            name: "/c9/worker/worker-1/host-key-binding",
            type: "String",
            tier: "Standard",
            description: "mesos-cluster: the instance the host key beside it belongs to",
            tags: { Cluster: "c9", ManagedBy: "test", Role: "worker", Name: "worker-1" },
            value: undefined,
        });
        expect(hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
        expect(plain(binding.inputs.value)).toBe(`c9-worker-1-id ${hostKey}`);
        expect(binding.dependsOn).toContain(urn(PARAM, "c9-worker-1-ssh-host-key-ssm"));
    });
});
