import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { Role } from "../catalog/roles";
import { HOST_KEY_BINDING, parameterName, roleSecretFiles, SECRET_FILES, SecretKey, secretsPath } from "../catalog/secrets";
import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { EtcdPem, roleFileContents, SecretValues } from "./contents";
import { LeanPrivateKey, LeanSsmParameter } from "../runtime/leanResources";

/**
 * Every secret of the cluster, generated here (@pulumi/random, @pulumi/tls), kept in SSM
 * Parameter Store as SecureString under /<clusterId>/<role>[/<node>]/<file>, read at boot by
 * each node's instance profile (iam/policies.ts: its role's path only). Values are Pulumi
 * secrets from end to end: they appear in no user data, bundle, stack output or plan.
 */

/** Long-lived certificates: ten years (etcd's TLS; rotating them is a planned change, not an expiry). */
export const CERT_VALIDITY_HOURS = 10 * 365 * 24;
/** Generated passwords: 32 letters and digits (URL- and JSON-safe: they go into zk:// URLs). */
export const PASSWORD_LENGTH = 32;

export interface ClusterSecretsArgs {
    readonly plan: ClusterPlan;
    /** Roles that have nodes. */
    readonly roles: readonly Role[];
    /** The operator's own HTTP password (mesos-cluster:httpOperatorPassword), else generated. */
    readonly operatorPassword?: pulumi.Output<string>;
    readonly tags: Record<string, string>;
}

/**
 * An SSM SecureString parameter of the cluster (name, value a secret: LeanSsmParameter makes the
 * value a secret whatever it is given, as aws.ssm.Parameter does; wrapping it here too would only
 * add an Output per parameter).
 */
function secureParameter(resourceName: string, name: string, value: pulumi.Input<string>, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): LeanSsmParameter {
    return new LeanSsmParameter(resourceName, {
        name,
        type: "SecureString",
        tier: "Standard",
        value,
        description: "mesos-cluster secret: read at boot by the node's instance profile",
        tags,
    }, opts);
}

export class ClusterSecrets extends pulumi.ComponentResource {
    /** What a node needs in SSM before it boots (its role's files and its own etcd files), by node name. */
    readonly bootParameters: ReadonlyMap<string, readonly LeanSsmParameter[]>;
    private readonly clusterId: string;
    private readonly tags: Record<string, string>;

