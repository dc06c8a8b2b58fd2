import * as path from "path";
import { describe, expect, it } from "vitest";
import { checkConfig, rawFromStackConfig } from "../components/config/load";
import { ConfigError, OPERATOR_PASSWORD_MAX, OPERATOR_PASSWORD_MIN, validateConfig } from "../components/config/validate";
import { parameterArn, roleStatements, secretStatements } from "../components/iam/policies";
import { mesosAgentCredentialFile, roleFileContents, zkDigestUrl } from "../components/secrets/contents";
import { parameterName, secretsPath } from "../components/catalog/secrets";
import { readStackConfig } from "../scripts/offline/stackConfig";

/**
 * Issue 12, the bad-input rules: the one credential an operator may supply (the HTTP operator's
 * password) is refused by name when weak or malformed, never echoed; any credential set in clear
 * text is refused with the command that sets it as a secret. And the pure parts of delivery:
 * the per-role IAM statements and the secret files' contents.
 */

const ROOT = path.resolve(__dirname, "..");
const stack = readStackConfig(path.join(ROOT, "Pulumi.dev.yaml"));
const KEY = "mesos-cluster:httpOperatorPassword";
const GOOD = "Tq7-vX2k!pR9zW4m";

function lines(extra: Record<string, string>, secretKeys: readonly string[] = [...stack.secretKeys, KEY]): string[] {
    try {
        checkConfig({ ...stack.config, ...extra }, (key) => secretKeys.includes(key));
        return [];
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return [...err.lines];
    }
}

describe("mesos-cluster:httpOperatorPassword", () => {
    it("is optional, and a strong one set as a secret passes", () => {
        expect(lines({})).toEqual([]);
        expect(lines({ [KEY]: GOOD })).toEqual([]);
        expect(lines({ [KEY]: "correct-horse-battery-staple-42" })).toEqual([]); // 24+ characters, two classes
    });

    it("set in clear text is refused with the command that sets it as a secret, value hidden", () => {
        const errors = lines({ [KEY]: GOOD }, stack.secretKeys);
        expect(errors).toEqual([
            `${KEY}: is set in clear text in the stack file (value hidden); remove it and set it as a secret: pulumi config set --secret ${KEY} (it prompts for the value)`,
        ]);
        expect(errors.join("\n")).not.toContain(GOOD);
    });

    const fix = `; choose another, or unset it and let the program generate one: pulumi config rm ${KEY}`;
    const cases: [string, string, string][] = [
        ["too short", "Aa1!Aa1!Bb2@", `${KEY}: (value hidden) is 12 characters, shorter than ${OPERATOR_PASSWORD_MIN}${fix}`],
        ["too long", `Aa1!${"x".repeat(OPERATOR_PASSWORD_MAX)}`, `${KEY}: (value hidden) is longer than ${OPERATOR_PASSWORD_MAX} characters${fix}`],
        ["a colon", "Tq7-vX2k:pR9zW4mQ", `${KEY}: (value hidden) holds one of : , " ' \\ which its readers split on or quote with (operator:<password>, Marathon's user:password list, curl config)${fix}`],
        ["a comma", "Tq7-vX2k,pR9zW4mQ", `${KEY}: (value hidden) holds one of : , " ' \\ which its readers split on or quote with (operator:<password>, Marathon's user:password list, curl config)${fix}`],
        ["a space", "Tq7-vX2k pR9zW4mQ", `${KEY}: (value hidden) holds characters other than printable ASCII (spaces, tabs, newlines or non-ASCII)${fix}`],
        ["a newline", "Tq7-vX2k\npR9zW4mQ", `${KEY}: (value hidden) holds characters other than printable ASCII (spaces, tabs, newlines or non-ASCII)${fix}`],
        ["non-ASCII", "Tq7-vX2képR9zW4mQ", `${KEY}: (value hidden) holds characters other than printable ASCII (spaces, tabs, newlines or non-ASCII)${fix}`],
        ["lower case only, short", "abcdefghijklmnopq", `${KEY}: (value hidden) is too weak: use at least 3 of lower case, upper case, digits and symbols (or 24 characters or more), with at least 8 different characters${fix}`],
        ["few distinct characters", "Aa1!Aa1!Aa1!Aa1!Aa1!", `${KEY}: (value hidden) is too weak: use at least 3 of lower case, upper case, digits and symbols (or 24 characters or more), with at least 8 different characters${fix}`],
        ["the user's name in it", "Operator-2026-Xy9!", `${KEY}: (value hidden) contains "operator", a name anyone would try first${fix}`],
        ["the cluster's id in it", "Cell-1-Secret-9x!Q", `${KEY}: (value hidden) contains "cell-1", a name anyone would try first${fix}`],
        ["not a string", "12345678901234567890", `${KEY}: is not a string (value hidden)`],
    ];
    for (const [what, password, expected] of cases) {
        it(`refuses ${what}, by name, value hidden`, () => {
            const errors = lines({ [KEY]: password });
            expect(errors).toEqual([expected]);
            expect(errors.join("\n")).not.toContain(password);
        });
    }

    it("is reported with every other problem in one run", () => {
        const errors = lines({ [KEY]: "short", "mesos-cluster:preferredLeader": "master-9" });
        expect(errors).toHaveLength(2);
    });

    it("validateConfig alone (the lab, the plan CLI) applies the same rule", () => {
        const { sshPrivateKey: _key, ...raw } = rawFromStackConfig(stack.config);
        const r = validateConfig({ ...raw, httpOperatorPassword: "short" });
        expect(r.ok).toBe(false);
    });
});

