import { describe, expect, it } from "vitest";
import { SECRET_FILES } from "../components/catalog/secrets";
import {
    httpOperatorFile,
    marathonEnvFile,
    marathonFrameworkSecretFile,
    mesosAgentCredentialFile,
    mesosCredentialsFile,
    roleFileContents,
    serviceSecretFiles,
    zkDigestUrl,
    zkMesosUrlFile,
} from "../components/secrets/contents";

// The service secret files' text (issue 12), literal: what Mesos 1.7, Marathon 1.11 and
// marathon-lb 1.14 read (see components/secrets/contents.ts for the source lines).

const INPUTS = {
    agentSecret: "agent-secret-0123456789",
    marathonSecret: "marathon-secret-0123456789",
    operatorPassword: "operator.pw_0123456789~",
    mesosZkPassword: "mesos-zk-pw-0123456789",
    marathonZkPassword: "marathon-zk-pw-0123456789",
    zkHosts: ["10.136.64.11:2181", "10.136.128.11:2181", "10.136.192.11:2181"],
};
const HOSTS = "10.136.64.11:2181,10.136.128.11:2181,10.136.192.11:2181";

describe("service secret files, literal", () => {
    it("mesos-credentials.json: the agent, Marathon and the HTTP operator, as Mesos' --credentials JSON", () => {
        expect(mesosCredentialsFile(INPUTS)).toBe(
            `{
  "credentials": [
    {
      "principal": "mesos-agent",
      "secret": "agent-secret-0123456789"
    },
    {
      "principal": "marathon",
      "secret": "marathon-secret-0123456789"
    },
    {
      "principal": "operator",
      "secret": "operator.pw_0123456789~"
    }
  ]
}
`,
        );
    });

    it("mesos-agent-credential.json: one credential, as --credential reads it", () => {
        expect(mesosAgentCredentialFile(INPUTS.agentSecret)).toBe('{"principal":"mesos-agent","secret":"agent-secret-0123456789"}\n');
    });

    it("marathon-framework-secret: the secret alone, no newline (Marathon reads the whole file)", () => {
        expect(marathonFrameworkSecretFile(INPUTS.marathonSecret)).toBe("marathon-secret-0123456789");
    });

    it("http-operator: operator:<password>, no newline", () => {
        expect(httpOperatorFile(INPUTS.operatorPassword)).toBe("operator:operator.pw_0123456789~");
    });

    it("zk-mesos-url: the mesos digest user in a zk:// URL over every master, no newline", () => {
        expect(zkMesosUrlFile(INPUTS)).toBe(`zk://mesos:mesos-zk-pw-0123456789@${HOSTS}/mesos`);
    });

    it("marathon.env: MARATHON_MASTER, MARATHON_ZK (each its own digest user) and MARATHON_HTTP_CREDENTIALS", () => {
        expect(marathonEnvFile(INPUTS)).toBe(
            [
                `MARATHON_MASTER=zk://mesos:mesos-zk-pw-0123456789@${HOSTS}/mesos`,
                `MARATHON_ZK=zk://marathon:marathon-zk-pw-0123456789@${HOSTS}/marathon`,
                "MARATHON_HTTP_CREDENTIALS=operator:operator.pw_0123456789~",
                "",
            ].join("\n"),
        );
    });

    it("serviceSecretFiles: one text per contract key, each the builder's", () => {
        const files = serviceSecretFiles(INPUTS);
        expect(Object.keys(files).sort()).toEqual(["httpOperator", "marathonEnv", "marathonFrameworkSecret", "mesosAgentCredential", "mesosCredentials", "zkMesosUrl"]);
        for (const key of Object.keys(files)) expect(SECRET_FILES).toHaveProperty(key);
        expect(files.marathonEnv).toBe(marathonEnvFile(INPUTS));
        expect(files.zkMesosUrl).toBe(zkMesosUrlFile(INPUTS));
    });
});

