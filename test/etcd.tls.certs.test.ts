import * as path from "path";
import { describe, expect, it } from "vitest";
import { SECRET_FILES } from "../components/catalog/secrets";
import { certProblems, CertSpec, etcdCertPlan, opensslExtensions } from "../components/secrets/etcdCerts";
import { issueEtcdPki } from "./lab/etcdPki";
import { scratch } from "./helpers/standIns";
import { requireTool } from "./helpers/validators";

// Issue 12, etcd: what the certificates must say (the table wip-secrets builds @pulumi/tls
// resources from), and a checker that holds real PEM certificates to it.

const QUORUM = [
    { name: "quorum-1", privateIp: "10.136.64.21" },
    { name: "quorum-2", privateIp: "10.136.128.21" },
    { name: "quorum-3", privateIp: "10.136.192.21" },
];
const plan = etcdCertPlan("cell-1", "cell-1.dc-1.demo.lan", QUORUM);

describe("etcdCertPlan: the table, literally", () => {
    it("a node certificate: server and client usage, its IP, 127.0.0.1, its names and localhost", () => {
        expect(plan.nodes["quorum-2"]).toEqual({
            secret: "etcdNodeCert",
            keySecret: "etcdNodeKey",
            commonName: "quorum-2",
            organization: "mesos-cluster",
            dnsNames: ["quorum-2", "quorum-2.cell-1.dc-1.demo.lan", "localhost"],
            ipAddresses: ["10.136.128.21", "127.0.0.1"],
            allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
            isCa: false,
            validityPeriodHours: 87_600,
        });
        expect(Object.keys(plan.nodes)).toEqual(["quorum-1", "quorum-2", "quorum-3"]);
    });

    it("etcdctl's certificate: client usage only, no SAN (etcd checks a client's SANs against its address)", () => {
        expect(plan.client).toEqual({
            secret: "etcdClientCert",
            keySecret: "etcdClientKey",
            commonName: "etcd-client",
            organization: "mesos-cluster",
            dnsNames: [],
            ipAddresses: [],
            allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
            isCa: false,
            validityPeriodHours: 87_600,
        });
    });

    it("the CA: etcd's own, signs certificates, nothing else", () => {
        expect(plan.ca).toMatchObject({ secret: "etcdCa", commonName: "cell-1 etcd CA", isCa: true, allowedUses: ["cert_signing", "crl_signing", "digital_signature"], validityPeriodHours: 87_600 });
        expect(plan.ca.keySecret).toBeUndefined();
    });

    it("names the files of the secrets contract, each delivered to the quorum role only", () => {
        const specs: CertSpec[] = [plan.ca, plan.client, ...Object.values(plan.nodes)];
        const keys = new Set(specs.flatMap((s) => [s.secret, ...(s.keySecret ? [s.keySecret] : [])]));
        expect([...keys].sort()).toEqual(["etcdCa", "etcdClientCert", "etcdClientKey", "etcdNodeCert", "etcdNodeKey"]);
        for (const key of keys) expect(SECRET_FILES[key].roles).toEqual(["quorum"]);
        expect(SECRET_FILES.etcdNodeCert.scope).toBe("node");
        expect(SECRET_FILES.etcdNodeKey.scope).toBe("node");
    });

    it("refuses an empty quorum and duplicate names", () => {
        expect(() => etcdCertPlan("c", "d", [])).toThrow(/no quorum node/);
        expect(() => etcdCertPlan("c", "d", [QUORUM[0], QUORUM[0]])).toThrow(/duplicate/);
    });

    it("writes the openssl extensions of a spec", () => {
        expect(opensslExtensions(plan.nodes["quorum-1"])).toBe([
            "basicConstraints = critical, CA:FALSE",
            "keyUsage = critical, digitalSignature, keyEncipherment",
            "extendedKeyUsage = serverAuth, clientAuth",
            "subjectAltName = DNS:quorum-1, DNS:quorum-1.cell-1.dc-1.demo.lan, DNS:localhost, IP:10.136.64.21, IP:127.0.0.1",
            "subjectKeyIdentifier = hash",
            "",
        ].join("\n"));
        expect(opensslExtensions(plan.ca)).toContain("basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign, digitalSignature\nsubjectKeyIdentifier");
    });
});

describe("certProblems against real certificates (openssl)", () => {
    requireTool("openssl");
    const pki = issueEtcdPki(path.join(scratch("etcd-pki"), "pki"), plan);

    it("finds nothing wrong with certificates issued from the table", () => {
        expect(certProblems(pki.ca.cert, plan.ca)).toEqual([]);
        for (const q of QUORUM) expect(certProblems(pki.nodes[q.name].cert, plan.nodes[q.name], pki.ca.cert), q.name).toEqual([]);
        expect(certProblems(pki.client.cert, plan.client, pki.ca.cert)).toEqual([]);
    });

    it("names each difference: another node's certificate, the client's as a node's, a foreign issuer", () => {
        expect(certProblems(pki.nodes["quorum-1"].cert, plan.nodes["quorum-2"], pki.ca.cert)).toEqual([
            "CN is quorum-1, want quorum-2",
            "SAN missing DNS:quorum-2, DNS:quorum-2.cell-1.dc-1.demo.lan, IP:10.136.128.21",
            "SAN has more than wanted: DNS:quorum-1, DNS:quorum-1.cell-1.dc-1.demo.lan, IP:10.136.64.21",
        ]);
        expect(certProblems(pki.client.cert, plan.nodes["quorum-1"])).toEqual([
            "CN is etcd-client, want quorum-1",
            "SAN missing DNS:quorum-1, DNS:quorum-1.cell-1.dc-1.demo.lan, DNS:localhost, IP:10.136.64.21, IP:127.0.0.1",
            "lacks extended key usage server_auth",
        ]);
        expect(certProblems(pki.nodes["quorum-3"].cert, plan.client)).toContain("has extended key usage server_auth");
        expect(certProblems(pki.client.cert, plan.client, pki.nodes["quorum-1"].cert)).toEqual(["not signed by the given CA"]);
        expect(certProblems(pki.client.cert, plan.ca)).toEqual(["CN is etcd-client, want cell-1 etcd CA", "CA flag is false, want true"]);
    });
});
