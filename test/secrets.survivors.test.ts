import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mesosAgentCredentialFile, mesosCredentialsFile, roleFileContents, zkDigestUrl } from "../components/secrets/contents";
import { certProblems, etcdCertPlan, type CertSpec } from "../components/secrets/etcdCerts";

// Issue 15, the run over components/secrets/contents.ts and etcdCerts.ts of 2026-11-22 (86.8%
// against their unit files): the refusals of the content builders with their exact messages,
// what a ZooKeeper user, path and URL may be, and how a certificate's CN is read.

const VALUES = { agentSecret: "agent-s3cret", marathonSecret: "marathon-s3cret", operatorPassword: "op-s3cret", mesosZkPassword: "zkMesos1", marathonZkPassword: "zkMarathon1" };
const ETCD = { caCert: "CA PEM", clientCert: "CLIENT PEM", clientKey: "CLIENT KEY" };
const ZK = "zk://10.9.64.10:2181,10.9.128.10:2181";

describe("ZooKeeper URLs with digest credentials", () => {
    it("takes a plain user and a path of one or more /parts", () => {
        expect(zkDigestUrl("mesos", "zkMesos1", ["10.9.64.10:2181"], "/mesos/leader")).toBe("zk://mesos:zkMesos1@10.9.64.10:2181/mesos/leader");
        expect(zkDigestUrl("m-2", "a.b_c~d-e", ["10.9.64.10:2181", "10.9.128.10:2181"], "/m")).toBe("zk://m-2:a.b_c~d-e@10.9.64.10:2181,10.9.128.10:2181/m");
    });

    it.each(["Mesos", "1mesos", "mesos!", ""])("refuses the user %j", (user) => {
        expect(() => zkDigestUrl(user, "zkMesos1", ["10.9.64.10:2181"], "/mesos")).toThrow(`ZooKeeper user ${JSON.stringify(user)} is not a plain name`);
    });

    it.each(["mesos", "x/mesos", "/mesos/", "/", "/me sos"])("refuses the path %j", (zkPath) => {
        expect(() => zkDigestUrl("mesos", "zkMesos1", ["10.9.64.10:2181"], zkPath)).toThrow(`ZooKeeper path ${JSON.stringify(zkPath)} is not /a/b`);
    });

    it("refuses a password outside the URL-safe set, saying how long it was and nothing of it", () => {
        expect(() => zkDigestUrl("mesos", "", ["10.9.64.10:2181"], "/mesos")).toThrow(/^the ZooKeeper password of mesos must be characters of A-Z a-z 0-9 \. _ ~ - only \(got 0 characters\)$/);
        expect(() => zkDigestUrl("mesos", "a b@c", ["10.9.64.10:2181"], "/mesos")).toThrow(
            /^the ZooKeeper password of mesos must be characters of A-Z a-z 0-9 \. _ ~ - only \(got 5 characters, some outside that set\)$/,
        );
    });
});

