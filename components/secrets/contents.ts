import type { Role } from "../catalog/roles";
import { PRINCIPALS, SECRET_CHARACTERS, SECRET_FILES, SECRET_FORBIDDEN, SecretKey } from "../catalog/secrets";
import type { ClusterPlan } from "../plan/clusterPlan";

/**
 * The text of the service secret files (issue 12), from plain strings: the generated passwords
 * and the masters' ZooKeeper host list. Pure: the program (components/secrets/clusterSecrets.ts,
 * through roleFileContents at the end) feeds it the @pulumi/random values inside an apply, so
 * the results stay Pulumi secrets; the tests and the lab feed it test values. Each
 * builder writes exactly what its reader expects (checked against the pinned versions' source;
 * see docs/roles.md, "Authentication"):
 *
 * - `mesos-credentials.json`: Mesos 1.7 `--credentials` (masters), read by
 *   `credentials::read` (src/credentials/credentials.hpp) as JSON `{"credentials": [...]}`; the
 *   same file authenticates agents and frameworks (CRAM-MD5) and HTTP requests (basic).
 * - `mesos-agent-credential.json`: `--credential` (agents), `credentials::readCredential`:
 *   `{"principal", "secret"}`.
 * - `marathon-framework-secret`: Marathon's `--mesos_authentication_secret_file`, read whole
 *   (`ByteString.readFrom(...).toStringUtf8`): no newline, or it would be part of the secret.
 * - `http-operator`: `user:password`, no newline. Marathon's `--http_credentials` value is
 *   matched by `(.+):(.+)` (greedy: the user is everything before the last `:`, and a value
 *   that does not match turns authentication off with only a log line); marathon-lb's
 *   `--marathon-auth-credential-file` splits the first line on every `:` and wants two parts.
 * - `zk-mesos-url`: `zk://mesos:<pw>@hosts/mesos`, no newline, for Mesos' `--zk=file://` /
 *   `--master=file://` (`zookeeper::URL::parse` trims the value anyway).
 * - `marathon.env`: a `docker run --env-file` file (`KEY=value` lines taken literally, no
 *   quoting): MARATHON_MASTER, MARATHON_ZK, MARATHON_HTTP_CREDENTIALS. Marathon 1.11 turns every
 *   MARATHON_* variable into a flag inside the JVM (Main.envToArgs), not on a command line.
 *
 * What a value may hold, by where it goes (a value that breaks a rule is refused, never escaped,
 * and the error never repeats it):
 * - a ZooKeeper digest password sits unescaped in a zk:// userinfo: URL-unreserved characters
 *   only (`A-Z a-z 0-9 . _ ~ -`): Marathon's ZkUrlPattern takes `[^@]+` as the password and
 *   `[^/:]+` as the user, Mesos splits the URL at the first `/` and the last `@`;
 * - every other secret (the operator's password, the agents' and Marathon's secrets): printable
 *   ASCII without spaces and without `: , " ' \`, the characters their readers split on or quote
 *   with (`user:password` for Marathon and marathon-lb, the curl config's `user = "..."`), the
 *   same rule as the config check of a chosen `httpOperatorPassword`.
 * Generated values (@pulumi/random, `special: false`) always pass.
 */

const ZK_PASSWORD = /^[A-Za-z0-9._~-]+$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:[1-9][0-9]{0,4}$/;

/** The inputs of every service secret file: passwords, and `host:port` of each master's ZooKeeper. */
export interface ServiceSecretInputs {
    /** The Mesos agents' secret (principal `mesos-agent`). */
    readonly agentSecret: string;
    /** Marathon's framework secret (principal `marathon`). */
    readonly marathonSecret: string;
    /** The HTTP operator's password (user `operator`): Marathon's API, Mesos' read-write endpoints. */
    readonly operatorPassword: string;
    /** ZooKeeper digest password of user `mesos`. */
    readonly mesosZkPassword: string;
    /** ZooKeeper digest password of user `marathon`. */
    readonly marathonZkPassword: string;
    /** The masters' ZooKeeper client addresses, `ip:2181`, in the plan's master order. */
    readonly zkHosts: readonly string[];
}

/** A value that goes into a zk:// URL. */
function zkPassword(what: string, value: string): string {
    if (!ZK_PASSWORD.test(value)) throw new Error(`${what} must be characters of A-Z a-z 0-9 . _ ~ - only (got ${value.length} characters${value.length > 0 ? ", some outside that set" : ""})`);
    return value;
}

/** Any other secret value. */
function password(what: string, value: string): string {
    if (value === "" || !SECRET_CHARACTERS.test(value) || SECRET_FORBIDDEN.test(value)) {
        throw new Error(`${what} must be printable ASCII without spaces or any of : , " ' \\ (got ${value.length} characters${value.length > 0 ? ", some of them refused" : ""})`);
    }
    return value;
}

function hosts(zkHosts: readonly string[]): string {
    if (zkHosts.length === 0) throw new Error("zkHosts: no ZooKeeper host given");
    for (const h of zkHosts) if (!HOST_PORT.test(h)) throw new Error(`zkHosts: ${JSON.stringify(h)} is not host:port`);
    return zkHosts.join(",");
}

/** `zk://user:password@h1:2181,h2:2181/path` (digest credentials in the userinfo). */
export function zkDigestUrl(user: string, pw: string, zkHosts: readonly string[], path: string): string {
    if (!/^[a-z][a-z0-9-]*$/.test(user)) throw new Error(`ZooKeeper user ${JSON.stringify(user)} is not a plain name`);
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) throw new Error(`ZooKeeper path ${JSON.stringify(path)} is not /a/b`);
    return `zk://${user}:${zkPassword(`the ZooKeeper password of ${user}`, pw)}@${hosts(zkHosts)}${path}`;
}

