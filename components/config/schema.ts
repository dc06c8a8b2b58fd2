import { z } from "zod";
import { DEFAULT_IMAGES } from "../catalog/services";
import { DEFAULTS } from "./defaults";

// The shape of the stack config, with defaults. Only types and per-field formats live here;
// rules that relate fields to each other (IPs in subnets, duplicates, preferredLeader) are in
// validate.ts, which reports every problem at once.

const CLUSTER_ID = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
// Docker reference [registry[:port]/]path:tag or ...@sha256:digest, in the distribution
// grammar: one word with no shell, YAML or systemd metacharacters (it is placed raw in an
// ExecStart). A tag or digest is required: an unpinned image would change under a running
// cluster on the next restart.
const IMAGE_NAME = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_REGISTRY = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?";
const IMAGE = new RegExp(
    `^${IMAGE_REGISTRY}${IMAGE_NAME}(?:/${IMAGE_NAME})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$`,
);
const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._+-]{1,64})?$/;
const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

const roleNodes = (defaults: { count: number; instanceType: string; rootVolumeGiB: number }) =>
    z
        .strictObject({
            count: z.number().int().min(0).default(defaults.count),
            instanceType: z
                .string()
                .trim()
                .min(1, "must not be empty")
                .regex(INSTANCE_TYPE, "is not an EC2 instance type like m5.large")
                .default(defaults.instanceType),
            ips: z.array(z.string()).optional(),
            rootVolumeGiB: z.number().int().min(8).max(16384).default(defaults.rootVolumeGiB),
        })
        .prefault({});

const imagesShape = Object.fromEntries(
    Object.entries(DEFAULT_IMAGES).map(([service, image]) => [
        service,
        z.string().regex(IMAGE, "is not a pinned image reference like name:tag or name@sha256:<digest>").default(image),
    ]),
) as { [K in keyof typeof DEFAULT_IMAGES]: z.ZodDefault<z.ZodString> };

export const clusterConfigSchema = z.strictObject({
    region: z.string().regex(REGION, "is not an AWS region like eu-west-1").default(DEFAULTS.region),
    clusterId: z.string().regex(CLUSTER_ID, "must be 2-32 of a-z, 0-9 and '-', starting with a letter").default(DEFAULTS.clusterId),
    domain: z.string().default(DEFAULTS.domain),
    network: z
        .strictObject({
            vpcCidr: z.string().default(DEFAULTS.network.vpcCidr),
            publicSubnetCidr: z.string().default(DEFAULTS.network.publicSubnetCidr),
            privateSubnetCidr: z.string().default(DEFAULTS.network.privateSubnetCidr),
            availabilityZone: z.string().regex(AZ, "is not an availability zone like eu-west-1a").optional(),
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
    sshUser: z.string().regex(UNIX_USER, "is not a Unix user name").default(DEFAULTS.sshUser),
    preferredLeader: z.string().default(DEFAULTS.preferredLeader),
    ami: z
        .strictObject({
            id: z.string().regex(AMI_ID, "is not an AMI id like ami-0123456789abcdef0").optional(),
            owner: z.string().regex(/^\d{12}$|^(amazon|self|aws-marketplace)$/, "is not an AWS account id").default(DEFAULTS.ami.owner),
            namePattern: z.string().min(1, "must not be empty").default(DEFAULTS.ami.namePattern),
        })
        .prefault({}),
    images: z.strictObject(imagesShape).prefault({}),
    vpn: z.strictObject({ enabled: z.boolean().default(DEFAULTS.vpn.enabled) }).prefault({}),
});

export type ClusterConfig = z.output<typeof clusterConfigSchema>;
export type RoleNodesConfig = ClusterConfig["nodes"]["master"];
