import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";

/**
 * Reads a `Pulumi.<stack>.yaml` file into the engine's config map: `namespace:key` keys, string
 * values, objects and arrays as JSON (as the CLI hands them to the program). Encrypted values
 * (`secure: ...`, also nested, as `pulumi config set --secret --path` writes them) cannot be read
 * without the stack's secrets provider; they, a missing SSH private key and a missing Docker Hub
 * access token next to a given username become placeholders, marked secret, which is enough to
 * plan.
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

/** A stack file that cannot be read as one; the message names the file and the problem. */
export class StackFileError extends Error {
    constructor(readonly file: string, problem: string) {
        super(`${file}: ${problem}`);
        this.name = "StackFileError";
    }
}

const isMapping = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** The `config:` map of a stack file, or a StackFileError saying what is wrong with the file. */
function configMap(file: string): Record<string, unknown> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw new StackFileError(file, "no such stack config file");
        if (code === "EISDIR") throw new StackFileError(file, "is a directory, not a stack config file");
        throw new StackFileError(file, `cannot be read: ${(error as Error).message}`);
    }
    const doc = parseDocument(text);
    const [first] = doc.errors;
    if (first) {
        const where = first.linePos ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}: ` : "";
        const what = first.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        throw new StackFileError(file, `${where}is not valid YAML: ${what}`);
    }
    const root: unknown = doc.toJS();
    if (root === null || root === undefined) throw new StackFileError(file, "is empty; a stack config file holds a config: map of mesos-cluster:* keys");
    if (!isMapping(root)) throw new StackFileError(file, "is not a YAML mapping; a stack config file holds a config: map of mesos-cluster:* keys");
    if (!("config" in root)) {
        const stray = Object.keys(root).filter((key) => key.includes(":"));
        throw new StackFileError(
            file,
            stray.length > 0
                ? `has no config: map; ${stray.slice(0, 3).join(", ")}${stray.length > 3 ? ", ..." : ""} must be indented under config:`
                : "has no config: map of mesos-cluster:* keys",
        );
    }
    if (root.config === null) throw new StackFileError(file, "has an empty config: map");
    if (!isMapping(root.config)) throw new StackFileError(file, "config: must be a map of mesos-cluster:* keys");
    return root.config;
}

export const ACCESS_TOKEN_PLACEHOLDER = "offline-plan-placeholder";

const isSecure = (value: unknown): boolean => isMapping(value) && "secure" in value;

/** `value` with every nested `{ secure: ... }` replaced by a placeholder; whether it had any. */
function withoutNestedSecrets(value: unknown): { value: unknown; secret: boolean } {
    if (isSecure(value)) return { value: "offline-plan-placeholder", secret: true };
    if (Array.isArray(value)) {
        const items = value.map(withoutNestedSecrets);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (isMapping(value)) {
        const entries = Object.entries(value).map(([k, v]) => [k, withoutNestedSecrets(v)] as const);
        return { value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])), secret: entries.some(([, v]) => v.secret) };
    }
    return { value, secret: false };
}

export function readStackConfig(file: string, project = "mesos-cluster"): StackConfig {
    const raw = configMap(file);
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
        const nested = withoutNestedSecrets(value);
        if (nested.secret) {
            secretKeys.push(fullKey);
            placeholders.push(fullKey);
        }
        config[fullKey] = typeof nested.value === "string" ? nested.value : JSON.stringify(nested.value);
    }
    // A Docker Hub username without its token: the token is the operator's secret to add.
    const dockerHub = `${project}:dockerHub`;
    const hub = raw[dockerHub] ?? raw.dockerHub;
    if (isMapping(hub) && hub.accessToken === undefined) {
        config[dockerHub] = JSON.stringify({ ...hub, accessToken: ACCESS_TOKEN_PLACEHOLDER });
        if (!secretKeys.includes(dockerHub)) secretKeys.push(dockerHub);
        if (!placeholders.includes(dockerHub)) placeholders.push(dockerHub);
    }
    const privateKey = `${project}:sshPrivateKey`;
    if (!(privateKey in config)) {
        config[privateKey] = PRIVATE_KEY_PLACEHOLDER;
        secretKeys.push(privateKey);
        placeholders.push(privateKey);
    }
    return { file, config, secretKeys, placeholders };
}