/** Masters' `--credentials`: the agents', Marathon's and the HTTP operator's. */
export function mesosCredentialsFile(i: Pick<ServiceSecretInputs, "agentSecret" | "marathonSecret" | "operatorPassword">): string {
    const credentials = [
        { principal: PRINCIPALS.mesosAgent, secret: password("agentSecret", i.agentSecret) },
        { principal: PRINCIPALS.marathonFramework, secret: password("marathonSecret", i.marathonSecret) },
        { principal: PRINCIPALS.httpOperator, secret: password("operatorPassword", i.operatorPassword) },
    ];
    return `${JSON.stringify({ credentials }, null, 2)}\n`;
}

/** Agents' `--credential`. */
export function mesosAgentCredentialFile(agentSecret: string): string {
    return `${JSON.stringify({ principal: PRINCIPALS.mesosAgent, secret: password("agentSecret", agentSecret) })}\n`;
}

/** Marathon's `--mesos_authentication_secret_file`: the secret alone, no newline. */
export function marathonFrameworkSecretFile(marathonSecret: string): string {
    return password("marathonSecret", marathonSecret);
}

/** `operator:<password>`, no newline: Marathon's HTTP credentials as marathon-lb and curl read them. */
export function httpOperatorFile(operatorPassword: string): string {
    return `${PRINCIPALS.httpOperator}:${password("operatorPassword", operatorPassword)}`;
}

/** Mesos' ZooKeeper URL with the `mesos` digest user, for `--zk=file://` and `--master=file://`. */
export function zkMesosUrlFile(i: Pick<ServiceSecretInputs, "mesosZkPassword" | "zkHosts">): string {
    return zkDigestUrl(PRINCIPALS.zkMesos, i.mesosZkPassword, i.zkHosts, "/mesos");
}

/** Marathon's env file (`docker run --env-file`): its Mesos and ZooKeeper URLs and HTTP credentials. */
export function marathonEnvFile(i: Pick<ServiceSecretInputs, "mesosZkPassword" | "marathonZkPassword" | "operatorPassword" | "zkHosts">): string {
    return [
        `MARATHON_MASTER=${zkDigestUrl(PRINCIPALS.zkMesos, i.mesosZkPassword, i.zkHosts, "/mesos")}`,
        `MARATHON_ZK=${zkDigestUrl(PRINCIPALS.zkMarathon, i.marathonZkPassword, i.zkHosts, "/marathon")}`,
        `MARATHON_HTTP_CREDENTIALS=${httpOperatorFile(i.operatorPassword)}`,
        "",
    ].join("\n");
}

/** The service secret files this module builds, by contract key (components/catalog/secrets.ts). */
export type ServiceSecretKey = Extract<SecretKey, "mesosCredentials" | "mesosAgentCredential" | "marathonFrameworkSecret" | "httpOperator" | "zkMesosUrl" | "marathonEnv">;

/** Every service secret file's text, by contract key: what the boot fetch writes to secretPath(key). */
export function serviceSecretFiles(i: ServiceSecretInputs): Record<ServiceSecretKey, string> {
    return {
        mesosCredentials: mesosCredentialsFile(i),
        mesosAgentCredential: mesosAgentCredentialFile(i.agentSecret),
        marathonFrameworkSecret: marathonFrameworkSecretFile(i.marathonSecret),
        httpOperator: httpOperatorFile(i.operatorPassword),
        zkMesosUrl: zkMesosUrlFile(i),
        marathonEnv: marathonEnvFile(i),
    };
}

// -- What the resource layer (clusterSecrets.ts) calls, from the generated values and the plan --

/** The generated (or operator-supplied) values every service secret file is made of. */
export type SecretValues = Omit<ServiceSecretInputs, "zkHosts">;

/** PEM material of etcd's TLS (the CA, each quorum node's certificate, the client's). */
export interface EtcdPem {
    readonly caCert: string;
    readonly clientCert: string;
    readonly clientKey: string;
}

/** The hosts of a plan's credential-free `zk://ip:2181,.../path`. */
function zkHostsOfUrl(zkUrl: string): string[] {
    const match = /^zk:\/\/([^@/]+)\/.*$/.exec(zkUrl);
    if (!match) throw new Error(`not a zk:// URL without credentials: ${zkUrl}`);
    return match[1].split(",");
}

/** The role-wide files a role receives, by key, from the values (node files come apart). */
export function roleFileContents(role: Role, plan: Pick<ClusterPlan, "mesosZk" | "marathonZk">, v: SecretValues, etcd: EtcdPem): Partial<Record<SecretKey, string>> {
    const zkHosts = zkHostsOfUrl(plan.mesosZk);
    if (zkHostsOfUrl(plan.marathonZk).join(",") !== zkHosts.join(",")) throw new Error("mesosZk and marathonZk name different ZooKeeper hosts");
    const all: Partial<Record<SecretKey, string>> = {
        ...serviceSecretFiles({ ...v, zkHosts }),
        etcdCa: etcd.caCert,
        etcdClientCert: etcd.clientCert,
        etcdClientKey: etcd.clientKey,
    };
    return Object.fromEntries(
        (Object.keys(all) as SecretKey[])
            .filter((key) => SECRET_FILES[key].scope === "role" && (SECRET_FILES[key].roles as readonly Role[]).includes(role))
            .map((key) => [key, all[key]]),
    );
}
