import type { ClusterConfig } from "../config/schema";
import { DEFAULTS } from "../config/defaults";

/**
 * The availability zones of a config, each with its public and private subnet. `network.zones`
 * lists them; without it the single-zone keys (`network.publicSubnetCidr`,
 * `network.privateSubnetCidr`, `network.availabilityZone`) describe one zone, which plans
 * exactly the addresses the program planned before zones existed.
 */
export interface ZoneSpec {
    readonly name: string;
    readonly publicSubnetCidr: string;
    readonly privateSubnetCidr: string;
    /** Config paths (under `network`) of this zone's keys, for error lines. */
    readonly keys: { readonly name: readonly PropertyKey[]; readonly publicSubnetCidr: readonly PropertyKey[]; readonly privateSubnetCidr: readonly PropertyKey[] };
}

/** The single-zone keys: refused beside `network.zones`. */
export const SINGLE_ZONE_KEYS = ["publicSubnetCidr", "privateSubnetCidr", "availabilityZone"] as const;

export function configZones(network: ClusterConfig["network"], region: string): ZoneSpec[] {
    if (network.zones) {
        return network.zones.map((zone, i) => ({
            ...zone,
            keys: {
                name: ["network", "zones", i, "name"],
                publicSubnetCidr: ["network", "zones", i, "publicSubnetCidr"],
                privateSubnetCidr: ["network", "zones", i, "privateSubnetCidr"],
            },
        }));
    }
    return [
        {
            name: network.availabilityZone ?? `${region}a`,
            publicSubnetCidr: network.publicSubnetCidr ?? DEFAULTS.network.publicSubnetCidr,
            privateSubnetCidr: network.privateSubnetCidr ?? DEFAULTS.network.privateSubnetCidr,
            keys: {
                name: ["network", "availabilityZone"],
                publicSubnetCidr: ["network", "publicSubnetCidr"],
                privateSubnetCidr: ["network", "privateSubnetCidr"],
            },
        },
    ];
}

// Round-robin placement: node N of a role (N from 1) sits in zone (N-1) mod Z, as the
// (N-1) div Z + 1-th node of that role in that zone. With one zone, node N is the N-th.

/** The 0-based zone of node `index` (1-based) of a role. */
export function zoneOfNode(index: number, zoneCount: number): number {
    return (index - 1) % zoneCount;
}

/** The node's rank among its role's nodes in its own zone, from 1. */
export function rankInZone(index: number, zoneCount: number): number {
    return Math.floor((index - 1) / zoneCount) + 1;
}

/**
 * How many of `count` nodes of a role the round-robin puts in zone `zone` (0-based, below
 * `zoneCount`): the nodes at zone, zone + Z, ... below count. With count <= zone the floor is
 * -1 and the result 0, so no guard is needed.
 */
export function nodesInZone(count: number, zoneCount: number, zone: number): number {
    return Math.floor((count - 1 - zone) / zoneCount) + 1;
}

/**
 * Whether the loss of the zone holding the most of `count` members over `zoneCount` zones
 * leaves a quorum (a strict majority): count - ceil(count/Z) >= floor(count/2) + 1.
 */
export function survivesZoneLoss(count: number, zoneCount: number): boolean {
    return count - Math.ceil(count / zoneCount) >= Math.floor(count / 2) + 1;
}
