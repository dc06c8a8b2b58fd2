import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/**
 * Reads a `Pulumi.<stack>.yaml` file into the engine's config map: `namespace:key` keys, string
 * values, objects and arrays as JSON (as the CLI hands them to the program). Encrypted values
 * (`secure: ...`) cannot be read without the stack's secrets provider; they and a missing SSH
 * private key become placeholders, marked secret, which is enough to plan.
 */
export interface StackConfig {
    readonly file: string;
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
    readonly placeholders: string[];
}

export const PRIVATE_KEY_PLACEHOLDER = "-----BEGIN OPENSSH PRIVATE KEY-----\noffline-plan-placeholder\n-----END OPENSSH PRIVATE KEY-----\n";

export function stackFile(projectRoot: string, stack: string): string {
    return path.join(projectRoot, `Pulumi.${stack}.yaml`);
}

export function readStackConfig(file: string, project = "mesos-cluster"): StackConfig {
    if (!fs.existsSync(file)) throw new Error(`${file}: no such stack config file`);
    const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const raw = doc?.config ?? {};
    if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${file}: 'config' must be a mapping`);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: string[] = [];
    for (const [key, value] of Object.entries(raw)) {
        // A bare key belongs to the project, as the CLI reads it.
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            config[fullKey] = fullKey === `${project}:sshPrivateKey` ? PRIVATE_KEY_PLACEHOLDER : "offline-plan-placeholder";
            secretKeys.push(fullKey);
            placeholders.push(fullKey);
            continue;
        }
        config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const privateKey = `${project}:sshPrivateKey`;
    if (!(privateKey in config)) {
        config[privateKey] = PRIVATE_KEY_PLACEHOLDER;
        secretKeys.push(privateKey);
        placeholders.push(privateKey);
    }
    return { file, config, secretKeys, placeholders };
}
