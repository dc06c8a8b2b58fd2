import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { ROLES } from "../catalog/roles";
import { nodeName } from "../plan/names";
import type { ClusterConfig } from "./schema";
import { CONFIG_NAMESPACE, ConfigError, namespaceKeys, RawConfig, show, suggestion, validateConfig } from "./validate";

/** Secret config: validated for presence and shape here, never part of the plain plan. */
export const SSH_PRIVATE_KEY = "sshPrivateKey";
/** Docker Hub credentials for the ECR pull-through cache: `{ username, accessToken }`, a secret. */
export const DOCKER_HUB = "dockerHub";
/** The HTTP operator's password, optional (generated when unset), a secret. */
export const HTTP_OPERATOR_PASSWORD = "httpOperatorPassword";

export interface DockerHubCredentials {
    readonly username: string;
    readonly accessToken: string;
}

/**
 * Set by `npm run replace` for the `pulumi up --replace` it runs: the named nodes take the
 * current AMI and user data. Every other node keeps what it was created with (see nodes/).
 */
export const REBUILD_ENV = "MESOS_CLUSTER_REBUILD";

const PRIVATE_KEY = /^-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END \1 PRIVATE KEY-----\s*$/;

/** The stack config, validated; the private key stays a secret Output, apart from the rest. */
export interface LoadedConfig {
    readonly config: ClusterConfig;
    readonly sshPrivateKey: pulumi.Output<string>;
    /** Set when mesos-cluster:dockerHub is: the pull-through cache's upstream credential. */
    readonly dockerHub?: pulumi.Output<DockerHubCredentials>;
    /** Set when mesos-cluster:httpOperatorPassword is; otherwise the program generates the password. */
    readonly httpOperatorPassword?: pulumi.Output<string>;
    /** Nodes named by MESOS_CLUSTER_REBUILD: they take the current AMI and user data. */
    readonly rebuild: ReadonlySet<string>;
    /** Dangerous but allowed values: `warning: <line>` each, on stderr or the engine's log. */
    readonly warnings: readonly string[];
}

/**
 * Namespaces whose keys the stack may hold: the project's, the AWS provider's (aws:region and
 * its other settings) and the engine's own (pulumi:tags, pulumi:disable-default-providers).
 */
const OTHER_NAMESPACES = ["aws", "pulumi"];

/**
 * Keys in a namespace nothing reads: a misspelled `mesos-clusters:nodes` would otherwise be
 * ignored and the plan built from defaults. Each names the closest key that would be read.
 * (Unknown keys inside the project's namespace are the schema's to report.)
 */
export function namespaceErrors(all: Readonly<Record<string, string>>): string[] {
    const known = [...namespaceKeys().map((key) => `${CONFIG_NAMESPACE}:${key}`), "aws:region"];
    return Object.keys(all).flatMap((key) => {
        // Every key has a namespace: the CLI (and readStackConfig) put a bare key in the project's.
        const colon = key.indexOf(":");
        const namespace = key.slice(0, colon);
        if (OTHER_NAMESPACES.includes(namespace)) return [];
        if (key === `${CONFIG_NAMESPACE}:region`) return [`${key}: unknown key; did you mean aws:region?`];
        if (namespace === CONFIG_NAMESPACE) return [];
        const short = key.slice(colon + 1);
        const shortNear = suggestion(short, namespaceKeys());
        const near = suggestion(key, known) ?? (shortNear ? `${CONFIG_NAMESPACE}:${shortNear}` : undefined);
        return [`${key}: unknown key${near ? `; did you mean ${near}?` : ""} (this project reads ${CONFIG_NAMESPACE}:* and aws:* keys)`];
    });
}

/** Whether the engine holds a config value as a secret (runtime-internal in this SDK). */
function engineIsSecret(key: string): boolean {
    const isConfigSecret = (runtimeConfig as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    // An SDK without it cannot tell: do not refuse what may well be a secret.
    return isConfigSecret === undefined ? true : isConfigSecret(key);
}

/** Config values as the engine hands them over: strings, objects and arrays in JSON form. */
export function rawFromStackConfig(all: Readonly<Record<string, string>>): RawConfig {
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(all)) {
        if (key === "aws:region") raw.region = value;
        // `mesos-cluster:region` is refused by namespaceErrors; it must not override aws:region.
        if (!key.startsWith(`${CONFIG_NAMESPACE}:`) || key === `${CONFIG_NAMESPACE}:region`) continue;
        const short = key.slice(CONFIG_NAMESPACE.length + 1);
        raw[short] = parseConfigValue(value);
    }
    return raw;
}

