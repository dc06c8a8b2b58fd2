import type { Role } from "../catalog/roles";
import { PRINCIPALS, SECRET_FILES, SecretKey } from "../catalog/secrets";
import type { ClusterPlan } from "../plan/clusterPlan";

/**
 * What each secret file holds, built from the generated values (pure: plain strings in, text
 * out; the resource layer calls these inside `apply`, so the results stay Pulumi secrets).
 * The formats are the readers' (siblings' units and scripts), fixed in catalog/secrets.ts.
 */

/** The generated (or operator-supplied) values every secret file is made of. */
export interface SecretValues {
    /** The Mesos agents' secret (principal PRINCIPALS.mesosAgent). */
    readonly agentSecret: string;
    /** Marathon's framework secret (principal PRINCIPALS.marathonFramework). */
    readonly marathonSecret: string;
    /** The HTTP operator's password (user PRINCIPALS.httpOperator). */
    readonly operatorPassword: string;
    /** ZooKeeper digest passwords. */
    readonly zkMesosPassword: string;
    readonly zkMarathonPassword: string;
}

/** `zk://user:password@ip:2181,.../path` from the plan's `zk://ip:2181,.../path`. */
export function zkUrlWithCredentials(zkUrl: string, user: string, password: string): string {
    const match = /^zk:\/\/([^@/]+)(\/.*)$/.exec(zkUrl);
    if (!match) throw new Error(`not a zk:// URL without credentials: ${zkUrl}`);
    return `zk://${user}:${password}@${match[1]}${match[2]}`;
}

/** The Mesos masters' --credentials file: every principal allowed to authenticate. */
export function mesosCredentials(v: SecretValues): string {
    const credentials = [
        { principal: PRINCIPALS.mesosAgent, secret: v.agentSecret },
        { principal: PRINCIPALS.marathonFramework, secret: v.marathonSecret },
        { principal: PRINCIPALS.httpOperator, secret: v.operatorPassword },
    ];
    return `${JSON.stringify({ credentials }, null, 1)}\n`;
}

/** An agent's --credential file. */
export function agentCredential(v: SecretValues): string {
    return `${JSON.stringify({ principal: PRINCIPALS.mesosAgent, secret: v.agentSecret })}\n`;
}

/**
 * Marathon's environment file (docker run --env-file: KEY=value per line, no quoting):
 * MARATHON_MASTER and MARATHON_ZK with ZooKeeper digest credentials, MARATHON_HTTP_CREDENTIALS.
 */
export function marathonEnv(plan: Pick<ClusterPlan, "mesosZk" | "marathonZk">, v: SecretValues): string {
    return [
        `MARATHON_MASTER=${zkUrlWithCredentials(plan.mesosZk, PRINCIPALS.zkMesos, v.zkMesosPassword)}`,
        `MARATHON_ZK=${zkUrlWithCredentials(plan.marathonZk, PRINCIPALS.zkMarathon, v.zkMarathonPassword)}`,
        `MARATHON_HTTP_CREDENTIALS=${PRINCIPALS.httpOperator}:${v.operatorPassword}`,
        "",
    ].join("\n");
}

/** PEM material of etcd's TLS (the CA, each quorum node's certificate, the client's). */
export interface EtcdPem {
    readonly caCert: string;
    readonly clientCert: string;
    readonly clientKey: string;
}

/** The role-wide files a role receives, by key, from the values (node files come apart). */
export function roleFileContents(role: Role, plan: Pick<ClusterPlan, "mesosZk" | "marathonZk">, v: SecretValues, etcd: EtcdPem): Partial<Record<SecretKey, string>> {
    const all: Partial<Record<SecretKey, string>> = {
        mesosCredentials: mesosCredentials(v),
        mesosAgentCredential: agentCredential(v),
        marathonFrameworkSecret: v.marathonSecret,
        httpOperator: `${PRINCIPALS.httpOperator}:${v.operatorPassword}`,
        zkMesosUrl: zkUrlWithCredentials(plan.mesosZk, PRINCIPALS.zkMesos, v.zkMesosPassword),
        marathonEnv: marathonEnv(plan, v),
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