    constructor(name: string, args: ClusterSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:secrets:ClusterSecrets", name, {}, opts);
        const { plan } = args;
        this.clusterId = plan.clusterId;
        this.tags = args.tags;
        const parent = { parent: this };
        const password = (what: string) => new random.RandomPassword(`${name}-${what}`, { length: PASSWORD_LENGTH, special: false }, parent).result;
        const values: pulumi.Output<SecretValues> = pulumi
            .all([password("mesos-agent"), password("marathon-framework"), args.operatorPassword ?? password("http-operator"), password("zk-mesos"), password("zk-marathon")])
            .apply(([agentSecret, marathonSecret, operatorPassword, mesosZkPassword, marathonZkPassword]) => ({ agentSecret, marathonSecret, operatorPassword, mesosZkPassword, marathonZkPassword }));

        // etcd: a cluster CA, one server+peer certificate per quorum node, one client certificate.
        const hasQuorum = args.roles.includes("quorum");
        const ecdsa = (what: string) => new tls.PrivateKey(`${name}-${what}`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const ca = hasQuorum ? ecdsa("etcd-ca-key") : undefined;
        const caCert = ca
            ? new tls.SelfSignedCert(`${name}-etcd-ca`, {
                  privateKeyPem: ca.privateKeyPem,
                  subject: { commonName: `${plan.clusterId} etcd CA`, organization: "mesos-cluster" },
                  isCaCertificate: true,
                  validityPeriodHours: CERT_VALIDITY_HOURS,
                  allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
              }, parent)
            : undefined;
        const signed = (what: string, subject: tls.types.input.CertRequestSubject, sans: { dnsNames?: string[]; ipAddresses?: string[] }, uses: string[]) => {
            const key = ecdsa(`${what}-key`);
            const csr = new tls.CertRequest(`${name}-${what}-csr`, { privateKeyPem: key.privateKeyPem, subject, ...sans }, parent);
            const cert = new tls.LocallySignedCert(`${name}-${what}`, {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: ca!.privateKeyPem,
                caCertPem: caCert!.certPem,
                validityPeriodHours: CERT_VALIDITY_HOURS,
                allowedUses: uses,
            }, parent);
            return { key: key.privateKeyPem, cert: cert.certPem };
        };
        const client = hasQuorum ? signed("etcd-client", { commonName: "etcd-client", organization: "mesos-cluster" }, {}, ["digital_signature", "key_encipherment", "client_auth"]) : undefined;
        const etcd: pulumi.Output<EtcdPem> = client
            ? pulumi.all([caCert!.certPem, client.cert, client.key]).apply(([caCert, clientCert, clientKey]) => ({ caCert, clientCert, clientKey }))
            : pulumi.output({ caCert: "", clientCert: "", clientKey: "" });

        const boot = new Map<string, LeanSsmParameter[]>();
        for (const role of args.roles) {
            const roleParams: LeanSsmParameter[] = [];
            const contents = pulumi.all([values, etcd]).apply(([v, e]) => roleFileContents(role, plan, v, e));
            for (const key of roleSecretFiles(role).filter((k) => SECRET_FILES[k].scope === "role")) {
                const value = contents.apply((c) => {
                    const text = c[key];
                    if (text === undefined) throw new Error(`no content for ${key} of ${role}`);
                    return text;
                });
                roleParams.push(secureParameter(`${name}-${role}-${SECRET_FILES[key].file}`, parameterName(plan.clusterId, role, key), value, { ...args.tags, Role: role }, parent));
            }
            for (const node of plan.nodes.filter((n) => n.role === role)) {
                const own: LeanSsmParameter[] = [];
                if (role === "quorum") {
                    // Server and peer in one: etcd's peers authenticate each other as clients too.
                    const pem = signed(`etcd-${node.name}`, { commonName: node.name, organization: "mesos-cluster" }, {
                        dnsNames: [node.name, node.fqdn, "localhost"],
                        ipAddresses: [node.privateIp, "127.0.0.1"],
                    }, ["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
                    const put = (key: SecretKey, value: pulumi.Output<string>) =>
                        own.push(secureParameter(`${name}-${node.name}-${SECRET_FILES[key].file}`, parameterName(plan.clusterId, role, key, node.name), value, { ...args.tags, Role: role, Name: node.name }, parent));
                    put("etcdNodeCert", pem.cert);
                    put("etcdNodeKey", pem.key);
                }
                boot.set(node.name, [...roleParams, ...own]);
            }
        }
        this.bootParameters = boot;
        this.registerOutputs({});
    }

    /**
     * The node's SSH host key, whose lifecycle is its instance's: `replacementTrigger` is the
     * instance id, so any replacement of the instance (`pulumi up --replace`, `npm run replace`)
     * makes a new key in the same run, and every command that connects to the node pins the new
     * public key. Kept in SSM with a binding (`<instance id> <public key>`) written after it,
     * which the node's boot fetch waits for: it never installs its predecessor's key.
     * Returns the key's public half, trimmed (authorized_keys form): what the post-steps pin.
     */
    hostKey(node: PlannedNode, instance: pulumi.CustomResource & { readonly id: pulumi.Output<string> }, opts?: pulumi.CustomResourceOptions): pulumi.Output<string> {
        const parent = { parent: this, ...opts };
        const base = `${this.clusterId}-${node.name}-ssh-host`;
        // Three resources per node, so registered lean (see runtime/leanResources.ts, issue 14),
        // and one Output for the public half, shared by the binding and the post-steps.
        const key = new LeanPrivateKey(`${base}-key`, { algorithm: "ED25519" }, { ...parent, replacementTrigger: instance.id });
        const publicKey = key.publicKeyOpenssh.apply((k) => k.trim());
        const tags = { ...this.tags, Role: node.role, Name: node.name };
        const stored = secureParameter(`${base}-key-ssm`, parameterName(this.clusterId, node.role, "sshHostKey", node.name), key.privateKeyOpenssh, tags, parent);
        new LeanSsmParameter(`${base}-binding`, {
            name: `${secretsPath(this.clusterId, node.role, node.name)}/${HOST_KEY_BINDING}`,
            type: "String",
            tier: "Standard",
            // Not secret: the instance and the public half of its host key.
            value: pulumi.unsecret(pulumi.all([instance.id, publicKey]).apply(([id, pub]) => `${id} ${pub}`)),
            description: "mesos-cluster: the instance the host key beside it belongs to",
            tags,
        }, { ...parent, dependsOn: [stored] });
        return publicKey;
    }
}
