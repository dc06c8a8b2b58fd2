import * as fs from "fs";
import Handlebars from "handlebars";
import * as path from "path";
import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";

/** templates/ at the project root; every role template and partial is read from here. */
export const TEMPLATES_DIR = path.resolve(__dirname, "..", "..", "templates");

/**
 * Values reach YAML and shell through these helpers only: the environment never HTML-escapes
 * (it is not HTML) and `strict` turns a missing value into an error instead of an empty string.
 */
function createEnvironment(): typeof Handlebars {
    const hbs = Handlebars.create();
    // JSON strings are valid YAML double-quoted scalars, whatever they contain.
    hbs.registerHelper("yaml", (value: unknown) => JSON.stringify(value));
    // POSIX single-quoting: the only character to handle inside '...' is ' itself.
    hbs.registerHelper("sh", (value: unknown) => `'${String(value).replace(/'/g, `'"'"'`)}'`);
    hbs.registerHelper("json", (value: unknown) => JSON.stringify(value));
    hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
    hbs.registerHelper("join", (values: unknown[], separator: unknown) =>
        values.join(typeof separator === "string" ? separator : ","),
    );
    hbs.registerHelper("indent", (spaces: number, options: Handlebars.HelperOptions) => {
        const pad = " ".repeat(spaces);
        return String(options.fn(options.data?.root ? options.data.root : {}))
            .split("\n")
            .map((line) => (line.length > 0 ? pad + line : line))
            .join("\n");
    });
    for (const dir of ["partials", "units"]) {
        const full = path.join(TEMPLATES_DIR, dir);
        if (!fs.existsSync(full)) continue;
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

/** What a role template sees. */
export interface NodeRenderContext {
    readonly cluster: { readonly id: string; readonly domain: string };
    readonly node: PlannedNode;
    readonly hosts: readonly { readonly ip: string; readonly fqdn: string; readonly name: string }[];
    readonly sshUser: string;
    readonly sshPublicKey: string;
    readonly plan: ClusterPlan;
}

export function renderContext(plan: ClusterPlan, node: PlannedNode): NodeRenderContext {
    return {
        cluster: { id: plan.config.clusterId, domain: plan.config.domain },
        node,
        hosts: plan.nodes.map((n) => ({ ip: n.privateIp, fqdn: n.fqdn, name: n.name })),
        sshUser: plan.config.sshUser,
        sshPublicKey: plan.config.sshPublicKey,
        plan,
    };
}

/** The node's #cloud-config document, as text. */
export function renderCloudConfig(plan: ClusterPlan, node: PlannedNode): string {
    return template(`cloud-config/${node.role}.yaml.hbs`)(renderContext(plan, node));
}
