import { createHash } from "crypto";

/**
 * Where images come from, as pure functions: which registry a reference names (Docker's own
 * rule), which of those is Docker Hub, and how a Docker Hub reference is rewritten to go through
 * the cluster's ECR pull-through cache. Imported by config validation, the plan, the rendering
 * and the pull counting; it imports nothing of theirs.
 */

/** Docker Hub's canonical name; the other names Docker accepts for it. */
export const DOCKER_HUB = "docker.io";
export const DOCKER_HUB_HOSTS: readonly string[] = [DOCKER_HUB, "index.docker.io", "registry-1.docker.io"];
/** The upstream URL an ECR pull-through cache rule for Docker Hub takes. */
export const DOCKER_HUB_UPSTREAM = "registry-1.docker.io";
/**
 * Docker Hub's limit for unauthenticated pulls, per IPv4 address (its usage documentation, in
 * force since April 2025). Every private node pulls through the NAT gateway's one address.
 */
export const DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR = 10;

/**
 * The environment variable that holds the node's own ECR registry host
 * (`<account>.dkr.ecr.<region>.amazonaws.com`). The account id is only known to the engine (an
 * Output), and bundles and user data are rendered before any resource exists, so the node
 * derives it at boot from its instance identity document; units expand it (systemd `${...}`).
 */
export const ECR_REGISTRY_VAR = "ECR_REGISTRY";
/** What a unit's command line holds in place of the registry host of a cached image. */
export const ECR_REGISTRY_REF = `\${${ECR_REGISTRY_VAR}}`;
/** How the plan names the node's own ECR registry, whose account it does not know. */
export const ECR_REGISTRY_LABEL = (region: string) => `<account>.dkr.ecr.${region}.${awsDnsSuffix(region)}`;

/** An image reference split the way Docker splits it. */
export interface ImageRef {
    /** The registry host (with port) the node contacts; `docker.io` for Docker Hub. */
    readonly registry: string;
    /** The repository path; Docker Hub's official images carry their implicit `library/`. */
    readonly repository: string;
    /** `:tag`, `@sha256:...` or both, as written. */
    readonly reference: string;
}

/**
 * Docker's rule (distribution/reference): the first path component is a registry host when it
 * contains a `.` or a `:`, or is `localhost`; otherwise the whole name is on Docker Hub, and a
 * name of one component is an official image under `library/`.
 */
export function parseImage(image: string): ImageRef {
    const at = image.indexOf("@");
    const beforeDigest = at === -1 ? image : image.slice(0, at);
    const digest = at === -1 ? "" : image.slice(at);
    const slash = beforeDigest.indexOf("/");
    const first = slash === -1 ? "" : beforeDigest.slice(0, slash);
    const hasHost = slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost");
    const registry = hasHost ? first : DOCKER_HUB;
    const rest = hasHost ? beforeDigest.slice(slash + 1) : beforeDigest;
    const colon = rest.lastIndexOf(":");
    const name = colon === -1 ? rest : rest.slice(0, colon);
    const tag = colon === -1 ? "" : rest.slice(colon);
    const dockerHub = isDockerHubHost(registry);
    const repository = dockerHub && !name.includes("/") ? `library/${name}` : name;
    return { registry: dockerHub ? DOCKER_HUB : registry, repository, reference: `${tag}${digest}` };
}

export function isDockerHubHost(host: string): boolean {
    return DOCKER_HUB_HOSTS.includes(host.toLowerCase());
}

export function isDockerHubImage(image: string): boolean {
    return parseImage(image).registry === DOCKER_HUB;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(-[a-z]+)+-\d)\.amazonaws\.com(\.cn)?$/;
const IPV4_LIKE = /^\d+(\.\d+)*$/;

/**
 * Why a registry host (with optional port) is malformed, if it is: the reference grammar lets
 * through ports above 65535, over-long labels, dotted numbers that are no IPv4 address and ECR
 * hosts without a 12-digit account or a region; Docker would fail on each at pull time.
 */
export function registryHostProblem(hostWithPort: string): string | undefined {
    const colon = hostWithPort.lastIndexOf(":");
    const host = colon === -1 ? hostWithPort : hostWithPort.slice(0, colon);
    if (colon !== -1) {
        const port = Number(hostWithPort.slice(colon + 1));
        if (!Number.isInteger(port) || port < 1 || port > 65535) return `its registry port ${hostWithPort.slice(colon + 1)} is not a TCP port (1-65535)`;
    }
    if (host.length > 253) return "its registry host is longer than 253 characters";
    const labels = host.split(".");
    if (labels.some((label) => label.length > 63)) return "its registry host has a label longer than 63 characters";
    if (IPV4_LIKE.test(host) && (labels.length !== 4 || labels.some((label) => Number(label) > 255 || (label.length > 1 && label.startsWith("0"))))) {
        return `its registry host ${host} is neither an IPv4 address nor a DNS name`;
    }
    if (/(^|\.)dkr\.ecr[.-]/.test(host.toLowerCase()) && !ECR_HOST.test(host)) {
        return `its registry host ${host} is not an ECR registry like 123456789012.dkr.ecr.eu-west-1.amazonaws.com`;
    }
    return undefined;
}

/** `amazonaws.com`, or `amazonaws.com.cn` in the China regions. */
export function awsDnsSuffix(region: string): string {
    return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** The ARN partition of a region. */
export function awsPartition(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

/** ECR's limits on a pull-through cache rule's repository prefix. */
export const ECR_PREFIX_MAX = 30;
export const ECR_PREFIX = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * The cluster's repository prefix in ECR for the Docker Hub cache: `<clusterId>-dockerhub`
 * when that fits ECR's 30 characters (clusterId up to 20), else a shortened id and a hash of the
 * whole one, so two clusters in one account never share a prefix. Runs of `-` collapse: ECR's
 * pattern refuses two separators in a row, which clusterIds allow.
 */
export function dockerHubCachePrefix(clusterId: string): string {
    const id = clusterId.replace(/-+/g, "-");
    const plain = `${id}-dockerhub`;
    if (plain.length <= ECR_PREFIX_MAX) return plain;
    const hash = createHash("sha256").update(clusterId).digest("hex").slice(0, 6);
    return `${id.slice(0, ECR_PREFIX_MAX - 10).replace(/-+$/, "")}-${hash}-dh`;
}

/** Where the cluster's Docker Hub images come from: the cache, when credentials exist. */
export interface RegistryPlan {
    readonly region: string;
    /** The pull-through cache for Docker Hub; absent without Docker Hub credentials. */
    readonly dockerHubCache?: { readonly prefix: string };
}

/** Docker Hub images go through the cache when there is one; everything else stays. */
export function viaCache(image: string, registry: RegistryPlan): boolean {
    return registry.dockerHubCache !== undefined && isDockerHubImage(image);
}

/**
 * The reference a node pulls: a Docker Hub image through the cache becomes
 * `${ECR_REGISTRY}/<prefix>/<repository><tag>` (official images keep `library/`, as ECR's cache
 * for Docker Hub requires); every other image is pulled as written.
 */
export function pullReference(image: string, registry: RegistryPlan): string {
    if (!viaCache(image, registry)) return image;
    const ref = parseImage(image);
    return `${ECR_REGISTRY_REF}/${registry.dockerHubCache!.prefix}/${ref.repository}${ref.reference}`;
}

/** The registry the node contacts for `image`, as the plan names it. */
export function pullRegistry(image: string, registry: RegistryPlan): string {
    return viaCache(image, registry) ? ECR_REGISTRY_LABEL(registry.region) : parseImage(image).registry;
}
