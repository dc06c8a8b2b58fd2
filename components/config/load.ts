import * as pulumi from "@pulumi/pulumi";
import { ROLES } from "../catalog/roles";
import { nodeName } from "../plan/names";
import type { ClusterConfig } from "./schema";
import { CONFIG_NAMESPACE, ConfigError, RawConfig, show, validateConfig } from "./validate";

/** Secret config: validated for presence and shape here, never part of the plain plan. */
export const SSH_PRIVATE_KEY = "sshPrivateKey";

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
    /** Nodes named by MESOS_CLUSTER_REBUILD: they take the current AMI and user data. */
    readonly rebuild: ReadonlySet<string>;
}

/** Config values as the engine hands them over: strings, objects and arrays in JSON form. */
export function rawFromStackConfig(all: Readonly<Record<string, string>>): RawConfig {
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(all)) {
        if (key === "aws:region") raw.region = value;
        if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
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
            return value;
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

/**
 * Reads and validates the stack config, or throws ConfigError with every problem. Nothing is
 * registered with the engine before this returns.
 */
export function loadConfig(all: Readonly<Record<string, string>> = pulumi.runtime.allConfig()): LoadedConfig {
    const { [SSH_PRIVATE_KEY]: privateKey, ...raw } = rawFromStackConfig(all);
    const errors: string[] = [];
    if (privateKey === undefined) {
        errors.push(`${CONFIG_NAMESPACE}:${SSH_PRIVATE_KEY}: is required: pulumi config set --secret ${SSH_PRIVATE_KEY} < ~/.ssh/<key>`);
    } else if (typeof privateKey !== "string" || !PRIVATE_KEY.test(privateKey)) {
        errors.push(`${CONFIG_NAMESPACE}:${SSH_PRIVATE_KEY}: is not a PEM/OpenSSH private key (value hidden)`);
    }
    const validated = validateConfig(raw);
    if (!validated.ok) throw new ConfigError([...validated.errors, ...errors]);
    const rebuild = rebuildErrors(process.env[REBUILD_ENV], validated.config);
    const allErrors = [...errors, ...rebuild.errors];
    if (allErrors.length > 0) throw new ConfigError(allErrors);
    return {
        config: validated.config,
        sshPrivateKey: new pulumi.Config(CONFIG_NAMESPACE).requireSecret(SSH_PRIVATE_KEY),
        rebuild: rebuild.names,
    };
}
