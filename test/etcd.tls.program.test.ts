import { X509Certificate, createPrivateKey } from "crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { parameterName } from "../components/catalog/secrets";
import { certProblems, etcdCertPlan } from "../components/secrets/etcdCerts";
import { Evaluation, isSecretValue } from "../scripts/offline/mockEngine";
import { evaluateStack } from "./helpers/evaluate";

// Issue 12, etcd: the certificates the program itself makes (@pulumi/tls, components/secrets/;
// real certificates from the offline engine) say what etcd needs (components/secrets/etcdCerts.ts).

const PARAMETER = "aws:ssm/parameter:Parameter";
const plain = (value: unknown): unknown => (isSecretValue(value) ? (value as { value: unknown }).value : value);

let dev: Evaluation;
beforeAll(async () => {
    dev = await evaluateStack();
}, 120_000);

const value = (name: string) => {
    const p = dev.resources.find((r) => r.type === PARAMETER && r.inputs.name === name);
    if (!p) throw new Error(`no SSM parameter ${name}`);
    return String(plain(p.inputs.value));
};

describe("the program's etcd certificates against the table", () => {
    const QUORUM = [
        { name: "quorum-1", privateIp: "10.136.64.21" },
        { name: "quorum-2", privateIp: "10.136.128.21" },
        { name: "quorum-3", privateIp: "10.136.192.21" },
    ];
    const table = etcdCertPlan("cell-1", "cell-1.dc-1.demo.lan", QUORUM);

    it("CA, each node's certificate, etcdctl's: no problem, each signed by the CA", () => {
        const ca = value(parameterName("cell-1", "quorum", "etcdCa"));
        expect(certProblems(ca, table.ca)).toEqual([]);
        for (const q of QUORUM) {
            expect(certProblems(value(parameterName("cell-1", "quorum", "etcdNodeCert", q.name)), table.nodes[q.name], ca), q.name).toEqual([]);
        }
        expect(certProblems(value(parameterName("cell-1", "quorum", "etcdClientCert")), table.client, ca)).toEqual([]);
    });

    it("each key matches its certificate", () => {
        for (const q of QUORUM) {
            const cert = new X509Certificate(value(parameterName("cell-1", "quorum", "etcdNodeCert", q.name)));
            expect(cert.checkPrivateKey(createPrivateKey(value(parameterName("cell-1", "quorum", "etcdNodeKey", q.name)))), q.name).toBe(true);
        }
        const client = new X509Certificate(value(parameterName("cell-1", "quorum", "etcdClientCert")));
        expect(client.checkPrivateKey(createPrivateKey(value(parameterName("cell-1", "quorum", "etcdClientKey"))))).toBe(true);
    });
});
