import { closest, distance } from "fastest-levenshtein";
import * as sshpk from "sshpk";
import { z } from "zod";
import { cidrContainsCidr, cidrContainsIp, cidrsOverlap, Cidr, isAwsReserved, isIpv4, parseCidr } from "../plan/ipv4";
import { DEFAULT_OFFSETS, infraIps, MAX_ODD_GROUP, placeRole, subnetOf, ZoneSubnets } from "../plan/ipPlan";
import { configZones, nodesInZone, SINGLE_ZONE_KEYS, survivesZoneLoss, ZoneSpec } from "../plan/zones";
import { nodeFqdn, nodeName } from "../plan/names";
import { ROLES } from "../catalog/roles";
import { SECRET_CHARACTERS, SECRET_FORBIDDEN } from "../catalog/secrets";
import { MESOS_DNS_DOMAIN } from "../catalog/dns";
import { DEFAULT_IMAGES, ImageKey, roleImageKeys } from "../catalog/services";
import { DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR, isDockerHubImage } from "../registry/images";
import { ClusterConfig, clusterConfigSchema, MAX_ZONES } from "./schema";

/** The stack's project namespace: config keys are written `mesos-cluster:<key>`. */
export const CONFIG_NAMESPACE = "mesos-cluster";

/**
 * Raw stack config: `mesos-cluster:*` keys without the namespace (objects already parsed from
 * their JSON form), plus `region` taken from `aws:region`.
 */
export type RawConfig = Record<string, unknown>;

export type ValidationResult =
    | { ok: true; config: ClusterConfig; warnings: string[] }
    | { ok: false; errors: string[]; warnings: string[] };

/** Thrown with every problem found; `lines` are ready to print as `error: <line>`. */
export class ConfigError extends Error {
    constructor(
        readonly lines: readonly string[],
        readonly warnings: readonly string[] = [],
    ) {
        super(lines.map((line) => `error: ${line}`).join("\n"));
        this.name = "ConfigError";
    }
}

export function configKey(path: readonly PropertyKey[]): string {
    const [head, ...rest] = path.map(String);
    const top = head === "region" ? "aws:region" : `${CONFIG_NAMESPACE}:${head}`;
    return rest.reduce((key, part) => (/^\d+$/.test(part) ? `${key}[${part}]` : `${key}.${part}`), top);
}

export function show(value: unknown): string {
    const text = value === undefined ? "undefined" : JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The candidate nearest to `word` by edit distance, if it is near enough to be a typo of it. */
export function suggestion(word: string, candidates: readonly string[]): string | undefined {
    if (candidates.length === 0) return undefined;
    // Case does not count: vpcCIDR is a typo of vpcCidr.
    const lower = candidates.map((candidate) => candidate.toLowerCase());
    const best = closest(word.toLowerCase(), lower);
    return distance(word.toLowerCase(), best) <= Math.max(2, Math.floor(word.length / 3)) ? candidates[lower.indexOf(best)] : undefined;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let current: unknown = raw;
    for (const part of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[part];
    }
    return current;
}

interface SchemaDef {
    readonly type: string;
    readonly innerType?: z.ZodType;
    readonly shape?: Record<string, z.ZodType>;
    readonly element?: z.ZodType;
}

/** The keys the schema knows at `path` (through defaults and optionals), for suggestions. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
    let schema: z.ZodType | undefined = clusterConfigSchema;
    const unwrap = (s: z.ZodType | undefined): SchemaDef | undefined => {
        let def = s?._zod.def as SchemaDef | undefined;
        while (def?.innerType) def = def.innerType._zod.def as SchemaDef;
        return def;
    };
    for (const part of path) {
        const def = unwrap(schema);
        // An index steps into a list's element (network.zones[1]).
        schema = typeof part === "number" ? def?.element : def?.shape?.[String(part)];
    }
    return Object.keys(unwrap(schema)?.shape ?? {});
}

/** The top-level keys of the namespace: the schema's, less aws:region, plus the secret key. */
export function namespaceKeys(): string[] {
    return [...knownKeysAt([]).filter((key) => key !== "region"), "sshPrivateKey"];
}

function unknownKeyError(path: readonly PropertyKey[], key: string): string {
    const full = configKey([...path, key]);
    if (path.length === 1 && path[0] === "nodes") {
        const near = suggestion(key, ROLES);
        return `${full}: unknown role ${show(key)}; roles are ${ROLES.join(", ")}${near ? `; did you mean ${near}?` : ""}`;
    }
    const candidates = path.length === 0 ? namespaceKeys() : knownKeysAt(path);
    const near = suggestion(key, candidates);
    return `${full}: unknown key${near ? `; did you mean ${configKey([...path, near])}?` : `; known keys here: ${candidates.join(", ")}`}`;
}

/** Config values never echoed in a message: the Docker Hub credential (all but its username), the operator's password. */
function isHidden(path: readonly PropertyKey[]): boolean {
    return (path[0] === "dockerHub" && path[1] !== "username") || path[0] === "httpOperatorPassword";
}

function shapeErrors(raw: RawConfig, error: z.ZodError): string[] {
    return error.issues.flatMap((issue) => {
        const value = valueAt(raw, issue.path);
        if (isHidden(issue.path) && issue.code !== "unrecognized_keys") {
            const what = value === undefined ? "is required" : issue.code === "invalid_type" ? `is not a ${issue.expected} (value hidden)` : `(value hidden) ${issue.message}`;
            return [`${configKey(issue.path)}: ${what}`];
        }
        if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownKeyError(issue.path, key));
        if (issue.code === "invalid_type" && issue.expected === "int") return [`${configKey(issue.path)}: ${show(value)} is not a whole number`];
        if (issue.code === "invalid_type") {
            return value === undefined
                ? [`${configKey(issue.path)}: is required`]
                : [`${configKey(issue.path)}: ${show(value)} is not a ${issue.expected}`];
        }
        return [`${configKey(issue.path)}: ${show(value)} ${issue.message}`];
    });
}

