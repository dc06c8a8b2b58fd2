import { X509Certificate } from "crypto";
import { SecretKey } from "../catalog/secrets";

/**
 * What etcd's certificates must say (issue 12), as data: components/secrets/ builds them with
 * @pulumi/tls from this table, the lab with openssl, and tests check either against it
 * (`certProblems`). Pure: no Pulumi, no I/O.
 *
 * One CA for etcd alone (etcd-ca.crt), so trusting it (--trusted-ca-file,
 * --peer-trusted-ca-file) trusts nothing but etcd's own certificates:
 *   - each quorum node's etcd-node.crt is its server certificate on the client port (2379) and
 *     the peer port (2380), and its client certificate when it dials the other members' peer
 *     port (etcd uses --peer-cert-file for both unless --peer-client-cert-file is set) and when
 *     its gRPC gateway dials its own client port: so server_auth AND client_auth. Its SANs are
 *     every name and address a peer or a client dials it by: its private IP and 127.0.0.1
 *     (the etcdctl wrapper's default endpoint), its short name, FQDN and localhost;
 *   - etcd-client.crt is etcdctl's (the wrapper, etcd-member-swap): client_auth only, no SAN
 *     (a client certificate is never checked against a host name).
 * Usages are @pulumi/tls `allowedUses` values; openssl names are mapped in OPENSSL_USAGE.
 */

export type CertUsage = "cert_signing" | "crl_signing" | "digital_signature" | "key_encipherment" | "server_auth" | "client_auth";

export interface CertSpec {
    /** The certificate's file under SECRETS_DIR (components/catalog/secrets.ts). */
    readonly secret: SecretKey;
    /** Its private key's file; undefined for the CA (its key never leaves the program's state). */
    readonly keySecret?: SecretKey;
    readonly commonName: string;
    readonly organization: string;
    /** Subject alternative names. */
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly string[];
    /** @pulumi/tls allowedUses: key usages and extended key usages together. */
    readonly allowedUses: readonly CertUsage[];
    readonly isCa: boolean;
    readonly validityPeriodHours: number;
}

/** A quorum node as the certificates need it. */
export interface EtcdCertMember {
    readonly name: string;
    readonly privateIp: string;
}

export interface EtcdCertPlan {
    readonly ca: CertSpec;
    /** By quorum node name. */
    readonly nodes: Readonly<Record<string, CertSpec>>;
    readonly client: CertSpec;
}

/** Ten years, CA and certificates alike (components/secrets/clusterSecrets.ts: rotation is a planned change, not an expiry). */
export const ETCD_CERT_VALIDITY_HOURS = { ca: 87_600, leaf: 87_600 } as const;

/** The CN of etcdctl's certificate (with etcd's RBAC on, this CN would be its user name). */
export const ETCD_CLIENT_CN = "etcd-client";

const ORG = "mesos-cluster";

export function etcdCertPlan(clusterId: string, domain: string, quorum: readonly EtcdCertMember[]): EtcdCertPlan {
    if (quorum.length === 0) throw new Error("etcdCertPlan: no quorum node");
    const names = new Set(quorum.map((m) => m.name));
    if (names.size !== quorum.length) throw new Error("etcdCertPlan: duplicate quorum node names");
    const organization = ORG;
    const node = (m: EtcdCertMember): CertSpec => ({
        secret: "etcdNodeCert",
        keySecret: "etcdNodeKey",
        commonName: m.name,
        organization,
        dnsNames: [m.name, `${m.name}.${domain}`, "localhost"],
        ipAddresses: [...new Set([m.privateIp, "127.0.0.1"])],
        allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
        isCa: false,
        validityPeriodHours: ETCD_CERT_VALIDITY_HOURS.leaf,
    });
    return {
        ca: {
            secret: "etcdCa",
            commonName: `${clusterId} etcd CA`,
            organization,
            dnsNames: [],
            ipAddresses: [],
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            isCa: true,
            validityPeriodHours: ETCD_CERT_VALIDITY_HOURS.ca,
        },
        nodes: Object.fromEntries(quorum.map((m) => [m.name, node(m)])),
        client: {
            secret: "etcdClientCert",
            keySecret: "etcdClientKey",
            commonName: ETCD_CLIENT_CN,
            organization,
            dnsNames: [],
            ipAddresses: [],
            allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
            isCa: false,
            validityPeriodHours: ETCD_CERT_VALIDITY_HOURS.leaf,
        },
    };
}