function parseConfigValue(value: string): unknown {
    // Pulumi stores structured values and YAML numbers/booleans as JSON text; plain strings as is.
    if (/^\s*[[{]/.test(value) || /^(-?\d+(\.\d+)?|true|false|null)$/.test(value)) {
        try {
            return JSON.parse(value);
        } catch {
            // It only looks like JSON (`[not json`): kept as written, below.
        }
    }
    return value;
}

function rebuildErrors(value: string | undefined, config: ClusterConfig): { names: Set<string>; errors: string[] } {
    const names = new Set((value ?? "").split(",").map((s) => s.trim()).filter(Boolean));
    const known = new Set(ROLES.flatMap((role) => Array.from({ length: config.nodes[role].count }, (_, i) => nodeName(role, i + 1))));
    const errors = [...names]
        .filter((name) => !known.has(name))
        .map((name) => `${REBUILD_ENV}: ${show(name)} is not a node of this stack`);
    return { names, errors };
}

export type CheckedConfig = Omit<LoadedConfig, "sshPrivateKey" | "dockerHub" | "httpOperatorPassword">;

/**
 * Validates the engine's config map without reading any secret: every problem at once as a
 * ConfigError. The offline CLIs run it before the program, to refuse a file in well under a
 * second; the program runs it through loadConfig.
 */
export function checkConfig(all: Readonly<Record<string, string>>, isSecret: (key: string) => boolean): CheckedConfig {
    const { [SSH_PRIVATE_KEY]: privateKey, ...raw } = rawFromStackConfig(all);
    const privateKeyKey = `${CONFIG_NAMESPACE}:${SSH_PRIVATE_KEY}`;
    const errors = namespaceErrors(all);
    if (privateKey === undefined) {
        errors.push(`${privateKeyKey}: is required: pulumi config set --secret ${privateKeyKey} < ~/.ssh/id_ed25519`);
    } else if (!isSecret(privateKeyKey)) {
        // Never echo it: it is in the stack file in clear text already, not in our output too.
        errors.push(`${privateKeyKey}: is set in clear text in the stack file (value hidden); remove it and set it as a secret: pulumi config set --secret ${privateKeyKey} < ~/.ssh/id_ed25519`);
    } else if (typeof privateKey !== "string" || !PRIVATE_KEY.test(privateKey)) {
        errors.push(`${privateKeyKey}: is not a PEM/OpenSSH private key (value hidden)`);
    }
    const dockerHubKey = `${CONFIG_NAMESPACE}:${DOCKER_HUB}`;
    const dockerHub = raw[DOCKER_HUB] as { accessToken?: unknown } | undefined;
    if (dockerHub !== null && typeof dockerHub === "object" && dockerHub.accessToken !== undefined && !isSecret(dockerHubKey)) {
        errors.push(
            `${dockerHubKey}.accessToken: is set in clear text in the stack file (value hidden); remove it and set it as a secret: pulumi config set --secret --path ${dockerHubKey}.accessToken < TOKEN_FILE`,
        );
    }
    const passwordKey = `${CONFIG_NAMESPACE}:${HTTP_OPERATOR_PASSWORD}`;
    if (raw[HTTP_OPERATOR_PASSWORD] !== undefined && !isSecret(passwordKey)) {
        errors.push(`${passwordKey}: is set in clear text in the stack file (value hidden); remove it and set it as a secret: pulumi config set --secret ${passwordKey} (it prompts for the value)`);
    }
    const validated = validateConfig(raw);
    if (!validated.ok) throw new ConfigError([...errors, ...validated.errors], validated.warnings);
    const rebuild = rebuildErrors(process.env[REBUILD_ENV], validated.config);
    errors.push(...rebuild.errors);
    if (errors.length > 0) throw new ConfigError(errors, validated.warnings);
    return { config: validated.config, rebuild: rebuild.names, warnings: validated.warnings };
}

/**
 * Reads and validates the stack config, or throws ConfigError with every problem. Nothing is
 * registered with the engine before this returns.
 */
export function loadConfig(
    all: Readonly<Record<string, string>> = pulumi.runtime.allConfig(),
    isSecret: (key: string) => boolean = engineIsSecret,
): LoadedConfig {
    const checked = checkConfig(all, isSecret);
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    return {
        ...checked,
        sshPrivateKey: config.requireSecret(SSH_PRIVATE_KEY),
        ...(checked.config.dockerHub ? { dockerHub: config.requireSecretObject<DockerHubCredentials>(DOCKER_HUB) } : {}),
        ...(checked.config.httpOperatorPassword !== undefined ? { httpOperatorPassword: config.requireSecret(HTTP_OPERATOR_PASSWORD) } : {}),
    };
}
