import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { validateConfig } from "../../components/config/validate";
import { rawFromStackConfig, SSH_PRIVATE_KEY } from "../../components/config/load";
import { evaluateProgram, Evaluation, isSecretValue, MOCK_ACCOUNT, RegisteredResource } from "../../scripts/offline/mockEngine";
import { SECRETS_FETCH } from "../../components/catalog/secrets";
import { gunzipSync } from "zlib";
import { buildReport, nodeFromInstance, PlanCommand, PlanNode, PlanReport, writeOut } from "../../scripts/offline/planCli";
import { readStackConfig } from "../../scripts/offline/stackConfig";
import { LabError } from "./proc";
import { TYPES } from "../../scripts/offline/resourceTypes";

/**
 * The plan the lab builds: the program itself (index.ts) evaluated in-process under the same
 * mocks as `npm run plan`, read through the plan CLI's own types and functions. Its files are
 * written by the plan CLI's writeOut: DIR/cloud-config/<node>.yaml, DIR/bundles/<role>.sh and
 * DIR/scripts/<command>.sh, the create texts byte for byte, which the lab runs over SSH as they
 * are. The lab evaluates the program a second time with one more worker, as `pulumi up` would
 * after the operator raised the count: `adjust` changes the config map, never the YAML text.
 */

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const VPC = TYPES.vpc;
const SUBNET = TYPES.subnet;
const INSTANCE = TYPES.instance;
const RECORD = TYPES.dnsRecord;
const BUNDLE = TYPES.bundleObject;
const NODES_KEY = "mesos-cluster:nodes";

export interface LabNode extends PlanNode {
    /** Prefix length of the node's subnet (the address on its eth0 is privateIp/prefix). */
    readonly prefixLength: number;
    /** write_files of the node's rendered cloud-config: path → content. */
    readonly files: ReadonlyMap<string, string>;
    /** The instance's tags (Name, Role, Cluster, ...): what EC2 discovery sees. */
    readonly tags: Readonly<Record<string, string>>;
    /** The instance's (mock) id. */
    readonly instanceId: string;
    /** The instance's resource name (what `ids` overrides, as `pulumi up --replace` does). */
    readonly resourceName: string;
    /** The boot fetch as the node's user data runs it (bootcmd): the script and its arguments. */
    readonly fetch: { readonly script: string; readonly args: readonly string[] };
    /** The SSH host key (authorized_keys form) every post-step command connecting to the node pins. */
    readonly hostKey: string;
}

/** What the lab's SSM stand-in serves: the plan's parameters and each role's IAM policy. */
export interface LabSecrets {
    readonly region: string;
    readonly account: string;
    /** Every aws.ssm.Parameter of the plan, by name: its type and its value (the lab's own copy). */
    readonly parameters: ReadonlyMap<string, { readonly Type: string; readonly Value: string }>;
    /** Each role's inline policy statements (aws.iam.RolePolicy), by role. */
    readonly policies: ReadonlyMap<string, readonly unknown[]>;
}

/**
 * One subnet of the plan as the lab builds it: an L2 segment (a bridge in the switch
 * namespace) and the router's interface on it at the subnet's VPC-router address (network + 1).
 */
export interface LabSegment {
    readonly cidr: string;
    /** The bridge's name in the switch namespace (br0, br1, ... in the plan's order). */
    readonly bridge: string;
    /** The router's address on this segment: every host's default gateway. */
    readonly router: string;
    readonly prefixLength: number;
}

/** An A record of the cluster's private zone, as the plan registers it (one per node). */
export interface LabRecord {
    readonly fqdn: string;
    readonly ip: string;
}

