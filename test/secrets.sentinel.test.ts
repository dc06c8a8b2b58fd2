import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parameterName, roleSecretFiles, SECRET_FILES, SECRETS_DIR } from "../components/catalog/secrets";
import { ROLES } from "../components/catalog/roles";
import { decodeUserData } from "../components/userdata/encode";
import { evaluateProgram, Evaluation, isSecretValue } from "../scripts/offline/mockEngine";
import { buildReport, writeOut } from "../scripts/offline/planCli";
import { readStackConfig } from "../scripts/offline/stackConfig";
import { TYPES } from "../scripts/offline/resourceTypes";

/**
 * Issue 12, item 1: no secret leaves AWS in clear. The offline engine answers every generated
 * secret (random passwords, tls private keys, certificates) with a sentinel; the sentinel must
 * then be in the SSM parameters, as Pulumi secrets, and nowhere else: not in any node's user
 * data, any role bundle, any stack output, the plan's JSON, or any file `--out` writes.
 */

const ROOT = path.resolve(__dirname, "..");
const SENTINEL = "SENTINEL-a7f3c9e1";
const PARAMETER = "aws:ssm/parameter:Parameter";
/** An input as the program passed it (the capture keeps Pulumi's secret wrapper). */
const plain = (value: unknown): any => (isSecretValue(value) ? (value as { value: unknown }).value : value);

async function evaluate(extra: Record<string, string> = {}, secretSentinel?: string): Promise<Evaluation> {
    const stack = readStackConfig(path.join(ROOT, "Pulumi.dev.yaml"));
    vi.resetModules();
    return evaluateProgram({
        config: { ...stack.config, ...extra },
        secretKeys: [...stack.secretKeys, ...Object.keys(extra)],
        secretSentinel,
        load: () => import("../index.js") as Promise<Record<string, unknown>>,
    });
}