describe("the private key in clear text (the existing rule, unchanged)", () => {
    it("is refused with the command that fixes it", () => {
        const errors = lines({}, stack.secretKeys.filter((k) => k !== "mesos-cluster:sshPrivateKey"));
        expect(errors.join("\n")).toContain("pulumi config set --secret mesos-cluster:sshPrivateKey < ~/.ssh/id_ed25519");
    });
});

describe("IAM: each role reads its own secrets and nothing else", () => {
    const scope = { region: "eu-west-1", account: "123456789012", clusterId: "cell-1" };

    it("GetParameter(s) and GetParametersByPath on its path and below; kms:Decrypt only through SSM for that path", () => {
        expect(secretStatements("worker", scope)).toEqual([
            {
                Sid: "ReadOwnRoleSecrets",
                Effect: "Allow",
                Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                Resource: ["arn:aws:ssm:eu-west-1:123456789012:parameter/cell-1/worker", "arn:aws:ssm:eu-west-1:123456789012:parameter/cell-1/worker/*"],
            },
            {
                Sid: "DecryptOwnRoleSecretsThroughSsm",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: "arn:aws:kms:eu-west-1:123456789012:key/*",
                Condition: {
                    StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" },
                    StringLike: { "kms:EncryptionContext:PARAMETER_ARN": "arn:aws:ssm:eu-west-1:123456789012:parameter/cell-1/worker/*" },
                },
            },
        ]);
    });

    it("no role's statements reach another role's path, and no write or describe action exists", () => {
        for (const role of ["border", "quorum", "master", "worker"] as const) {
            const statements = roleStatements(role, undefined, scope);
            const resources = statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
            for (const other of ["border", "quorum", "master", "worker"].filter((r) => r !== role)) {
                expect(resources.some((r) => r.includes(`/cell-1/${other}`)), `${role} reaches ${other}`).toBe(false);
            }
            const actions = statements.flatMap((s) => s.Action);
            expect(actions.filter((a) => /^ssm:(Put|Delete|Describe|Label|AddTags)|^kms:(Encrypt|GenerateDataKey|CreateGrant)/.test(a))).toEqual([]);
        }
    });

    it("parameter ARNs of hierarchical names have one slash after parameter; the China and GovCloud partitions", () => {
        expect(parameterArn(scope, "/cell-1/master/x")).toBe("arn:aws:ssm:eu-west-1:123456789012:parameter/cell-1/master/x");
        expect(parameterArn({ ...scope, region: "cn-north-1" }, "/a")).toMatch(/^arn:aws-cn:ssm:cn-north-1:/);
        expect(() => parameterArn(scope, "relative")).toThrow(/hierarchical/);
        expect(parameterName("cell-1", "quorum", "etcdNodeKey", "quorum-2")).toBe("/cell-1/quorum/quorum-2/etcd-node.key");
        expect(parameterName("cell-1", "quorum", "etcdCa", "quorum-2")).toBe("/cell-1/quorum/etcd-ca.crt");
        expect(secretsPath("cell-1", "worker", "worker-3")).toBe("/cell-1/worker/worker-3");
    });
});