export interface LabPlan {
    readonly report: PlanReport;
    readonly nodes: readonly LabNode[];
    readonly commands: readonly PlanCommand[];
    /** The VPC's CIDR. */
    readonly vpcCidr: string;
    /** Every subnet of the plan (public and private, every zone), each a segment of the lab. */
    readonly segments: readonly LabSegment[];
    /** The master that must lead at the end (`mesos-cluster:preferredLeader`): seed 000's master-1. */
    readonly preferredLeader: string;
    /** The cluster's domain: the private zone's name and every node's search domain. */
    readonly domain: string;
    /** The private zone's A records. */
    readonly records: readonly LabRecord[];
    /** Files of each role's bundle (role → path → content), as the node installs them. */
    readonly bundles: ReadonlyMap<string, ReadonlyMap<string, string>>;
    /** Every IPv4 address the plan's resources hold as an input (nodes, resolver endpoints, ...). */
    readonly addresses: ReadonlySet<string>;
    /**
     * How many failed dials each command (and its jump) allows before it fails: the plan's
     * `connection.dialErrorLimit`, one value for every command.
     */
    readonly dialErrorLimit: number;
    /** Where writeOut put the files. */
    readonly dir: string;
    /** The stack file it was planned from. */
    readonly configFile: string;
    readonly secrets: LabSecrets;
}

export interface LoadOptions {
    /** Changes the stack's config map (`namespace:key` → value) before the program sees it. */
    readonly adjust?: (config: Record<string, string>) => Record<string, string>;
    /** Instance ids by resource name, as after `pulumi up --replace` of those instances. */
    readonly ids?: Readonly<Record<string, string>>;
}

/** Every node's instance replaced (a new id each): the plan a replacement of any node gives. */
export function replacedIds(plan: LabPlan): Record<string, string> {
    return Object.fromEntries(plan.nodes.map((n) => [n.resourceName, `${n.instanceId}-replaced`]));
}

/** A config adjustment: `count` more nodes of `role` (the `mesos-cluster:nodes` map, as JSON). */
export function moreNodes(role: string, count: number): (config: Record<string, string>) => Record<string, string> {
    return (config) => {
        const nodes = JSON.parse(config[NODES_KEY] ?? "{}") as Record<string, { count?: number }>;
        const group = nodes[role];
        if (!group || typeof group.count !== "number") throw new LabError(`${NODES_KEY}.${role}.count is not set in the lab's stack file`);
        return { ...config, [NODES_KEY]: JSON.stringify({ ...nodes, [role]: { ...group, count: group.count + count } }) };
    };
}

/**
 * Forgets the program's modules (index.ts and components/; never the SDK, which holds the
 * mocks), so the next require of index.ts runs the program again and reads the config afresh.
 */
function forgetProgram(): void {
    const program = [path.join(PROJECT_ROOT, "index.ts"), path.join(PROJECT_ROOT, "components") + path.sep];
    for (const key of Object.keys(require.cache)) {
        if (program.some((p) => key === p || (p.endsWith(path.sep) && key.startsWith(p)))) delete require.cache[key];
    }
}