describe("Mesos credentials", () => {
    it("name the refused value and say how long it was", () => {
        expect(() => mesosAgentCredentialFile("")).toThrow(/^agentSecret must be printable ASCII without spaces or any of : , " ' \\ \(got 0 characters\)$/);
        expect(() => mesosAgentCredentialFile("a:b")).toThrow(/^agentSecret must be printable ASCII without spaces or any of : , " ' \\ \(got 3 characters, some of them refused\)$/);
        expect(() => mesosCredentialsFile({ ...VALUES, marathonSecret: "a,b" })).toThrow(/^marathonSecret must be printable ASCII/);
        expect(() => mesosCredentialsFile({ ...VALUES, operatorPassword: "a b" })).toThrow(/^operatorPassword must be printable ASCII/);
        expect(() => mesosCredentialsFile({ ...VALUES, agentSecret: "a'b" })).toThrow(/^agentSecret must be printable ASCII/);
    });
});

describe("the plan's ZooKeeper URLs", () => {
    it.each([`x${ZK}/mesos`, `${ZK}/mesos\nsecond line`])("refuses %j", (url) => {
        expect(() => roleFileContents("master", { mesosZk: url, marathonZk: `${ZK}/marathon` }, VALUES, ETCD)).toThrow(`not a zk:// URL without credentials: ${url}`);
    });

    it("gives a worker the role files of workers, from the hosts of the plan's URL", () => {
        expect(roleFileContents("worker", { mesosZk: `${ZK}/mesos`, marathonZk: `${ZK}/marathon` }, VALUES, ETCD)).toEqual({
            httpOperator: "operator:op-s3cret",
            zkMesosUrl: "zk://mesos:zkMesos1@10.9.64.10:2181,10.9.128.10:2181/mesos",
            mesosAgentCredential: '{"principal":"mesos-agent","secret":"agent-s3cret"}\n',
        });
    });
});

describe("etcd's certificates", () => {
    it("plans etcd's CA, each quorum node's server-and-peer certificate and the client's, ten years each", () => {
        expect(etcdCertPlan("c9", "c9.internal", [{ name: "quorum-1", privateIp: "10.9.64.21" }])).toEqual({
            ca: {
                secret: "etcdCa",
                commonName: "c9 etcd CA",
                organization: "mesos-cluster",
                dnsNames: [],
                ipAddresses: [],
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                isCa: true,
                validityPeriodHours: 87_600,
            },
            nodes: {
                "quorum-1": {
                    secret: "etcdNodeCert",
                    keySecret: "etcdNodeKey",
                    commonName: "quorum-1",
                    organization: "mesos-cluster",
                    dnsNames: ["quorum-1", "quorum-1.c9.internal", "localhost"],
                    ipAddresses: ["10.9.64.21", "127.0.0.1"],
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
                    isCa: false,
                    validityPeriodHours: 87_600,
                },
            },
            client: {
                secret: "etcdClientCert",
                keySecret: "etcdClientKey",
                commonName: "etcd-client",
                organization: "mesos-cluster",
                dnsNames: [],
                ipAddresses: [],
                allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
                isCa: false,
                validityPeriodHours: 87_600,
            },
        });
        // A node at 127.0.0.1 (never planned, but the set keeps it once).
        expect(etcdCertPlan("c9", "c9.internal", [{ name: "quorum-1", privateIp: "127.0.0.1" }]).nodes["quorum-1"]!.ipAddresses).toEqual(["127.0.0.1"]);
    });

    it("plans one certificate per quorum node, refusing a name twice", () => {
        const members = [{ name: "quorum-1", privateIp: "10.9.64.21" }, { name: "quorum-2", privateIp: "10.9.128.21" }];
        expect(Object.keys(etcdCertPlan("c9", "c9.internal", members).nodes)).toEqual(["quorum-1", "quorum-2"]);
        expect(() => etcdCertPlan("c9", "c9.internal", [members[0]!, { ...members[1]!, name: "quorum-1" }])).toThrow("etcdCertPlan: duplicate quorum node names");
    });

    let dir = "";
    const pem = (subject: string) => {
        const out = path.join(dir, `${subject.replace(/\W/g, "_")}.pem`);
        const run = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject, "-days", "1", "-keyout", path.join(dir, "key.pem"), "-out", out], { encoding: "utf8" });
        if (run.status !== 0) throw new Error(run.stderr);
        return fs.readFileSync(out, "utf8");
    };
    const openssl = (...args: string[]) => {
        const run = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
        if (run.status !== 0) throw new Error(run.stderr);
    };
    let cnOnly = "";
    let noCn = "";
    let leaf = "";
    let ca = "";
    let impostor = "";
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-cn-"));
        cnOnly = pem("/CN=etcd-client");
        noCn = pem("/O=mesos-cluster");
        // Two CAs of the same name, no key identifiers: the leaf's issuer name matches both, its
        // signature only the first's key.
        fs.writeFileSync(path.join(dir, "ca.cnf"), "[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=c9 etcd CA\n");
        for (const name of ["ca", "impostor"]) openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-config", "ca.cnf", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "1");
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=etcd-client", "-keyout", "leaf.key", "-out", "leaf.csr");
        openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "7", "-days", "1", "-out", "leaf.pem");
        [leaf, ca, impostor] = ["leaf", "ca", "impostor"].map((name) => fs.readFileSync(path.join(dir, `${name}.pem`), "utf8"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const spec = (): CertSpec => etcdCertPlan("c9", "c9.internal", [{ name: "quorum-1", privateIp: "10.9.64.21" }]).client;

    it("reads the CN when it is the subject's first or only line", () => {
        expect(certProblems(cnOnly, spec()).filter((p) => p.startsWith("CN "))).toEqual([]);
    });

    it("says the CN is missing when the subject has none", () => {
        expect(certProblems(noCn, spec()).filter((p) => p.startsWith("CN "))).toEqual(["CN is missing, want etcd-client"]);
    });

    it("refuses a certificate signed by another key under the CA's name", () => {
        expect(certProblems(leaf, spec(), ca)).not.toContain("not signed by the given CA");
        expect(certProblems(leaf, spec(), impostor)).toContain("not signed by the given CA");
    });
});
