import type { Role } from "./roles";

/**
 * The cluster's secrets as the nodes see them (issue 12): one file each under SECRETS_DIR,
 * written at boot from SSM Parameter Store (SecureString) by the node's own instance profile,
 * which may read only its role's parameters. The program generates every value
 * (components/secrets/); units and scripts read the files, never a command line or user data.
 *
 * A parameter's name is `/<clusterId>/<role>/<file>` for a role-wide secret and
 * `/<clusterId>/<role>/<node>/<file>` for a node's own (scope "node"); a node's boot fetch
 * writes both levels of its role, and only those, to SECRETS_DIR/<file>: 0400 root, the
 * directory 0700 root, each file written through a temporary file and a rename, before sshd
 * and before the role bundle starts any unit. A reader that is not root (a container's own
 * user) cannot open them: run it as root or copy what it needs at start.
 */
export const SECRETS_DIR = "/etc/mesos-cluster/secrets";

/** Principals and user names: not secret, fixed, so every side agrees on them. */
export const PRINCIPALS = {
    /** Mesos agents authenticate to masters as this principal (--credential). */
    mesosAgent: "mesos-agent",
    /** Marathon registers with Mesos as this framework principal (--mesos_authentication_principal). */
    marathonFramework: "marathon",
    /** The HTTP user of Marathon's API and Mesos's read-write endpoints: post-steps, marathon-lb, operators. */
    httpOperator: "operator",
    /** ZooKeeper digest users: each service owns its znodes. */
    zkMesos: "mesos",
    zkMarathon: "marathon",
} as const;

/**
 * What a secret other than a ZooKeeper password may hold (a chosen `httpOperatorPassword`, and
 * every value the secret files are built from): printable ASCII, none of the characters its
 * readers split on or quote with (`operator:<password>`, Marathon's `user:pw,user:pw`, curl's
 * `user = "..."`, JSON).
 */
export const SECRET_CHARACTERS = /^[\x21-\x7e]*$/;
export const SECRET_FORBIDDEN = /[:,"'\\]/;

export interface SecretFile {
    /** File name under SECRETS_DIR, and the last part of its SSM parameter name. */
    readonly file: string;
    /** The roles whose nodes receive it. */
    readonly roles: readonly Role[];
    /** "role": one value for the role; "node": one value per node of the role. */
    readonly scope: "role" | "node";
    /** What it holds, in the format the reader expects. */
    readonly what: string;
}

/** Every secret file, by key. Content builders live in components/secrets/. */
export const SECRET_FILES = {
    /** Masters' --credentials: {"credentials":[{principal,secret}...]} for the agent, Marathon and the HTTP operator. */
    mesosCredentials: { file: "mesos-credentials.json", roles: ["master"], scope: "role", what: "Mesos credentials JSON" },
    /** Agents' --credential: {"principal":...,"secret":...}. */
    mesosAgentCredential: { file: "mesos-agent-credential.json", roles: ["worker"], scope: "role", what: "Mesos credential JSON" },
    /** Marathon's --mesos_authentication_secret_file: the framework secret alone, no newline. */
    marathonFrameworkSecret: { file: "marathon-framework-secret", roles: ["master"], scope: "role", what: "secret, no newline" },
    /** `operator:<password>`: Marathon's HTTP credentials; curl reads it through a config file, never argv. */
    httpOperator: { file: "http-operator", roles: ["master", "worker"], scope: "role", what: "user:password, no newline" },
    /** zk://mesos:<pw>@<masters>:2181/mesos for --zk=file://... (masters and agents). */
    zkMesosUrl: { file: "zk-mesos-url", roles: ["master", "worker"], scope: "role", what: "zk:// URL with digest credentials" },
    /** zk://marathon:<pw>@<masters>:2181/marathon, and the mesos one, for Marathon's env file. */
    marathonEnv: { file: "marathon.env", roles: ["master"], scope: "role", what: "MARATHON_* env file (ZK URLs, HTTP credentials)" },
    /** etcd's cluster CA certificate (PEM). */
    etcdCa: { file: "etcd-ca.crt", roles: ["quorum"], scope: "role", what: "PEM certificate" },
    /** A quorum node's server+peer certificate and key (PEM), SANs: its IP and name. */
    etcdNodeCert: { file: "etcd-node.crt", roles: ["quorum"], scope: "node", what: "PEM certificate" },
    etcdNodeKey: { file: "etcd-node.key", roles: ["quorum"], scope: "node", what: "PEM private key" },
    /** etcdctl's client certificate and key (PEM): the post-steps' etcd-member-swap. */
    etcdClientCert: { file: "etcd-client.crt", roles: ["quorum"], scope: "role", what: "PEM certificate" },
    etcdClientKey: { file: "etcd-client.key", roles: ["quorum"], scope: "role", what: "PEM private key" },
    /**
     * The node's own SSH host key (OpenSSH ed25519 private key); its public half pins every
     * post-step connection. The boot fetch installs it as /etc/ssh/ssh_host_ed25519_key (0600),
     * not under SECRETS_DIR; its parameter is replaced with the instance (replacementTrigger).
     */
    sshHostKey: { file: "ssh_host_ed25519_key", roles: ["border", "quorum", "master", "worker"], scope: "node", what: "OpenSSH private key" },
} as const satisfies Record<string, SecretFile>;

export type SecretKey = keyof typeof SECRET_FILES;

/** The secret files a role's nodes receive. */
export function roleSecretFiles(role: Role): SecretKey[] {
    return (Object.keys(SECRET_FILES) as SecretKey[]).filter((key) => (SECRET_FILES[key].roles as readonly Role[]).includes(role));
}

/** Path on the node. */
export function secretPath(key: SecretKey): string {
    return `${SECRETS_DIR}/${SECRET_FILES[key].file}`;
}

/**
 * The SSM parameter path of a role's secrets (`/<clusterId>/<role>`), or of one node's own
 * (`/<clusterId>/<role>/<node>`). A node's instance profile may read these two and nothing else.
 */
export function secretsPath(clusterId: string, role: Role, node?: string): string {
    return node === undefined ? `/${clusterId}/${role}` : `/${clusterId}/${role}/${node}`;
}

/** The SSM parameter holding one secret file for a role, or for a node (scope "node"). */
export function parameterName(clusterId: string, role: Role, key: SecretKey, node?: string): string {
    return `${secretsPath(clusterId, role, SECRET_FILES[key].scope === "node" ? node : undefined)}/${SECRET_FILES[key].file}`;
}

/**
 * Not a secret and not a file: `<instance id> <host public key>` under the node's own path,
 * written by the program after the instance exists and after its host key (whose lifecycle is
 * the instance's: a replaced instance gets a new key). The boot fetch waits until it names the
 * node's own instance and the fetched private key's public half, so a new instance never
 * installs the key of the one it replaced.
 */
export const HOST_KEY_BINDING = "host-key-binding";

/** The boot fetch (templates/files/mesos-cluster-secrets.py), installed on every node. */
export const SECRETS_FETCH = "/usr/local/sbin/mesos-cluster-secrets";

/**
 * Seconds the boot fetch waits for SSM (IAM propagation, the host key written after the
 * instance); sshd starts after it, so the post-steps dial a new node at least this long
 * (poststeps/dialWindow.ts).
 */
export const SECRETS_FETCH_TIMEOUT = 900;