/** openssl's names for the same usages (keyUsage / extendedKeyUsage). */
export const OPENSSL_USAGE: Record<CertUsage, { ext: "keyUsage" | "extendedKeyUsage"; name: string }> = {
    cert_signing: { ext: "keyUsage", name: "keyCertSign" },
    crl_signing: { ext: "keyUsage", name: "cRLSign" },
    digital_signature: { ext: "keyUsage", name: "digitalSignature" },
    key_encipherment: { ext: "keyUsage", name: "keyEncipherment" },
    server_auth: { ext: "extendedKeyUsage", name: "serverAuth" },
    client_auth: { ext: "extendedKeyUsage", name: "clientAuth" },
};

/** The v3 extension section openssl (`x509 -req -extfile`) needs to issue `spec`. */
export function opensslExtensions(spec: CertSpec): string {
    const of = (ext: "keyUsage" | "extendedKeyUsage") => spec.allowedUses.filter((u) => OPENSSL_USAGE[u].ext === ext).map((u) => OPENSSL_USAGE[u].name);
    const san = [...spec.dnsNames.map((d) => `DNS:${d}`), ...spec.ipAddresses.map((ip) => `IP:${ip}`)];
    return [
        `basicConstraints = critical, CA:${spec.isCa ? "TRUE" : "FALSE"}`,
        `keyUsage = critical, ${of("keyUsage").join(", ")}`,
        ...(of("extendedKeyUsage").length > 0 ? [`extendedKeyUsage = ${of("extendedKeyUsage").join(", ")}`] : []),
        ...(san.length > 0 ? [`subjectAltName = ${san.join(", ")}`] : []),
        "subjectKeyIdentifier = hash",
        "",
    ].join("\n");
}

const EKU_OID: Partial<Record<CertUsage, string>> = { server_auth: "1.3.6.1.5.5.7.3.1", client_auth: "1.3.6.1.5.5.7.3.2" };

/**
 * What is wrong with a PEM certificate for `spec`, signed by `caPem` when given: [] when
 * nothing. Checks the CN, the CA flag, every SAN (no more, no fewer), the extended key usages
 * etcd checks (serverAuth, clientAuth: exactly those of the spec), the issuer's signature.
 */
export function certProblems(pem: string, spec: CertSpec, caPem?: string): string[] {
    const cert = new X509Certificate(pem);
    const problems: string[] = [];
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    if (cn !== spec.commonName) problems.push(`CN is ${cn ?? "missing"}, want ${spec.commonName}`);
    if (cert.ca !== spec.isCa) problems.push(`CA flag is ${cert.ca}, want ${spec.isCa}`);
    const sans = (cert.subjectAltName ?? "").split(", ").filter(Boolean).map((s) => s.replace(/^IP Address:/, "IP:"));
    const want = [...spec.dnsNames.map((d) => `DNS:${d}`), ...spec.ipAddresses.map((ip) => `IP:${ip}`)];
    const missing = want.filter((s) => !sans.includes(s));
    const extra = sans.filter((s) => !want.includes(s));
    if (missing.length > 0) problems.push(`SAN missing ${missing.join(", ")}`);
    if (extra.length > 0) problems.push(`SAN has more than wanted: ${extra.join(", ")}`);
    if (!spec.isCa) {
        const ekus = new Set(cert.keyUsage ?? []);
        for (const use of ["server_auth", "client_auth"] as const) {
            const has = ekus.has(EKU_OID[use]!);
            if (has !== spec.allowedUses.includes(use)) problems.push(`${has ? "has" : "lacks"} extended key usage ${use}`);
        }
    }
    if (caPem !== undefined) {
        const ca = new X509Certificate(caPem);
        if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) problems.push("not signed by the given CA");
    }
    return problems;
}