describe("the secret files' contents", () => {
    const v = { agentSecret: "A".repeat(32), marathonSecret: "M".repeat(32), operatorPassword: "O".repeat(32), mesosZkPassword: "Z".repeat(32), marathonZkPassword: "Y".repeat(32) };
    const plan = { mesosZk: "zk://10.0.0.1:2181,10.0.0.2:2181/mesos", marathonZk: "zk://10.0.0.1:2181,10.0.0.2:2181/marathon" };

    it("zk URLs carry the digest credentials before the hosts", () => {
        expect(zkDigestUrl("mesos", "pw", ["10.0.0.1:2181", "10.0.0.2:2181"], "/mesos")).toBe("zk://mesos:pw@10.0.0.1:2181,10.0.0.2:2181/mesos");
        expect(() => roleFileContents("master", { ...plan, mesosZk: "zk://u:p@h:1/x" }, v, { caCert: "", clientCert: "", clientKey: "" })).toThrow(/without credentials/);
    });

    it("Mesos credentials JSON, the agent's credential, Marathon's env file", () => {
        const files = roleFileContents("master", plan, v, { caCert: "", clientCert: "", clientKey: "" });
        expect(JSON.parse(files.mesosCredentials!)).toEqual({ credentials: [{ principal: "mesos-agent", secret: v.agentSecret }, { principal: "marathon", secret: v.marathonSecret }, { principal: "operator", secret: v.operatorPassword }] });
        expect(JSON.parse(mesosAgentCredentialFile(v.agentSecret))).toEqual({ principal: "mesos-agent", secret: v.agentSecret });
        expect(files.marathonEnv).toBe(`MARATHON_MASTER=zk://mesos:${v.mesosZkPassword}@10.0.0.1:2181,10.0.0.2:2181/mesos\nMARATHON_ZK=zk://marathon:${v.marathonZkPassword}@10.0.0.1:2181,10.0.0.2:2181/marathon\nMARATHON_HTTP_CREDENTIALS=operator:${v.operatorPassword}\n`);
    });

    it("each role gets its own files only", () => {
        const etcd = { caCert: "CA", clientCert: "CC", clientKey: "CK" };
        expect(Object.keys(roleFileContents("worker", plan, v, etcd)).sort()).toEqual(["httpOperator", "mesosAgentCredential", "zkMesosUrl"]);
        expect(Object.keys(roleFileContents("master", plan, v, etcd)).sort()).toEqual(["httpOperator", "marathonEnv", "marathonFrameworkSecret", "mesosCredentials", "zkMesosUrl"]);
        expect(Object.keys(roleFileContents("quorum", plan, v, etcd)).sort()).toEqual(["etcdCa", "etcdClientCert", "etcdClientKey"]);
        expect(roleFileContents("border", plan, v, etcd)).toEqual({});
        expect(roleFileContents("master", plan, v, etcd).marathonFrameworkSecret).toBe(v.marathonSecret); // no newline
    });
});
