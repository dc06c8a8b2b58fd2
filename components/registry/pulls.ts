import { ROLES, Role } from "../catalog/roles";
import { roleImageKeys } from "../catalog/services";
import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { DOCKER_HUB, DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR, pullRegistry, viaCache } from "./images";

/**
 * How many pulls first boot makes from each registry, per public address the nodes leave
 * through: pure, from the plan. Each node pulls each image of its role's units once (workers
 * also the docker CLI their agent image is built from).
 */

/** Registries that limit pulls per client address, per hour (only anonymous Docker Hub). */
export const PER_ADDRESS_LIMITS: Readonly<Record<string, number>> = { [DOCKER_HUB]: DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR };

export interface PullRow {
    /**
     * The private address of what the pulls leave through, as the plan fixes it: the NAT gateway
     * for the private subnet, the node itself for a public one (the border, with its own Elastic
     * IP). Each stands for one public address.
     */
    readonly natAddress: string;
    /** `nat-gateway`, or the public node's name. */
    readonly via: string;
    readonly registry: string;
    readonly pulls: number;
    /** The registry's limit for one address, per hour, where it has one. */
    readonly limitPerHour?: number;
}

/** The images (as configured) a node of `role` pulls at first boot. */
export function roleImages(plan: ClusterPlan, role: Role): string[] {
    return [...new Set(roleImageKeys(role, { vpn: plan.vpn }).map((key) => plan.images[key]))];
}

/**
 * Where a node's pulls leave the VPC: the border through its own address; a private node through
 * its zone's NAT gateway (or the one shared gateway).
 */
function egressOf(plan: ClusterPlan, node: PlannedNode): { natAddress: string; via: string } {
    if (node.subnet === "public") return { natAddress: node.privateIp, via: node.name };
    const nats = plan.infra.natGateways;
    const nat = nats.find((n) => n.zone === node.availabilityZone) ?? nats[0];
    return { natAddress: nat.ip, via: `nat-gateway ${nat.zone}` };
}

export function firstBootPulls(plan: ClusterPlan): PullRow[] {
    const counts = new Map<string, { natAddress: string; via: string; registry: string; pulls: number }>();
    const perRole = new Map(ROLES.map((role) => [role, roleImages(plan, role).map((image) => pullRegistry(image, plan.registry))]));
    for (const node of plan.nodes) {
        const egress = egressOf(plan, node);
        for (const registry of perRole.get(node.role)!) {
            const key = `${egress.natAddress} ${registry}`;
            const row = counts.get(key) ?? { ...egress, registry, pulls: 0 };
            row.pulls += 1;
            counts.set(key, row);
        }
    }
    return [...counts.values()].map((row) => (PER_ADDRESS_LIMITS[row.registry] === undefined ? row : { ...row, limitPerHour: PER_ADDRESS_LIMITS[row.registry] }));
}

/** One line per address and registry asked for more than it allows an address in an hour. */
export function pullWarnings(rows: readonly PullRow[]): string[] {
    return rows
        .filter((row) => row.limitPerHour !== undefined && row.pulls > row.limitPerHour)
        .map(
            (row) =>
                `first boot pulls ${row.pulls} images from ${row.registry} through ${row.natAddress} (${row.via}), more than the ${row.limitPerHour} per hour it allows one address: ` +
                `about ${Math.ceil(row.pulls / row.limitPerHour!)} hours before the last unit starts; set mesos-cluster:dockerHub to pull through the ECR cache`,
        );
}

/**
 * The roles whose instance profiles may pull through the cache: those with an image that goes
 * through it, and the workers always when there is a cache (their tasks' images may).
 */
export function cacheRoles(plan: ClusterPlan): Role[] {
    if (!plan.registry.dockerHubCache) return [];
    return ROLES.filter((role) => role === "worker" || roleImages(plan, role).some((image) => viaCache(image, plan.registry)));
}

/** Distinct images the cache fetches from Docker Hub on first use (one authenticated pull each). */
export function cacheUpstreamImages(plan: ClusterPlan): string[] {
    const roles = ROLES.filter((role) => plan.nodes.some((node) => node.role === role));
    return [...new Set(roles.flatMap((role) => roleImages(plan, role)).filter((image) => viaCache(image, plan.registry)))];
}