// ---------------------------------------------------------------------------------------------
// Rules over the parsed config. Each names the keys it `needs`; a shape error on one of them (or
// on a key above or below it) skips the rule, every other rule still runs, so one run reports
// every problem. A rule reports only what is its own: one that needs a CIDR some other rule
// finds malformed skips quietly.

interface Rule {
    /** Dotted config paths the rule reads, as zod reports them (`nodes.worker.count`). */
    readonly needs: readonly string[];
    readonly errors: (config: ClusterConfig) => string[];
    readonly warnings?: (config: ClusterConfig) => string[];
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function domainErrors(config: ClusterConfig): string[] {
    const { domain } = config;
    const labels = domain.split(".");
    if (labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) {
        return [`${configKey(["domain"])}: ${show(domain)} is not a lower-case DNS domain like cell-1.dc-1.demo.lan`];
    }
    // systemd-resolved sends .local to mDNS, never to the VPC resolver: nodes would not find each other.
    // (A bare "local" or "mesos" is one label, refused above.)
    if (domain.endsWith(".local")) {
        return [`${configKey(["domain"])}: ${show(domain)} ends in .local, which Ubuntu resolves by multicast DNS, not through the private zone; use e.g. cell-1.dc-1.demo.lan`];
    }
    if (domain.endsWith(`.${MESOS_DNS_DOMAIN}`)) {
        return [`${configKey(["domain"])}: ${show(domain)} collides with Mesos-DNS's own domain "${MESOS_DNS_DOMAIN}" (tasks are <app>.marathon.${MESOS_DNS_DOMAIN})`];
    }
    if (/(^|\.)(amazonaws\.com|compute\.internal|ec2\.internal)$/.test(domain)) {
        return [`${configKey(["domain"])}: ${show(domain)} is a domain AWS itself answers in the VPC; a private zone for it would shadow AWS's names`];
    }
    const longest = nodeFqdn(nodeName("worker", Math.max(1, config.nodes.worker.count)), domain);
    if (longest.length > 253) {
        return [`${configKey(["domain"])}: ${show(domain)} makes node names longer than 253 characters`];
    }
    return [];
}

const MIN_PREFIX = 16; // AWS: VPCs and subnets from /16 to /28
const MAX_PREFIX = 28;

function cidrProblem(text: string): string | undefined {
    const cidr = parseCidr(text);
    if (!cidr) return `${show(text)} is not an IPv4 CIDR like 10.136.0.0/16 (network address, no host bits)`;
    if (cidr.prefix < MIN_PREFIX || cidr.prefix > MAX_PREFIX) return `${show(text)} must have a prefix from /${MIN_PREFIX} to /${MAX_PREFIX} (AWS limits)`;
    return undefined;
}

/** The CIDR if it is usable; undefined otherwise (its own rule reports why). */
function usableCidr(text: string): Cidr | undefined {
    return cidrProblem(text) ? undefined : parseCidr(text);
}

/** A key as the other keys' messages name it: `publicSubnetCidr`, `zones[1].privateSubnetCidr`. */
function networkLabel(path: readonly PropertyKey[]): string {
    return configKey(path).slice(`${CONFIG_NAMESPACE}:network.`.length);
}

type SubnetKind = "public" | "private";
const SUBNET_FIELD = { public: "publicSubnetCidr", private: "privateSubnetCidr" } as const;

interface CheckedSubnet {
    readonly zone: ZoneSpec;
    readonly kind: SubnetKind;
    readonly path: readonly PropertyKey[];
    readonly text: string;
}

function zoneSubnetList(config: ClusterConfig): CheckedSubnet[] {
    return configZones(config.network, config.region).flatMap((zone) =>
        (["public", "private"] as const).map((kind) => ({ zone, kind, path: zone.keys[SUBNET_FIELD[kind]], text: zone[SUBNET_FIELD[kind]] })),
    );
}

/** Every zone's subnets parsed, or undefined when one is not usable (its own rule says why). */
function parsedZones(config: ClusterConfig): (ZoneSubnets & { spec: ZoneSpec })[] | undefined {
    const zones = configZones(config.network, config.region).map((spec) => ({
        spec,
        name: spec.name,
        public: usableCidr(spec.publicSubnetCidr),
        private: usableCidr(spec.privateSubnetCidr),
    }));
    if (zones.some((zone) => !zone.public || !zone.private)) return undefined;
    return zones as (ZoneSubnets & { spec: ZoneSpec })[];
}

function subnetFormatErrors(config: ClusterConfig): string[] {
    return zoneSubnetList(config).flatMap((subnet) => {
        const problem = cidrProblem(subnet.text);
        return problem ? [`${configKey(subnet.path)}: ${problem}`] : [];
    });
}

/** The single-zone keys and `network.zones` are two shapes of one thing: one at a time. */
function mixedShapeErrors(config: ClusterConfig): string[] {
    if (!config.network.zones) return [];
    return SINGLE_ZONE_KEYS.filter((key) => config.network[key] !== undefined).map((key) => {
        const instead = key === "availabilityZone" ? "name" : key;
        return `${configKey(["network", key])}: describes a single zone, but network.zones is set too; give each zone's ${instead} in network.zones (e.g. zones[0].${instead}) and remove this key`;
    });
}

function subnetsInVpc(config: ClusterConfig): string[] {
    const vpc = usableCidr(config.network.vpcCidr);
    if (!vpc) return [];
    return zoneSubnetList(config).flatMap((subnet) => {
        const cidr = usableCidr(subnet.text);
        if (!cidr || cidrContainsCidr(vpc, cidr)) return [];
        return [`${configKey(subnet.path)}: ${show(cidr.text)} is outside vpcCidr ${vpc.text}`];
    });
}

/** No two subnets of any zones may share an address; each is named against the first it hits. */
function subnetOverlapErrors(config: ClusterConfig): string[] {
    const seen: { cidr: Cidr; path: readonly PropertyKey[] }[] = [];
    const errors: string[] = [];
    for (const subnet of zoneSubnetList(config)) {
        const cidr = usableCidr(subnet.text);
        if (!cidr) continue;
        const hit = seen.find((other) => cidrsOverlap(other.cidr, cidr));
        if (hit) errors.push(`${configKey(subnet.path)}: ${show(cidr.text)} overlaps ${networkLabel(hit.path)} ${hit.cidr.text}`);
        else seen.push({ cidr, path: subnet.path });
    }
    return errors;
}

/** Each zone once, each in the stack's region. */
function zoneNameErrors(config: ClusterConfig): string[] {
    const errors: string[] = [];
    const first = new Map<string, readonly PropertyKey[]>();
    for (const zone of configZones(config.network, config.region)) {
        // The single-zone default (<region>a) is in the region by construction.
        if (zone.name.slice(0, -1) !== config.region) {
            errors.push(`${configKey(zone.keys.name)}: ${show(zone.name)} is not in region ${config.region}`);
            continue;
        }
        const earlier = first.get(zone.name);
        if (earlier) {
            errors.push(`${configKey(zone.keys.name)}: ${show(zone.name)} is listed already as ${networkLabel(earlier)}; nodes spread over distinct zones only, so list each zone once`);
            continue;
        }
        first.set(zone.name, zone.keys.name);
    }
    return errors;
}

const SPREAD_GROUPS = {
    master: { node: "master", nodes: "masters", quorum: "the masters' quorum (Mesos replicated log, ZooKeeper)" },
    quorum: { node: "quorum node", nodes: "quorum nodes", quorum: "the etcd quorum" },
} as const;

/**
 * Spread over two or more zones, the masters and the quorum nodes must each survive the loss of
 * the zone that holds most of them: count - ceil(count/Z) >= floor(count/2) + 1. (With one zone
 * nothing survives its loss: allowed, with a warning, for dev and test stacks.)
 */
function spreadErrors(config: ClusterConfig): string[] {
    const zones = configZones(config.network, config.region);
    const z = zones.length;
    if (z < 2) return [];
    return (["master", "quorum"] as const).flatMap((role) => {
        const count = config.nodes[role].count;
        // An even or out-of-range count is its own rule's to refuse (0, the only count below 1, is even).
        if (count > MAX_ODD_GROUP || count % 2 === 0 || survivesZoneLoss(count, z)) return [];
        const { node, nodes, quorum } = SPREAD_GROUPS[role];
        const most = Math.ceil(count / z);
        const need = Math.floor(count / 2) + 1;
        const moreZones = Array.from({ length: MAX_ZONES - z }, (_, i) => z + 1 + i).find((zz) => survivesZoneLoss(count, zz));
        const moreNodes = Array.from({ length: MAX_ODD_GROUP }, (_, i) => i + 1).find((n) => n > count && n % 2 === 1 && survivesZoneLoss(n, z));
        const fixes = [
            ...(moreZones ? [`list ${moreZones} zones`] : []),
            ...(moreNodes ? [`use ${moreNodes} ${nodes} (nodes.${role}.count: ${moreNodes})`] : []),
            ...(!moreZones && !moreNodes ? [`list 3 zones and use 3 ${nodes}`] : []),
            "list one zone for a dev or test cluster",
        ];
        const what =
            count === 1
                ? `${z} zones, but 1 ${node} sits in one of them (${zones[0].name}): losing that zone loses it, and ${quorum} with it`
                : `${z} zones put ${most} of ${count} ${nodes} in ${zones[0].name} (node N in zone (N-1) mod ${z}); losing that zone leaves ${count - most}, short of ${quorum} of ${need}`;
        return [`${configKey(["network", "zones"])}: ${what}: ${fixes.join(", or ")}`];
    });
}

function zoneWarnings(config: ClusterConfig): string[] {
    const zones = configZones(config.network, config.region);
    const warnings: string[] = [];
    if (zones.length === 1) {
        const key = config.network.zones ? configKey(["network", "zones"]) : configKey(["network"]);
        warnings.push(`${key}: every node is in one availability zone (${zones[0].name}): its outage takes every master and quorum node, and so the whole cluster, down at once; list 3 zones in network.zones for production`);
    } else if (config.network.natGateways === "single") {
        warnings.push(`${configKey(["network", "natGateways"])}: "single" sends every zone's egress through the one NAT gateway in ${zones[0].name}: losing that zone cuts image pulls and all outbound traffic in the others too`);
    }
    return warnings;
}

function borderCountErrors(config: ClusterConfig): string[] {
    const { count } = config.nodes.border;
    return count === 1 ? [] : [`${configKey(["nodes", "border", "count"])}: ${count} must be 1: the border node is the single SSH jump host`];
}

function oddGroupErrors(config: ClusterConfig, role: "quorum" | "master"): string[] {
    const { count } = config.nodes[role];
    // The schema makes count a whole number from 0, and 0 is even.
    if (count <= MAX_ODD_GROUP && count % 2 === 1) return [];
    return [
        `${configKey(["nodes", role, "count"])}: ${count} must be odd, from 1 to ${MAX_ODD_GROUP}: an even ${role} group tolerates no more failures than the odd one below it`,
    ];
}

/**
 * Fixed IPs: planned ones must fit their zone's subnet (checked from the count alone, before a
 * single address is computed), explicit ones must be inside the subnet of the zone their node
 * is placed in, not reserved, and unique (also against the NAT gateways and the DNS forwarder).
 */
function ipErrors(config: ClusterConfig): string[] {
    const zones = parsedZones(config);
    // Overlapping subnets would make every planned address a clash: that is their rule's to say.
    if (!zones || subnetOverlapErrors(config).length > 0) return [];
    const z = zones.length;
    const errors: string[] = [];
    const owners = new Map<string, string>(); // ip -> node name, to name both sides of a clash
    const infra = infraIps(zones, config.network.natGateways);
    for (const nat of infra.natGateways) owners.set(nat.ip, `the NAT gateway of ${nat.zone} (kept by the plan)`);
    for (const forwarder of infra.dnsForwarder) owners.set(forwarder.ip, "the DNS forwarder (kept by the plan)");
    const where = (name: string, zone: string) => (z > 1 ? `, the subnet of ${zone}, where ${name} goes (node N of a role in zone (N-1) mod ${z})` : "");
    for (const role of ROLES) {
        const group = config.nodes[role];
        const kind = subnetOf(role);
        if (group.ips && group.ips.length !== group.count) {
            errors.push(`${configKey(["nodes", role, "ips"])}: has ${group.ips.length} addresses but count is ${group.count}`);
            continue;
        }
        if (!group.ips) {
            // Node N sits at offset + its rank in its zone; the last address is AWS's broadcast.
            const tooMany = zones.flatMap((zone, i) => {
                const subnet = zone[kind];
                const capacity = Math.max(0, subnet.size - 2 - DEFAULT_OFFSETS[role]);
                const inZone = nodesInZone(group.count, z, i);
                if (inZone <= capacity) return [];
                const label = networkLabel(zone.spec.keys[SUBNET_FIELD[kind]]);
                const what = z > 1 ? `${group.count} ${role} nodes put ${inZone} in ${zone.name} (node N in zone (N-1) mod ${z}), which` : `${group.count} ${role} nodes`;
                return [
                    `${configKey(["nodes", role, "count"])}: ${what} do not fit ${label} ${subnet.text}, which holds at most ${capacity} of them (${role}-N at offset ${DEFAULT_OFFSETS[role]}+${z > 1 ? "its rank in its zone" : "N"}, below the broadcast address AWS reserves); use ${z > 1 ? "larger subnets" : "a larger subnet"} or explicit ips`,
                ];
            });
            if (tooMany.length > 0) {
                errors.push(...tooMany);
                continue;
            }
        }
        placeRole(role, group.count, zones, group.ips).forEach(({ zone: zoneIndex, ip }, i) => {
            const zone = zones[zoneIndex];
            const subnet = zone[kind];
            const label = networkLabel(zone.spec.keys[SUBNET_FIELD[kind]]);
            const name = nodeName(role, i + 1);
            const explicit = group.ips !== undefined;
            const key = explicit ? configKey(["nodes", role, "ips", i]) : configKey(["nodes", role, "count"]);
            // Only explicit addresses can fail the next three checks: a planned one is in its
            // subnet and above the reserved four by construction (the capacity check above).
            if (!isIpv4(ip)) {
                errors.push(`${key}: ${show(ip)} is not an IPv4 address`);
                return;
            }
            if (!cidrContainsIp(subnet, ip)) {
                errors.push(`${key}: ${show(ip)} is outside ${label} ${subnet.text}${where(name, zone.name)}`);
                return;
            }
            if (isAwsReserved(subnet, ip)) {
                errors.push(`${key}: ${show(ip)} is reserved by AWS in ${subnet.text} (first four and last address)`);
                return;
            }
            const owner = owners.get(ip);
            if (owner) {
                errors.push(`${key}: ${show(ip)} of ${name} is already the address of ${owner}`);
                return;
            }
            owners.set(ip, name);
        });
    }
    return errors;
}

/**
 * The most addresses adminCidrs may open SSH to, in total after merging overlaps: a /8
 * (16,777,216 addresses). The largest network one organisation's admins plausibly sit in is a
 * private /8 reached over a VPN; anything larger is a slice of the internet (a /8 is already
 * 1/256 of it), and the whole internet split into pieces (0.0.0.0/1 + 128.0.0.0/1) must not
 * pass where 0.0.0.0/0 does not.
 */
export const ADMIN_MAX_ADDRESSES = 2 ** 24;
/** Above this (a /16, 65,536 addresses) adminCidrs pass with a warning. */
export const ADMIN_WARN_ADDRESSES = 2 ** 16;

function parsedAdminCidrs(config: ClusterConfig): { cidr: Cidr; index: number }[] {
    return config.adminCidrs.flatMap((text, index) => {
        const cidr = parseCidr(text);
        return cidr ? [{ cidr, index }] : [];
    });
}

/** Addresses covered by the union of the CIDRs (overlaps counted once). */
function coveredAddresses(cidrs: readonly Cidr[]): number {
    const sorted = [...cidrs].sort((a, b) => a.network - b.network);
    let total = 0;
    let end = -1; // one past the last address counted so far
    for (const cidr of sorted) {
        const last = cidr.network + cidr.size;
        if (last <= end) continue;
        total += last - Math.max(cidr.network, end);
        end = last;
    }
    return total;
}

function adminCidrErrors(config: ClusterConfig): string[] {
    const errors: string[] = [];
    const accepted: { cidr: Cidr; index: number }[] = [];
    config.adminCidrs.forEach((text, i) => {
        const key = configKey(["adminCidrs", i]);
        const cidr = parseCidr(text);
        if (!cidr) {
            errors.push(`${key}: ${show(text)} is not an IPv4 CIDR like 203.0.113.0/24`);
            return;
        }
        if (cidr.prefix === 0) {
            errors.push(`${key}: ${show(text)} opens SSH to the whole internet; list your admin networks`);
            return;
        }
        if (cidr.size > ADMIN_MAX_ADDRESSES) {
            errors.push(`${key}: ${show(text)} opens SSH to ${cidr.size} addresses, more than a /8; list your admin networks`);
            return;
        }
        const same = accepted.find((a) => a.cidr.network === cidr.network && a.cidr.prefix === cidr.prefix);
        if (same) {
            errors.push(`${key}: ${show(text)} duplicates adminCidrs[${same.index}]; EC2 refuses the second identical rule, but only at pulumi up`);
            return;
        }
        const overlap = accepted.find((a) => cidrsOverlap(a.cidr, cidr));
        if (overlap) {
            errors.push(`${key}: ${show(text)} overlaps adminCidrs[${overlap.index}] ${overlap.cidr.text}; list each network once`);
            return;
        }
        accepted.push({ cidr, index: i });
    });
    const total = coveredAddresses(accepted.map((a) => a.cidr));
    if (total > ADMIN_MAX_ADDRESSES) {
        errors.push(
            `${configKey(["adminCidrs"])}: together open SSH to ${total} addresses, more than a /8 (${ADMIN_MAX_ADDRESSES}); the internet split into pieces is still the internet: list your admin networks`,
        );
    }
    return errors;
}

function adminCidrWarnings(config: ClusterConfig): string[] {
    const key = configKey(["adminCidrs"]);
    if (config.adminCidrs.length === 0) {
        return [`${key}: is empty, so no network may SSH to the border; the post-step commands (run where pulumi runs, through the border) will not connect`];
    }
    const total = coveredAddresses(parsedAdminCidrs(config).map((p) => p.cidr));
    if (total > ADMIN_WARN_ADDRESSES && total <= ADMIN_MAX_ADDRESSES) {
        return [`${key}: opens SSH on the border to ${total} addresses, more than a /16; every one of them can try to log in`];
    }
    return [];
}

function preferredLeaderErrors(config: ClusterConfig): string[] {
    const { preferredLeader } = config;
    if (preferredLeader === "") return [];
    const masters = Array.from({ length: Math.min(config.nodes.master.count, MAX_ODD_GROUP) }, (_, i) => nodeName("master", i + 1));
    if (!masters.includes(preferredLeader)) {
        return [`${configKey(["preferredLeader"])}: ${show(preferredLeader)} is not a master; choose one of ${masters.join(", ")} or "" for none`];
    }
    return [];
}

/** Key types the nodes accept and @pulumi/command can log in with; sshpk's name for each. */
const PUBLIC_KEY_TYPES: Readonly<Record<string, string>> = {
    "ssh-ed25519": "ed25519",
    "ssh-rsa": "rsa",
    "ecdsa-sha2-nistp256": "ecdsa",
    "ecdsa-sha2-nistp384": "ecdsa",
    "ecdsa-sha2-nistp521": "ecdsa",
};
const REFUSED_KEY_TYPES: Readonly<Record<string, string>> = {
    "ssh-dss": "DSA keys are refused: OpenSSH no longer accepts them",
    "sk-ssh-ed25519@openssh.com": "security-key (FIDO) keys need the token at every login, which the post-step commands cannot touch",
    "sk-ecdsa-sha2-nistp256@openssh.com": "security-key (FIDO) keys need the token at every login, which the post-step commands cannot touch",
};
const MIN_RSA_BITS = 2048;

/** The type word inside an OpenSSH public key blob (a length-prefixed string), if any. */
function blobType(blob: Buffer): string | undefined {
    if (blob.length < 4) return undefined;
    const length = blob.readUInt32BE(0);
    if (length < 1 || length > 64 || blob.length < 4 + length) return undefined;
    return blob.subarray(4, 4 + length).toString("latin1");
}

/** Decodes the key: a known type, a blob of that same type that parses, a safe size. */
function publicKeyErrors(config: ClusterConfig): string[] {
    const key = configKey(["sshPublicKey"]);
    const [type, base64] = config.sshPublicKey.split(" ");
    if (REFUSED_KEY_TYPES[type]) return [`${key}: ${type}: ${REFUSED_KEY_TYPES[type]}; use ed25519, ecdsa or RSA of at least ${MIN_RSA_BITS} bits`];
    if (!PUBLIC_KEY_TYPES[type]) return [`${key}: ${show(type)} is not an SSH key type; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa`];
    const inside = blobType(Buffer.from(base64, "base64"));
    if (inside === undefined) return [`${key}: the ${type} key does not decode: its base64 blob is truncated or corrupt`];
    if (inside !== type) return [`${key}: says ${type} but its blob holds a ${show(inside)} key; copy the line from the .pub file whole`];
    let parsed: sshpk.Key;
    try {
        parsed = sshpk.parseKey(`${type} ${base64}`, "ssh");
    } catch {
        return [`${key}: the ${type} key does not decode: its base64 blob is truncated or corrupt`];
    }
    if (parsed.type === "rsa" && parsed.size < MIN_RSA_BITS) {
        return [`${key}: is an RSA key of ${parsed.size} bits; RSA keys need at least ${MIN_RSA_BITS} bits (or use ed25519)`];
    }
    return [];
}

/** Image keys some node pulls at first boot (roles with nodes, opt-ins as configured). */
function pulledImageKeys(config: ClusterConfig): Set<ImageKey> {
    return new Set(ROLES.filter((role) => config.nodes[role].count > 0).flatMap((role) => roleImageKeys(role, { vpn: config.vpn.enabled })));
}

/** Pulled images on Docker Hub, split into the catalog's defaults and the operator's overrides. */
function dockerHubImages(config: ClusterConfig): { defaults: ImageKey[]; overrides: ImageKey[] } {
    const keys = [...pulledImageKeys(config)].filter((key) => isDockerHubImage(config.images[key]));
    return {
        defaults: keys.filter((key) => config.images[key] === DEFAULT_IMAGES[key]),
        overrides: keys.filter((key) => config.images[key] !== DEFAULT_IMAGES[key]),
    };
}

const DOCKER_HUB_LIMIT = `Docker Hub allows ${DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR} anonymous pulls per hour per IP address, and every private node pulls through the NAT gateway's one address`;

/**
 * The catalog's Docker-Hub-only images go through the ECR pull-through cache, which needs the
 * operator's Docker Hub credential: without it those services cannot start in any useful time.
 */
function dockerHubErrors(config: ClusterConfig): string[] {
    const { defaults } = dockerHubImages(config);
    if (config.dockerHub || defaults.length === 0) return [];
    const key = configKey(["dockerHub"]);
    const images = defaults.map((k) => `images.${k} (${config.images[k]})`).join(", ");
    return [
        `${key}: is required: ${images} exist only on Docker Hub and are pulled through the cluster's ECR pull-through cache, which needs a Docker Hub username and access token (${DOCKER_HUB_LIMIT}, so no node pulls from it anonymously): pulumi config set --path ${key}.username NAME && pulumi config set --secret --path ${key}.accessToken < TOKEN_FILE; or override those images.<key> with a registry that serves them`,
    ];
}

/** An override to Docker Hub without credentials is allowed, with the limit stated. */
function dockerHubWarnings(config: ClusterConfig): string[] {
    if (config.dockerHub) return [];
    return dockerHubImages(config).overrides.map(
        (k) => `${configKey(["images", k])}: ${show(config.images[k])} is on Docker Hub and ${configKey(["dockerHub"])} is not set, so every node that runs it pulls it anonymously: ${DOCKER_HUB_LIMIT}; set ${configKey(["dockerHub"])} to pull it through the cluster's ECR pull-through cache`,
    );
}

/** The operator's HTTP password: the shortest accepted, and the longest (Mesos and Marathon have no limit; curl config lines do). */
export const OPERATOR_PASSWORD_MIN = 16;
export const OPERATOR_PASSWORD_MAX = 128;

/**
 * A user-supplied credential, checked before anything is created, by name and never echoed:
 * printable ASCII, no separator its readers split on, long enough, not a word made of few
 * characters or one of the names it protects.
 */
function operatorPasswordErrors(config: ClusterConfig): string[] {
    const password = config.httpOperatorPassword;
    if (password === undefined) return [];
    const key = configKey(["httpOperatorPassword"]);
    const fix = `; choose another, or unset it and let the program generate one: pulumi config rm ${key}`;
    if (!SECRET_CHARACTERS.test(password)) return [`${key}: (value hidden) holds characters other than printable ASCII (spaces, tabs, newlines or non-ASCII)${fix}`];
    if (SECRET_FORBIDDEN.test(password)) return [`${key}: (value hidden) holds one of : , " ' \\ which its readers split on or quote with (operator:<password>, Marathon's user:password list, curl config)${fix}`];
    if (password.length < OPERATOR_PASSWORD_MIN) return [`${key}: (value hidden) is ${password.length} characters, shorter than ${OPERATOR_PASSWORD_MIN}${fix}`];
    if (password.length > OPERATOR_PASSWORD_MAX) return [`${key}: (value hidden) is longer than ${OPERATOR_PASSWORD_MAX} characters${fix}`];
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((c) => c.test(password)).length;
    if (new Set(password).size < 8 || (classes < 3 && password.length < 24)) {
        return [`${key}: (value hidden) is too weak: use at least 3 of lower case, upper case, digits and symbols (or 24 characters or more), with at least 8 different characters${fix}`];
    }
    const lower = password.toLowerCase();
    const names = ["operator", "password", "marathon", "mesos", config.clusterId].filter((name) => name.length >= 4);
    const named = names.find((name) => lower.includes(name));
    if (named) return [`${key}: (value hidden) contains ${show(named)}, a name anyone would try first${fix}`];
    return [];
}

/** Every key the zones are read from: a shape error in any of them skips the zone rules. */
const ZONE_NEEDS = ["region", "network.zones", ...SINGLE_ZONE_KEYS.map((key) => `network.${key}`)];

export const RULES: readonly Rule[] = [
    { needs: ["domain", "nodes.worker.count"], errors: domainErrors },
    {
        needs: ["network.vpcCidr"],
        errors: (config) => {
            const problem = cidrProblem(config.network.vpcCidr);
            return problem ? [`${configKey(["network", "vpcCidr"])}: ${problem}`] : [];
        },
    },
    { needs: ZONE_NEEDS, errors: mixedShapeErrors },
    { needs: ZONE_NEEDS, errors: subnetFormatErrors },
    { needs: ["network.vpcCidr", ...ZONE_NEEDS], errors: subnetsInVpc },
    { needs: ZONE_NEEDS, errors: subnetOverlapErrors },
    { needs: ZONE_NEEDS, errors: zoneNameErrors },
    { needs: [...ZONE_NEEDS, "network.natGateways", "nodes.master.count", "nodes.quorum.count"], errors: spreadErrors, warnings: zoneWarnings },
    { needs: ["nodes.border.count"], errors: borderCountErrors },
    { needs: ["nodes.quorum.count"], errors: (config) => oddGroupErrors(config, "quorum") },
    { needs: ["nodes.master.count"], errors: (config) => oddGroupErrors(config, "master") },
    {
        needs: [...ZONE_NEEDS, "network.natGateways", ...ROLES.flatMap((role) => [`nodes.${role}.count`, `nodes.${role}.ips`])],
        errors: ipErrors,
    },
    { needs: ["adminCidrs"], errors: adminCidrErrors, warnings: adminCidrWarnings },
    { needs: ["preferredLeader", "nodes.master.count"], errors: preferredLeaderErrors },
    { needs: ["sshPublicKey"], errors: publicKeyErrors },
    { needs: ["httpOperatorPassword", "clusterId"], errors: operatorPasswordErrors },
    {
        needs: ["dockerHub", "images", "vpn.enabled", ...ROLES.map((role) => `nodes.${role}.count`)],
        errors: dockerHubErrors,
        warnings: dockerHubWarnings,
    },
];

/** Whether a shape error at `path` makes the value at `need` unusable (same, above or below). */
function touches(path: string, need: string): boolean {
    return path === need || path.startsWith(`${need}.`) || need.startsWith(`${path}.`);
}

/** A value that passes the schema for each required key, used only when that key is broken. */
const STAND_INS: Readonly<Record<string, unknown>> = { sshPublicKey: "ssh-ed25519 AAAA" };

/**
 * The raw config with every value the schema refused taken out (defaults fill in), so the rules
 * that do not need those values can still run on a typed config. Arrays go as a whole.
 */
function withoutBrokenValues(raw: RawConfig, issues: readonly z.core.$ZodIssue[]): RawConfig {
    const repaired = structuredClone(raw);
    const remove = (path: readonly PropertyKey[]) => {
        const firstIndex = path.findIndex((part) => typeof part === "number");
        const cut = firstIndex === -1 ? path : path.slice(0, firstIndex);
        const parent = valueAt(repaired, cut.slice(0, -1));
        if (cut.length > 0 && parent !== null && typeof parent === "object") delete (parent as Record<PropertyKey, unknown>)[cut[cut.length - 1]];
    };
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys") issue.keys.forEach((key) => remove([...issue.path, key]));
        else remove(issue.path);
    }
    for (const [key, standIn] of Object.entries(STAND_INS)) if (repaired[key] === undefined) repaired[key] = standIn;
    return repaired;
}

/** Validates raw stack config: every problem is reported, none is fixed up silently. */
export function validateConfig(raw: RawConfig): ValidationResult {
    const parsed = clusterConfigSchema.safeParse(raw);
    let config: ClusterConfig;
    let errors: string[] = [];
    let broken: string[] = [];
    if (parsed.success) {
        config = parsed.data;
    } else {
        errors = shapeErrors(raw, parsed.error);
        broken = parsed.error.issues.filter((issue) => issue.code !== "unrecognized_keys").map((issue) => issue.path.map(String).join("."));
        const repaired = clusterConfigSchema.safeParse(withoutBrokenValues(raw, parsed.error.issues));
        if (!repaired.success) return { ok: false, errors, warnings: [] };
        config = repaired.data;
    }
    const warnings: string[] = [];
    for (const rule of RULES) {
        if (rule.needs.some((need) => broken.some((path) => touches(path, need)))) continue;
        errors.push(...rule.errors(config));
        warnings.push(...(rule.warnings?.(config) ?? []));
    }
    return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, config, warnings };
}
