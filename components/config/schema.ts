import { z } from "zod";
import { DEFAULT_IMAGES } from "../catalog/services";
import { registryHostProblem } from "../registry/images";
import { DEFAULTS } from "./defaults";

// The shape of the stack config, with defaults. Only types and per-field formats live here;
// rules that relate fields to each other (IPs in subnets, duplicates, preferredLeader) are in
// validate.ts, which reports every problem at once.

const CLUSTER_ID = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
// EC2's list of types changes every few months, so this is a shape, not a list: a family with a
// generation digit (m5, m7i-flex, c6gn, mac2-m2pro, u-6tb1, u7i-12tb, mac-m4) and a size EC2
// actually uses (nano ... 48xlarge, metal, metal-24xl). It refuses typos like m5.larg.
const INSTANCE_TYPE = /^(?=[a-z-]*\d)[a-z]+\d*[a-z]*(-[a-z0-9]+)*\.(nano|micro|small|medium|large|([1-9]\d{0,2})?xlarge|metal(-[1-9]\d{0,2}xl)?)$/;
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
// Docker reference [registry[:port]/]path:tag or ...@sha256:digest, in the distribution
// grammar: one word with no shell, YAML or systemd metacharacters (it is placed raw in an
// ExecStart). A tag or digest is required: an unpinned image would change under a running
// cluster on the next restart.
const IMAGE_NAME = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
// Docker's rule: the first component is a registry host only when it has a dot or a port, or is
// localhost; otherwise it is a Docker Hub namespace (`mesosphere/...`).
const IMAGE_REGISTRY = "(?<registry>(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+(?::[0-9]+)?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9]+|localhost)/)?";
const IMAGE = new RegExp(
    `^${IMAGE_REGISTRY}${IMAGE_NAME}(?:/${IMAGE_NAME})*(?<tag>:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?<digest>@sha256:[0-9a-f]{64})?$`,
);

/** Refuses what is not a reference, and references that are not pinned (no tag, or `latest`). */
function imageProblem(image: string): string | undefined {
    const match = IMAGE.exec(image);
    if (!match) return "is not an image reference like name:tag or name@sha256:<digest> (one word, no spaces or specifiers)";
    const host = match.groups?.registry?.slice(0, -1);
    const hostProblem = host === undefined ? undefined : registryHostProblem(host);
    if (hostProblem) return `is refused: ${hostProblem}`;
    const { tag, digest } = match.groups ?? {};
    if (digest) return undefined;
    if (!tag) return "is not a pinned image reference like name:tag or name@sha256:<digest>: no tag means latest, which changes under a running cluster";
    if (tag === ":latest") return "is tagged latest, which changes under a running cluster on the next restart; pin a version tag or a digest";
    return undefined;
}
// One line: a type word, a base64 blob, an optional comment. Which types are accepted, and that
// the blob decodes to a key of that type and a safe size, is checked in validate.ts.
const SSH_PUBLIC_KEY = /^[a-z][a-z0-9.@-]{2,63} [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._+-]{1,64})?$/;
const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
// A Docker ID: 4-30 lower-case letters and digits (Docker Hub's rule for usernames).
const DOCKER_ID = /^[a-z0-9]{4,30}$/;

/** The most zones `network.zones` may list: no AWS region has more (us-east-1 has 6). */
export const MAX_ZONES = 6;
export const NAT_GATEWAY_MODES = ["perZone", "single"] as const;
export type NatGatewayMode = (typeof NAT_GATEWAY_MODES)[number];

/**
 * The most nodes any one role may ask for: what the largest subnet this stack accepts (/16)
 * holds. Bounding the count here, before any rule or plan allocates per node, keeps an absurd
 * count (1e9) a one-line refusal; the subnet's real capacity is checked in validate.ts.
 */
export const MAX_NODES_PER_ROLE = 65536;

const roleNodes = (defaults: { count: number; instanceType: string; rootVolumeGiB: number }) =>
    z
        .strictObject({
            count: z
                .number()
                .int("is not a whole number")
                .min(0, "must not be negative")
                .max(MAX_NODES_PER_ROLE, `is more than ${MAX_NODES_PER_ROLE}, more nodes than the largest subnet allowed (/16) holds`)
                .default(defaults.count),
            instanceType: z
                .string()
                .trim()
                .min(1, "must not be empty")
                .regex(INSTANCE_TYPE, "is not an EC2 instance type: expected family.size like m5.large, c6gn.16xlarge or m7i-flex.large")
                .default(defaults.instanceType),
            ips: z.array(z.string()).optional(),
            rootVolumeGiB: z.number().int().min(8).max(16384).default(defaults.rootVolumeGiB),
        })
        .prefault({});