/** Every text the program hands to anything outside AWS's secret stores. */
function published(evaluation: Evaluation): Map<string, string> {
    const texts = new Map<string, string>();
    for (const r of evaluation.resources.filter((r) => r.type === TYPES.instance)) texts.set(`user data of ${r.inputs.tags.Name}`, decodeUserData(r.inputs));
    for (const r of evaluation.resources.filter((r) => r.type === TYPES.bundleObject)) texts.set(`bundle ${r.inputs.key}`, String(r.inputs.content));
    texts.set("stack outputs", JSON.stringify(evaluation.outputs));
    texts.set("plan --json", JSON.stringify(buildReport(evaluation)));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-out-"));
    try {
        for (const file of writeOut(dir, evaluation)) texts.set(`--out ${path.relative(dir, file)}`, fs.readFileSync(file, "utf8"));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return texts;
}

describe("the sentinel: generated secrets reach SSM and nothing else", () => {
    let evaluation: Evaluation;
    beforeAll(async () => {
        evaluation = await evaluate({}, SENTINEL);
    }, 120_000);

    it("is in SSM parameters, as Pulumi secrets, for every secret file of every role", () => {
        const parameters = evaluation.resources.filter((r) => r.type === PARAMETER && r.inputs.type === "SecureString");
        const names = new Set(parameters.map((p) => p.inputs.name as string));
        const nodes = evaluation.resources.filter((r) => r.type === TYPES.instance).map((r) => ({ name: r.inputs.tags.Name as string, role: r.inputs.tags.Role as (typeof ROLES)[number] }));
        for (const node of nodes) {
            for (const key of roleSecretFiles(node.role)) expect(names, `${node.name}: ${key}`).toContain(parameterName("cell-1", node.role, key, node.name));
        }
        const withSentinel = parameters.filter((p) => String(plain(p.inputs.value)).includes(SENTINEL));
        // Every SecureString holds generated material (the CA and node certificates too).
        expect(withSentinel.length).toBe(parameters.length);
        for (const p of parameters) expect(isSecretValue(p.wireInputs.value), `${p.inputs.name} on the wire`).toBe(true);
    });

    it("is in no user data, bundle, stack output, plan JSON or --out file", () => {
        const texts = published(evaluation);
        expect(texts.size).toBeGreaterThan(20);
        const leaks = [...texts].filter(([, text]) => text.includes(SENTINEL)).map(([where]) => where);
        expect(leaks).toEqual([]);
    });

    it("is in no input of any resource other than SSM parameters and the secret generators, unless wrapped as a secret", () => {
        const generators = new Set(["random:index/randomPassword:RandomPassword", "tls:index/privateKey:PrivateKey", "tls:index/certRequest:CertRequest", "tls:index/locallySignedCert:LocallySignedCert", "tls:index/selfSignedCert:SelfSignedCert", PARAMETER]);
        const clear = (value: unknown): boolean => {
            if (isSecretValue(value)) return false;
            if (typeof value === "string") return value.includes(SENTINEL);
            if (Array.isArray(value)) return value.some(clear);
            if (value !== null && typeof value === "object") return Object.values(value).some(clear);
            return false;
        };
        const offenders = evaluation.resources.filter((r) => !generators.has(r.type) && clear(r.wireInputs)).map((r) => `${r.type} ${r.name}`);
        expect(offenders).toEqual([]);
        // SSM parameters hold the sentinel only inside their secret value.
        for (const p of evaluation.resources.filter((r) => r.type === PARAMETER)) {
            const { value: _value, ...rest } = p.wireInputs;
            expect(clear(rest), p.name).toBe(false);
        }
    });

    it("the operator's own password is a secret too: not in any published text", async () => {
        const password = `${SENTINEL}-Op3rat0r!x`;
        const withPassword = await evaluate({ "mesos-cluster:httpOperatorPassword": password }, SENTINEL);
        const leaks = [...published(withPassword)].filter(([, text]) => text.includes(password)).map(([where]) => where);
        expect(leaks).toEqual([]);
        const operator = withPassword.resources.find((r) => r.inputs.name === parameterName("cell-1", "master", "httpOperator"));
        expect(plain(operator?.inputs.value)).toBe(`operator:${password}`);
    }, 120_000);
});

describe("real material: the offline engine's keys and certificates", () => {
    let evaluation: Evaluation;
    beforeAll(async () => {
        evaluation = await evaluate();
    }, 120_000);

    const value = (name: string) => String(plain(evaluation.resources.find((r) => r.type === PARAMETER && r.inputs.name === name)?.inputs.value) ?? "");

    it("every private key and password stays out of every published text", () => {
        const secrets = evaluation.resources
            .filter((r) => r.type === PARAMETER && r.inputs.type === "SecureString")
            .flatMap((r) => String(plain(r.inputs.value)).split(/\n|"|:|@/).filter((part) => part.length >= 24 && !/CERTIFICATE|PRIVATE KEY|credentials|principal/.test(part)));
        expect(secrets.length).toBeGreaterThan(30);
        const texts = [...published(evaluation)];
        const leaks = secrets.filter((s) => texts.some(([, text]) => text.includes(s)));
        expect(leaks).toEqual([]);
    });

    it("the secret files hold what their readers expect", () => {
        const creds = JSON.parse(value("/cell-1/master/mesos-credentials.json")) as { credentials: { principal: string; secret: string }[] };
        expect(creds.credentials.map((c) => c.principal)).toEqual(["mesos-agent", "marathon", "operator"]);
        const agent = JSON.parse(value("/cell-1/worker/mesos-agent-credential.json")) as { principal: string; secret: string };
        expect(agent.secret).toBe(creds.credentials[0].secret);
        expect(value("/cell-1/master/marathon-framework-secret")).toBe(creds.credentials[1].secret);
        expect(value("/cell-1/master/http-operator")).toBe(`operator:${creds.credentials[2].secret}`);
        expect(value("/cell-1/worker/http-operator")).toBe(value("/cell-1/master/http-operator"));
        expect(value("/cell-1/master/zk-mesos-url")).toMatch(/^zk:\/\/mesos:[A-Za-z0-9]{32}@10\.136\.64\.11:2181,10\.136\.128\.11:2181,10\.136\.192\.11:2181\/mesos$/);
        expect(value("/cell-1/worker/zk-mesos-url")).toBe(value("/cell-1/master/zk-mesos-url"));
        const env = value("/cell-1/master/marathon.env");
        expect(env).toMatch(/^MARATHON_MASTER=zk:\/\/mesos:[A-Za-z0-9]{32}@.*\/mesos\nMARATHON_ZK=zk:\/\/marathon:[A-Za-z0-9]{32}@.*\/marathon\nMARATHON_HTTP_CREDENTIALS=operator:[A-Za-z0-9]{32}\n$/);
        expect(value("/cell-1/quorum/quorum-1/ssh_host_ed25519_key")).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
        expect(value("/cell-1/quorum/quorum-1/etcd-node.key")).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
        expect(SECRETS_DIR).toBe("/etc/mesos-cluster/secrets");
        // Node files exist per node; role files once per role.
        expect(SECRET_FILES.etcdNodeCert.scope).toBe("node");
    });

    it("etcd's certificates are real X.509, signed by the cluster CA, with the node's IP and names", () => {
        const ca = value("/cell-1/quorum/etcd-ca.crt");
        const cert = value("/cell-1/quorum/quorum-2/etcd-node.crt");
        const { X509Certificate } = require("crypto") as typeof import("crypto");
        const caX = new X509Certificate(ca);
        const x = new X509Certificate(cert);
        expect(caX.ca).toBe(true);
        expect(x.checkIssued(caX)).toBe(true);
        expect(x.verify(caX.publicKey)).toBe(true);
        expect(x.subjectAltName).toContain("IP Address:10.136.128.21");
        expect(x.subjectAltName).toContain("DNS:quorum-2.cell-1.dc-1.demo.lan");
        const client = new X509Certificate(value("/cell-1/quorum/etcd-client.crt"));
        expect(client.verify(caX.publicKey)).toBe(true);
        expect(x.checkPrivateKey(require("crypto").createPrivateKey(value("/cell-1/quorum/quorum-2/etcd-node.key")))).toBe(true);
    });
});