/** Evaluates the program for the stack file `configFile` and writes its files under `dir`. */
export async function loadLabPlan(configFile: string, dir: string, { adjust, ids }: LoadOptions = {}): Promise<LabPlan> {
    const stack = readStackConfig(configFile);
    const config = adjust ? adjust({ ...stack.config }) : stack.config;
    // The program validates the same way; this only reads what the lab needs beyond the report.
    const { [SSH_PRIVATE_KEY]: _secret, ...raw } = rawFromStackConfig(config);
    const validated = validateConfig(raw);
    if (!validated.ok) throw new LabError(`${configFile}: ${validated.errors.join("; ")}`);
    let evaluation: Evaluation;
    forgetProgram();
    try {
        evaluation = await evaluateProgram({
            config,
            secretKeys: stack.secretKeys,
            stack: "lab",
            ids,
            load: async () => require(path.join(PROJECT_ROOT, "index.ts")),
        });
    } catch (err) {
        const lines = (err as { lines?: readonly string[] }).lines;
        throw lines ? new LabError(`the program refused ${configFile}: ${lines.join("; ")}`) : err;
    }
    if (evaluation.duplicateUrns.length > 0) throw new LabError(`duplicate resource URNs: ${evaluation.duplicateUrns.join(", ")}`);
    const report = buildReport(evaluation);
    fs.rmSync(dir, { recursive: true, force: true });
    writeOut(dir, evaluation);
    for (const c of report.commands) {
        if (!fs.existsSync(scriptFile(dir, c))) throw new LabError(`the plan lists ${c.name} but wrote no ${scriptFile(dir, c)}`);
    }

    const ofType = (type: string) => evaluation.resources.filter((r) => r.type === type);
    const [vpc] = ofType(VPC);
    if (!vpc) throw new LabError("the plan has no VPC");
    const subnetById = new Map(ofType(SUBNET).map((s) => [s.id, s.inputs.cidrBlock as string]));
    const instanceByName = new Map(ofType(INSTANCE).map((r) => [r.inputs.tags.Name as string, r]));
    const pins = hostKeyPins(evaluation);
    const nodes = report.nodes.map((node): LabNode => {
        const instance = instanceByName.get(node.name) as RegisteredResource;
        const userData = nodeFromInstance(instance).userDataText;
        const pin = pins.get(node.name);
        if (!pin) throw new LabError(`${node.name}: no post-step command pins its host key`);
        const cidr = subnetById.get(instance.inputs.subnetId as string);
        if (!cidr) throw new LabError(`${node.name}: its subnet ${instance.inputs.subnetId} is not in the plan`);
        return {
            ...node,
            prefixLength: Number(cidr.split("/")[1]),
            files: writeFiles(userData),
            tags: { ...(instance.inputs.tags as Record<string, string>) },
            instanceId: instance.id,
            resourceName: instance.name,
            fetch: bootFetch(node.name, userData),
            hostKey: pin,
        };
    });
    const records = ofType(RECORD).filter((r) => r.inputs.type === "A").map((r): LabRecord => {
        const ips = r.inputs.records as string[];
        if (ips.length !== 1) throw new LabError(`record ${r.inputs.name}: ${ips.length} addresses, the lab expects one per node`);
        return { fqdn: r.inputs.name as string, ip: ips[0] };
    });
    const bundles = new Map(ofType(BUNDLE).map((r) => [r.inputs.tags.Role as string, bundleFiles(r.inputs.content as string)]));
    return {
        report,
        nodes,
        commands: report.commands,
        dialErrorLimit: dialErrorLimitOf(evaluation),
        vpcCidr: vpc.inputs.cidrBlock as string,
        segments: ofType(SUBNET).map((r, i): LabSegment => {
            const cidr = r.inputs.cidrBlock as string;
            return { cidr, bridge: `br${i}`, router: ipAdd(cidr, 1), prefixLength: Number(cidr.split("/")[1]) };
        }),
        preferredLeader: validated.config.preferredLeader,
        domain: validated.config.domain,
        records,
        bundles,
        addresses: new Set(evaluation.resources.flatMap((r) => ipv4s(r.inputs))),
        dir,
        configFile,
        secrets: {
            region: validated.config.region,
            account: MOCK_ACCOUNT,
            parameters: new Map(ofType("aws:ssm/parameter:Parameter").map((r) => [r.inputs.name as string, { Type: r.inputs.type as string, Value: String(plain(r.inputs.value)) }])),
            policies: new Map(ofType("aws:iam/rolePolicy:RolePolicy").map((r) => [r.name.split("-").pop() as string, (JSON.parse(String(plain(r.inputs.policy))) as { Statement: unknown[] }).Statement])),
        },
    };
}

const plain = (value: unknown): unknown => (isSecretValue(value) ? (value as { value: unknown }).value : value);

/**
 * The host key each node is pinned to, read from the plan's commands as the engine gets them:
 * `connection.hostKey` of every command on the node and `connection.proxy.hostKey` (the border)
 * of every command. Two commands pinning different keys for one node is a plan error.
 */
function hostKeyPins(evaluation: Evaluation): Map<string, string> {
    const instances = evaluation.resources.filter((r) => r.type === INSTANCE);
    const byIp = new Map(instances.map((r) => [r.inputs.privateIp as string, r.inputs.tags.Name as string]));
    const border = instances.find((r) => r.inputs.tags.Role === "border")?.inputs.tags.Name as string | undefined;
    const pins = new Map<string, string>();
    const pin = (node: string | undefined, key: unknown, what: string) => {
        if (!node || typeof key !== "string" || !key) throw new LabError(`${what}: no host key pinned`);
        const had = pins.get(node);
        if (had !== undefined && had !== key) throw new LabError(`${what}: pins ${node} to another key than other commands do`);
        pins.set(node, key);
    };
    for (const r of evaluation.resources.filter((r) => r.type === TYPES.remoteCommand)) {
        const c = plain(r.inputs.connection) as { host: string; hostKey?: string; proxy?: { hostKey?: string } };
        pin(byIp.get(c.host), c.hostKey, r.name);
        pin(border, c.proxy?.hostKey, `${r.name} (its jump)`);
    }
    return pins;
}

