import { z } from "zod";
import { cidrContainsCidr, cidrContainsIp, cidrsOverlap, Cidr, isAwsReserved, isIpv4, parseCidr } from "../plan/ipv4";
import { infraIps, MAX_ODD_GROUP, roleIps, subnetOf } from "../plan/ipPlan";
import { nodeFqdn, nodeName } from "../plan/names";
import { ROLES } from "../catalog/roles";
import { MESOS_DNS_DOMAIN } from "../catalog/dns";
import { ClusterConfig, clusterConfigSchema } from "./schema";

/** The stack's project namespace: config keys are written `mesos-cluster:<key>`. */
export const CONFIG_NAMESPACE = "mesos-cluster";

/**
 * Raw stack config: `mesos-cluster:*` keys without the namespace (objects already parsed from
 * their JSON form), plus `region` taken from `aws:region`.
 */
export type RawConfig = Record<string, unknown>;

export type ValidationResult =
    | { ok: true; config: ClusterConfig }
    | { ok: false; errors: string[] };

/** Thrown with every problem found; `lines` are ready to print as `error: <line>`. */
export class ConfigError extends Error {
    constructor(readonly lines: readonly string[]) {
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

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let current: unknown = raw;
    for (const part of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[part];
    }
    return current;
}

function shapeErrors(raw: RawConfig, error: z.ZodError): string[] {
    return error.issues.flatMap((issue) => {
        const value = valueAt(raw, issue.path);
        if (issue.code === "unrecognized_keys") {
            const isRole = issue.path.length === 1 && issue.path[0] === "nodes";
            return issue.keys.map((key) =>
                isRole
                    ? `${configKey([...issue.path, key])}: unknown role ${show(key)}; roles are ${ROLES.join(", ")}`
                    : `${configKey([...issue.path, key])}: unknown key`,
            );
        }
        if (issue.code === "invalid_type") {
            return value === undefined
                ? [`${configKey(issue.path)}: is required`]
                : [`${configKey(issue.path)}: ${show(value)} is not a ${issue.expected}`];
        }
        return [`${configKey(issue.path)}: ${show(value)} ${issue.message}`];
    });
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function domainErrors(config: ClusterConfig): string[] {
    const { domain } = config;
    const labels = domain.split(".");
    if (labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) {
        return [`${configKey(["domain"])}: ${show(domain)} is not a lower-case DNS domain like cell-1.dc-1.demo.lan`];
    }
    // systemd-resolved sends .local to mDNS, never to the VPC resolver: nodes would not find each other.
    if (domain === "local" || domain.endsWith(".local")) {
        return [`${configKey(["domain"])}: ${show(domain)} ends in .local, which Ubuntu resolves by multicast DNS, not through the private zone; use e.g. cell-1.dc-1.demo.lan`];
    }
    if (domain === MESOS_DNS_DOMAIN || domain.endsWith(`.${MESOS_DNS_DOMAIN}`)) {
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

function cidrErrors(config: ClusterConfig): { errors: string[]; subnets?: { public: Cidr; private: Cidr } } {
    const errors: string[] = [];
    const parsed = (key: "vpcCidr" | "publicSubnetCidr" | "privateSubnetCidr", minPrefix: number) => {
        const text = config.network[key];
        const cidr = parseCidr(text);
        if (!cidr) {
            errors.push(`${configKey(["network", key])}: ${show(text)} is not an IPv4 CIDR like 10.136.0.0/16 (network address, no host bits)`);
            return undefined;
        }
        if (cidr.prefix < minPrefix || cidr.prefix > 28) {
            errors.push(`${configKey(["network", key])}: ${show(text)} must have a prefix from /${minPrefix} to /28 (AWS limits)`);
            return undefined;
        }
        return cidr;
    };
    const vpc = parsed("vpcCidr", 16);
    const pub = parsed("publicSubnetCidr", 16);
    const priv = parsed("privateSubnetCidr", 16);
    if (vpc && pub && !cidrContainsCidr(vpc, pub)) {
        errors.push(`${configKey(["network", "publicSubnetCidr"])}: ${show(pub.text)} is outside vpcCidr ${vpc.text}`);
    }
    if (vpc && priv && !cidrContainsCidr(vpc, priv)) {
        errors.push(`${configKey(["network", "privateSubnetCidr"])}: ${show(priv.text)} is outside vpcCidr ${vpc.text}`);
    }
    if (pub && priv && cidrsOverlap(pub, priv)) {
        errors.push(`${configKey(["network", "privateSubnetCidr"])}: ${show(priv.text)} overlaps publicSubnetCidr ${pub.text}`);
    }
    const az = config.network.availabilityZone;
    if (az && !az.startsWith(config.region)) {
        errors.push(`${configKey(["network", "availabilityZone"])}: ${show(az)} is not in region ${config.region}`);
    }
    return { errors, subnets: pub && priv ? { public: pub, private: priv } : undefined };
}

function countErrors(config: ClusterConfig): string[] {
    const errors: string[] = [];
    const { border, quorum, master } = config.nodes;
    if (border.count !== 1) {
        errors.push(`${configKey(["nodes", "border", "count"])}: ${border.count} must be 1: the border node is the single SSH jump host`);
    }
    for (const [role, group] of [["quorum", quorum], ["master", master]] as const) {
        if (group.count < 1 || group.count > MAX_ODD_GROUP || group.count % 2 === 0) {
            errors.push(
                `${configKey(["nodes", role, "count"])}: ${group.count} must be odd, from 1 to ${MAX_ODD_GROUP}: an even ${role} group tolerates no more failures than the odd one below it`,
            );
        }
    }
    return errors;
}

function ipErrors(config: ClusterConfig, subnets: { public: Cidr; private: Cidr }): string[] {
    const errors: string[] = [];
    const owners = new Map<string, string>(); // ip -> node name, to name both sides of a clash
    const infra = infraIps(subnets.public, subnets.private);
    owners.set(infra.natGateway, "the NAT gateway (kept by the plan)");
    for (const ip of infra.dnsForwarder) owners.set(ip, "the DNS forwarder (kept by the plan)");
    for (const role of ROLES) {
        const group = config.nodes[role];
        const subnetKey = subnetOf(role) === "public" ? "publicSubnetCidr" : "privateSubnetCidr";
        const subnet = subnets[subnetOf(role)];
        if (group.ips && group.ips.length !== group.count) {
            errors.push(`${configKey(["nodes", role, "ips"])}: has ${group.ips.length} addresses but count is ${group.count}`);
            continue;
        }
        const ips = roleIps(role, group.count, subnet, group.ips);
        ips.forEach((ip, i) => {
            const explicit = group.ips !== undefined;
            const key = explicit ? configKey(["nodes", role, "ips", i]) : configKey(["nodes", role, "count"]);
            const what = explicit ? show(ip) : `${group.count} ${role} nodes need ${ip}, which`;
            if (!isIpv4(ip)) {
                errors.push(`${key}: ${show(ip)} is not an IPv4 address`);
                return;
            }
            if (!cidrContainsIp(subnet, ip)) {
                errors.push(`${key}: ${what} is outside ${subnetKey} ${subnet.text}`);
                return;
            }
            if (isAwsReserved(subnet, ip)) {
                errors.push(`${key}: ${what} is reserved by AWS in ${subnet.text} (first four and last address)`);
                return;
            }
            const name = nodeName(role, i + 1);
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

function adminCidrErrors(config: ClusterConfig): string[] {
    return config.adminCidrs.flatMap((text, i) => {
        const cidr = parseCidr(text);
        if (!cidr) return [`${configKey(["adminCidrs", i])}: ${show(text)} is not an IPv4 CIDR like 203.0.113.0/24`];
        if (cidr.prefix === 0) return [`${configKey(["adminCidrs", i])}: ${show(text)} opens SSH to the whole internet; list your admin networks`];
        return [];
    });
}

function preferredLeaderErrors(config: ClusterConfig): string[] {
    const { preferredLeader } = config;
    if (preferredLeader === "") return [];
    const masters = Array.from({ length: config.nodes.master.count }, (_, i) => nodeName("master", i + 1));
    if (!masters.includes(preferredLeader)) {
        return [`${configKey(["preferredLeader"])}: ${show(preferredLeader)} is not a master; choose one of ${masters.join(", ")} or "" for none`];
    }
    return [];
}

/** Validates raw stack config: every problem is reported, none is fixed up silently. */
export function validateConfig(raw: RawConfig): ValidationResult {
    const parsed = clusterConfigSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, errors: shapeErrors(raw, parsed.error) };
    const config = parsed.data;
    const cidrs = cidrErrors(config);
    const errors = [
        ...domainErrors(config),
        ...cidrs.errors,
        ...countErrors(config),
        ...(cidrs.subnets ? ipErrors(config, cidrs.subnets) : []),
        ...adminCidrErrors(config),
        ...preferredLeaderErrors(config),
    ];
    return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