describe("what the readers' parsers make of them", () => {
    it("Marathon's ZkUrlPattern (releases/1.11 ZookeeperConf.scala) finds user, password, hosts and path", () => {
        // The pattern as Marathon writes it, in JavaScript.
        const user = "[^/:]+", pass = "[^@]+", hostAndPort = "[A-z0-9-.]+(?::\\d+)?", zkNode = "[^/]+";
        const pattern = new RegExp(`^zk://(?:(${user}):(${pass})@)?(${hostAndPort}(?:,${hostAndPort})*)(/${zkNode}(?:/${zkNode})*)$`);
        const m = pattern.exec(zkDigestUrl("marathon", INPUTS.marathonZkPassword, INPUTS.zkHosts, "/marathon"));
        expect(m?.slice(1)).toEqual(["marathon", INPUTS.marathonZkPassword, HOSTS, "/marathon"]);
    });

    it("Mesos' zookeeper::URL::parse (1.7.0 include/mesos/zookeeper/url.hpp): trim, path from the first '/', credentials before the last '@'", () => {
        const parse = (url: string) => {
            let s = url.trim().slice("zk://".length);
            const slash = s.indexOf("/");
            const path = s.slice(slash);
            s = s.slice(0, slash);
            const at = s.lastIndexOf("@");
            return { credentials: s.slice(0, at), servers: s.slice(at + 1), path };
        };
        expect(parse(zkMesosUrlFile(INPUTS))).toEqual({ credentials: `mesos:${INPUTS.mesosZkPassword}`, servers: HOSTS, path: "/mesos" });
    });

    it("Marathon's --http_credentials pattern (.+):(.+) and marathon-lb's split(':') both give operator and the password", () => {
        const text = httpOperatorFile(INPUTS.operatorPassword);
        expect(/^(.+):(.+)$/.exec(text)?.slice(1)).toEqual(["operator", INPUTS.operatorPassword]);
        expect(text.split(":")).toEqual(["operator", INPUTS.operatorPassword]);
    });

    it("the env file is KEY=value lines only, as docker run --env-file reads them", () => {
        for (const line of marathonEnvFile(INPUTS).trimEnd().split("\n")) expect(line).toMatch(/^MARATHON_[A-Z_]+=[^\s"'#]+$/);
    });
});

describe("refused inputs: a value the readers would misread never reaches a file", () => {
    // In a zk:// URL: URL-unreserved characters only.
    it.each([
        ["a ':' (Marathon's zk URL pattern: the user is [^/:]+, Mesos' digest splits at the first ':')", "pass:word"],
        ["an '@' (Marathon's zk URL pattern stops the password there)", "pass@word"],
        ["a '/' (Mesos takes the ZooKeeper path from the first '/')", "pass/word"],
        ["a newline (an env file line ends there)", "password\nX=1"],
        ["a '%' (an escape in a URL's userinfo)", "pass%40word"],
        ["nothing", ""],
    ])("a ZooKeeper password with %s", (_, value) => {
        expect(() => zkMesosUrlFile({ ...INPUTS, mesosZkPassword: value })).toThrow(/the ZooKeeper password of mesos must be characters of A-Z a-z 0-9 \. _ ~ - only/);
        expect(() => marathonEnvFile({ ...INPUTS, marathonZkPassword: value })).toThrow(/the ZooKeeper password of marathon must be/);
    });

    // Elsewhere: printable ASCII without spaces or the separators and quotes of the readers.
    it.each([
        ["a ':' (Marathon takes the user up to the last ':'; marathon-lb finds three parts)", "pass:word-0123456789"],
        ["a ',' (a list separator)", "pass,word-0123456789"],
        ["a double quote (curl's config quoting, JSON)", 'password"0123456789'],
        ["a single quote", "password'0123456789"],
        ["a backslash (curl's config escapes)", "password\\0123456789"],
        ["a space", "pass word"],
        ["a newline (an env file line ends there)", "password-0123456789\nX=1"],
        ["a non-ASCII character", "passwörd-0123456789"],
        ["nothing", ""],
    ])("a secret with %s", (_, value) => {
        expect(() => httpOperatorFile(value)).toThrow(/operatorPassword must be printable ASCII without spaces or any of : , " ' \\/);
        expect(() => serviceSecretFiles({ ...INPUTS, agentSecret: value })).toThrow(/agentSecret must be printable ASCII/);
        expect(() => marathonFrameworkSecretFile(value)).toThrow(/marathonSecret must be/);
    });

    it("an operator password may hold the symbols a config check asks for ('@', '/', '#', '$', '!')", () => {
        expect(httpOperatorFile("Pa@s/s#w$rd!2024")).toBe("operator:Pa@s/s#w$rd!2024");
        expect(marathonEnvFile({ ...INPUTS, operatorPassword: "Pa@s/s#w$rd!2024" })).toContain("\nMARATHON_HTTP_CREDENTIALS=operator:Pa@s/s#w$rd!2024\n");
    });

    it("the error never repeats the value", () => {
        expect(() => httpOperatorFile("secret:value-0123456789")).toThrow(/got 23 characters, some of them refused/);
        try {
            httpOperatorFile("secret:value-0123456789");
        } catch (err) {
            expect(String(err)).not.toContain("secret:value");
        }
    });

    it("no ZooKeeper host, or one that is not host:port", () => {
        expect(() => zkMesosUrlFile({ ...INPUTS, zkHosts: [] })).toThrow("zkHosts: no ZooKeeper host given");
        expect(() => zkMesosUrlFile({ ...INPUTS, zkHosts: ["10.136.64.11"] })).toThrow('zkHosts: "10.136.64.11" is not host:port');
        expect(() => zkMesosUrlFile({ ...INPUTS, zkHosts: ["a@b:2181"] })).toThrow("is not host:port");
    });
});

describe("the resource layer's API (components/secrets/clusterSecrets.ts on wip-secrets): the same files from the plan's zk URLs", () => {
    const { zkHosts: _hosts, ...v } = INPUTS;
    const plan = { mesosZk: `zk://${HOSTS}/mesos`, marathonZk: `zk://${HOSTS}/marathon` };
    const etcd = { caCert: "CA", clientCert: "CC", clientKey: "CK" };

    it("refuses a plan zk URL that carries credentials", () => {
        expect(() => roleFileContents("master", { ...plan, mesosZk: "zk://u:p@h:1/x" }, v, etcd)).toThrow(/without credentials/);
    });

    it("roleFileContents: each role's role-wide files, the service ones from serviceSecretFiles", () => {
        const files = serviceSecretFiles(INPUTS);
        expect(roleFileContents("master", plan, v, etcd)).toEqual({ mesosCredentials: files.mesosCredentials, marathonFrameworkSecret: files.marathonFrameworkSecret, httpOperator: files.httpOperator, zkMesosUrl: files.zkMesosUrl, marathonEnv: files.marathonEnv });
        expect(roleFileContents("worker", plan, v, etcd)).toEqual({ mesosAgentCredential: files.mesosAgentCredential, httpOperator: files.httpOperator, zkMesosUrl: files.zkMesosUrl });
        expect(roleFileContents("quorum", plan, v, etcd)).toEqual({ etcdCa: "CA", etcdClientCert: "CC", etcdClientKey: "CK" });
        expect(roleFileContents("border", plan, v, etcd)).toEqual({});
    });

    it("refuses a plan whose two zk URLs name different hosts", () => {
        expect(() => roleFileContents("master", { ...plan, marathonZk: "zk://10.0.0.9:2181/marathon" }, v, etcd)).toThrow("mesosZk and marathonZk name different ZooKeeper hosts");
    });
});