/** The dialErrorLimit every command's connection and jump carry; two different ones are a plan error. */
function dialErrorLimitOf(evaluation: Evaluation): number {
    const limits = new Set<unknown>();
    for (const r of evaluation.resources.filter((r) => r.type === TYPES.remoteCommand)) {
        const c = plain(r.inputs.connection) as { dialErrorLimit?: unknown; proxy?: { dialErrorLimit?: unknown } };
        limits.add(c.dialErrorLimit);
        limits.add(c.proxy?.dialErrorLimit);
    }
    const [limit, ...others] = [...limits];
    if (others.length > 0 || typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) {
        throw new LabError(`the plan's commands dial with limits ${[...limits].map(String).join(", ")}: expected one whole number`);
    }
    return limit;
}

/** The boot fetch in the node's user data: bootcmd's script (here-document) and its command line. */
function bootFetch(name: string, cloudConfig: string): { script: string; args: string[] } {
    const doc = parse(cloudConfig) as { bootcmd?: unknown[][] };
    const item = doc.bootcmd?.find((c) => Array.isArray(c) && c.includes("mesos-cluster-secrets"));
    const text = item?.[item.length - 1];
    if (typeof text !== "string") throw new LabError(`${name}: its user data has no mesos-cluster-secrets bootcmd`);
    const lines = text.split("\n");
    const packed = lines.map((l) => /^echo ([A-Za-z0-9+/=]+) \| base64 -d \| gunzip >/.exec(l)).find(Boolean);
    const exec = lines.find((l) => l.startsWith(`exec ${SECRETS_FETCH} `));
    if (!packed || !exec) throw new LabError(`${name}: the boot fetch in its user data is not in the form the lab reads`);
    const args = exec.slice(`exec ${SECRETS_FETCH} `.length).split(" ");
    if (args.some((a) => /['"\\$]/.test(a))) throw new LabError(`${name}: the boot fetch's arguments need a shell to read`);
    // The node name comes from the instance's Name tag (IMDS) on EC2; the lab says it.
    return { script: gunzipSync(Buffer.from(packed[1], "base64")).toString("utf8"), args: [...args, "--node-name", name] };
}

/** The address `n` after a CIDR's network address. */
export function ipAdd(cidr: string, n: number): string {
    const v = cidr.split("/")[0].split(".").reduce((acc, o) => acc * 256 + Number(o), 0) + n;
    return [24, 16, 8, 0].map((sh) => Math.floor(v / 2 ** sh) % 256).join(".");
}

/** Whether `ip` lies in `cidr`. */
export function inCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const num = (a: string) => a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    return Math.floor(num(ip) / size) === Math.floor(num(base) / size);
}

export function scriptFile(dir: string, command: PlanCommand): string {
    return path.join(dir, "scripts", `${command.name}.sh`);
}

function writeFiles(cloudConfig: string): Map<string, string> {
    const doc = parse(cloudConfig) as { write_files?: { path: string; content?: string }[] };
    return new Map((doc.write_files ?? []).map((f) => [f.path, f.content ?? ""]));
}

/**
 * The files a role bundle installs: each is `put PATH MODE <<'DELIM'` ... `DELIM` (the bundle
 * renderer's own form).
 */
export function bundleFiles(script: string): Map<string, string> {
    const files = new Map<string, string>();
    const lines = script.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const m = /^put (\S+) [0-7]+ <<'(\w+)'$/.exec(lines[i]);
        if (!m) continue;
        const end = lines.indexOf(m[2], i + 1);
        if (end < 0) throw new LabError(`bundle: ${m[1]} has no closing ${m[2]}`);
        files.set(m[1], lines.slice(i + 1, end).join("\n") + "\n");
        i = end;
    }
    return files;
}

/** Every IPv4 address (not a CIDR) among a resource's inputs. */
function ipv4s(value: unknown): string[] {
    if (typeof value === "string") return /^\d{1,3}(\.\d{1,3}){3}$/.test(value) ? [value] : [];
    if (Array.isArray(value)) return value.flatMap(ipv4s);
    if (value !== null && typeof value === "object") return Object.values(value).flatMap(ipv4s);
    return [];
}
