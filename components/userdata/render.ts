import * as fs from "fs";
import Handlebars from "handlebars";
import * as path from "path";
import type { Role } from "../catalog/roles";
import type { ClusterPlan } from "../plan/clusterPlan";
import { controlPlane, ControlPlane, roleValues } from "./roleValues";
import { DISK_LIMITS, ImageKey, LOCAL_AGENT_IMAGE, PATHS, PORTS, roleUnits } from "../catalog/services";
import { ECR_REGISTRY_REF, pullReference } from "../registry/images";
import { PRINCIPALS, SECRET_FILES, SecretKey, secretPath } from "../catalog/secrets";

/** templates/ at the project root; every role template and partial is read from here. */
export const TEMPLATES_DIR = path.resolve(__dirname, "..", "..", "templates");

/**
 * A YAML double-quoted scalar holding exactly `value`. JSON's escapes are YAML's, but YAML 1.1
 * parsers (PyYAML, so cloud-init) also break lines at U+0085/U+2028/U+2029 and refuse DEL and
 * C1 controls raw: everything outside printable ASCII is therefore written as an escape.
 */
export function yamlScalar(value: unknown): string {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new Error(`no YAML scalar for ${String(value)}`);
    return json.replace(/[^\x20-\x7e]/gu, (ch) => {
        const code = ch.codePointAt(0) ?? 0;
        return code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    });
}

/**
 * systemd splits ExecStart on whitespace and expands %, $ and quotes: a value placed in a
 * unit must be one plain word. Config validation already refuses anything else; this is the
 * backstop that fails the render instead of writing a unit that means something else.
 */
const UNIT_WORD = /^[A-Za-z0-9._:/,=@+-]+$/;
export function unitWord(value: unknown): string {
    const text = String(value);
    if (!UNIT_WORD.test(text)) throw new Error(`unsafe value for a systemd unit or hosts file: ${JSON.stringify(text)}`);
    return text;
}

/**
 * An image reference in a unit: one plain word, optionally behind `${ECR_REGISTRY}/` (the node's
 * own ECR registry, which systemd expands from the registry env file).
 */
export function unitImage(value: unknown): string {
    const text = String(value);
    const prefix = `${ECR_REGISTRY_REF}/`;
    return text.startsWith(prefix) ? `${prefix}${unitWord(text.slice(prefix.length))}` : unitWord(text);
}

/** User data writes only configuration (scripts come in the role bundle): every file 0644. */
function writeFilesItem(filePath: string, content: string): string {
    return `  - path: ${yamlScalar(filePath)}\n    permissions: "0644"\n    content: ${yamlScalar(content)}`;
}

const statics = new Map<string, string>();
/** templates/files/<name> verbatim: not a template, so it is the very file shellcheck saw. */
export function staticFile(name: string): string {
    let text = statics.get(name);
    if (text === undefined) {
        text = fs.readFileSync(path.join(TEMPLATES_DIR, "files", name), "utf8");
        statics.set(name, text);
    }
    return text;
}

/**
 * Values reach YAML and units through these helpers only: the environment never HTML-escapes
 * (it is not HTML) and `strict` turns a missing value into an error instead of an empty string.
 */
function createEnvironment(): typeof Handlebars {
    const hbs = Handlebars.create();
    hbs.registerHelper("yaml", (value: unknown) => yamlScalar(value));
    hbs.registerHelper("word", (value: unknown) => unitWord(value));
    hbs.registerHelper("image", (value: unknown) => unitImage(value));
    // {{#file "/path"}}content{{/file}}: one write_files item whose content is a single quoted
    // scalar, so nothing inside (unit, script, config) can break the YAML.
    hbs.registerHelper("file", function (this: unknown, filePath: unknown, options: Handlebars.HelperOptions) {
        return writeFilesItem(String(filePath), options.fn(this));
    });
    for (const dir of ["partials", "units"]) {
        const full = path.join(TEMPLATES_DIR, dir);
        for (const file of fs.readdirSync(full).filter((f) => f.endsWith(".hbs"))) {
            hbs.registerPartial(`${dir}/${file.replace(/\.hbs$/, "")}`, fs.readFileSync(path.join(full, file), "utf8"));
        }
    }
    return hbs;
}

type Compiled = (context: unknown) => string;
const cache = new Map<string, Compiled>();
let environment: typeof Handlebars | undefined;

/** Compiles templates/<relative> once per process; rendering 500 nodes reuses it. */
export function template(relative: string): Compiled {
    let compiled = cache.get(relative);
    if (!compiled) {
        environment ??= createEnvironment();
        const source = fs.readFileSync(path.join(TEMPLATES_DIR, relative), "utf8");
        const fn = environment.compile(source, { noEscape: true, strict: true });
        compiled = (context: unknown) => fn(context);
        cache.set(relative, compiled);
    }
    return compiled;
}

/** What every template sees: the cluster, the fixed control plane and the catalog's facts. */
export interface RoleRenderContext {
    readonly cluster: { readonly id: string; readonly domain: string; readonly region: string };
    /** Only the control plane: a role's files must not change when a worker is added. */
    readonly plan: ControlPlane;
    /**
     * The reference each service's unit pulls: `mesos-cluster:images` (defaults overridden), with
     * Docker Hub images rewritten to go through the cluster's pull-through cache.
     */
    readonly images: Record<ImageKey, string>;
    /** docker.service then the role's units: enabled by the bundle, listed by clusterstat. */
    readonly units: readonly string[];
    readonly paths: typeof PATHS;
    readonly ports: typeof PORTS;
    readonly localAgentImage: string;
    readonly limits: typeof DISK_LIMITS;
    /** Values only one role uses (masters file, Marathon URLs...). */
    readonly role: ReturnType<typeof roleValues>;
    /** Where each secret file is on the node (components/catalog/secrets.ts): units name paths, never values. */
    readonly secrets: Record<SecretKey, string>;
    /** The fixed principals and user names (not secret). */
    readonly principals: typeof PRINCIPALS;
    /** The one operator user (the border's AllowUsers). */
    readonly ssh: { readonly user: string };
}

const SECRET_PATHS = Object.fromEntries((Object.keys(SECRET_FILES) as SecretKey[]).map((key) => [key, secretPath(key)])) as Record<SecretKey, string>;

export function roleContext(plan: ClusterPlan, role: Role): RoleRenderContext {
    const control = controlPlane(plan);
    return {
        cluster: { id: plan.clusterId, domain: plan.domain, region: plan.region },
        plan: control,
        images: Object.fromEntries(Object.entries(plan.images).map(([key, image]) => [key, pullReference(image, plan.registry)])) as Record<ImageKey, string>,
        units: roleUnits(role, { vpn: plan.vpn }),
        paths: PATHS,
        ports: PORTS,
        localAgentImage: LOCAL_AGENT_IMAGE,
        limits: DISK_LIMITS,
        role: roleValues(control, role),
        secrets: SECRET_PATHS,
        principals: PRINCIPALS,
        ssh: { user: plan.sshUser },
    };
}