const imagesShape = Object.fromEntries(
    Object.entries(DEFAULT_IMAGES).map(([service, image]) => [
        service,
        z
            .string()
            .superRefine((value, ctx) => {
                const problem = imageProblem(value);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .default(image),
    ]),
) as { [K in keyof typeof DEFAULT_IMAGES]: z.ZodDefault<z.ZodString> };

export const clusterConfigSchema = z.strictObject({
    region: z.string().regex(REGION, "is not an AWS region like eu-west-1").default(DEFAULTS.region),
    clusterId: z.string().regex(CLUSTER_ID, "must be 2-32 of a-z, 0-9 and '-', starting with a letter").default(DEFAULTS.clusterId),
    domain: z.string().default(DEFAULTS.domain),
    network: z
        .strictObject({
            vpcCidr: z.string().default(DEFAULTS.network.vpcCidr),
            // Zones, each with its own pair of subnets; nodes go round-robin over them. Without
            // the list, the single-zone keys below describe one zone (defaults: one zone).
            zones: z
                .array(
                    z.strictObject({
                        name: z.string().regex(AZ, "is not an availability zone like eu-west-1a"),
                        publicSubnetCidr: z.string(),
                        privateSubnetCidr: z.string(),
                    }),
                )
                .min(1, "must list at least one zone")
                .max(MAX_ZONES, `lists more than ${MAX_ZONES} zones, more than any AWS region has`)
                .optional(),
            // The single-zone shape; refused beside `zones` (validate.ts), defaults in zones.ts.
            publicSubnetCidr: z.string().optional(),
            privateSubnetCidr: z.string().optional(),
            availabilityZone: z.string().regex(AZ, "is not an availability zone like eu-west-1a").optional(),
            natGateways: z
                .enum(NAT_GATEWAY_MODES, { error: `must be "perZone" (a NAT gateway in each zone) or "single" (one, in the first zone)` })
                .default(DEFAULTS.network.natGateways),
        })
        .prefault({}),
    nodes: z
        .strictObject({
            border: roleNodes(DEFAULTS.nodes.border),
            quorum: roleNodes(DEFAULTS.nodes.quorum),
            master: roleNodes(DEFAULTS.nodes.master),
            worker: roleNodes(DEFAULTS.nodes.worker),
        })
        .prefault({}),
    adminCidrs: z.array(z.string()).default([...DEFAULTS.adminCidrs]),
    sshPublicKey: z.string().regex(SSH_PUBLIC_KEY, "is not a single-line OpenSSH public key (ssh-ed25519 AAAA... [comment])"),
    sshUser: z
        .string()
        .regex(UNIX_USER, "is not a Unix user name")
        .refine((user) => user !== "root", "is refused: the nodes disable root SSH logins (PermitRootLogin no), so every post-step would fail; use the image's user, ubuntu")
        .default(DEFAULTS.sshUser),
    preferredLeader: z.string().default(DEFAULTS.preferredLeader),
    ami: z
        .strictObject({
            id: z.string().regex(AMI_ID, "is not an AMI id like ami-0123456789abcdef0").optional(),
            owner: z.string().regex(/^\d{12}$|^(amazon|self|aws-marketplace)$/, "is not an AWS account id").default(DEFAULTS.ami.owner),
            namePattern: z.string().min(1, "must not be empty").default(DEFAULTS.ami.namePattern),
        })
        .prefault({}),
    images: z.strictObject(imagesShape).prefault({}),
    /**
     * Docker Hub credentials for the cluster's ECR pull-through cache, a Pulumi secret as a
     * whole (load.ts checks that and reads it as a secret Output; the plan keeps only whether it
     * is set). Never echoed: shapeErrors hides the token's value.
     */
    dockerHub: z
        .strictObject({
            username: z.string().regex(DOCKER_ID, "is not a Docker ID (4-30 lower-case letters and digits)"),
            accessToken: z.string().min(1, "must not be empty"),
        })
        .optional(),
    vpn: z.strictObject({ enabled: z.boolean().default(DEFAULTS.vpn.enabled) }).prefault({}),
    /**
     * The HTTP operator's password (Marathon's API, Mesos's read-write endpoints, user
     * `operator`), a Pulumi secret; optional: without it the program generates one. Its strength
     * is validate.ts's to check (operatorPasswordErrors); never echoed.
     */
    httpOperatorPassword: z.string().optional(),
});

export type ClusterConfig = z.output<typeof clusterConfigSchema>;
export type RoleNodesConfig = ClusterConfig["nodes"]["master"];
