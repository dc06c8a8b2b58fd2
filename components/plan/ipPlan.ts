import { addressAt, Cidr } from "./ipv4";
import type { Role } from "../catalog/roles";
import { rankInZone, zoneOfNode } from "./zones";

/**
 * Default fixed-IP layout: node N of a role sits at `offset + N` inside its subnet, so
 * master-1 is 10.136.64.11 in 10.136.64.0/18 (seed 000). Ranges are disjoint for the
 * allowed counts (border 1, quorum and master at most 9), and workers get the rest. Over
 * several zones, N counts the role's nodes within the node's own zone (see placeRole).
 */
export const DEFAULT_OFFSETS: Readonly<Record<Role, number>> = {
    border: 10, // public subnet
    master: 10,
    quorum: 20,
    worker: 100,
};

export const MAX_ODD_GROUP = 9;

export function subnetOf(role: Role): "public" | "private" {
    return role === "border" ? "public" : "private";
}

/** The planned IP of node `index` (1-based) of `role`, before explicit `ips` are applied. */
export function plannedIp(role: Role, index: number, subnet: Cidr): string {
    return addressAt(subnet, DEFAULT_OFFSETS[role] + index);
}

/** Explicit `ips` win over the offsets; otherwise the plan assigns them in order. */
export function roleIps(role: Role, count: number, subnet: Cidr, explicit?: readonly string[]): string[] {
    if (explicit) return [...explicit];
    return Array.from({ length: count }, (_, i) => plannedIp(role, i + 1, subnet));
}

/** One zone's pair of subnets, parsed. */
export interface ZoneSubnets {
    readonly name: string;
    readonly public: Cidr;
    readonly private: Cidr;
}

export interface Placement {
    /** 0-based index into the zones. */
    readonly zone: number;
    readonly ip: string;
}

/**
 * Where each of `count` nodes of `role` goes: node N in zone (N-1) mod Z, at `offset + rank` of
 * that zone's subnet (rank = its place among the role's nodes in that zone, from 1), or at its
 * explicit address, in the zone the round-robin gives it. One zone plans exactly roleIps.
 */
export function placeRole(role: Role, count: number, zones: readonly ZoneSubnets[], explicit?: readonly string[]): Placement[] {
    return Array.from({ length: count }, (_, i) => {
        const zone = zoneOfNode(i + 1, zones.length);
        const ip = explicit ? explicit[i] : plannedIp(role, rankInZone(i + 1, zones.length), zones[zone][subnetOf(role)]);
        return { zone, ip };
    });
}

/**
 * Addresses the plan keeps for the cluster's own network interfaces, so that no node's fixed IP
 * can ever be taken by one of them (AWS would otherwise pick any free address): a NAT gateway
 * at offset 5 of each public subnet that has one, and the DNS forwarder's two interfaces: at
 * offset 5 of the first two zones' private subnets, or at 5 and 6 of the one private subnet.
 */
export const INFRA_OFFSETS = { natGateway: 5, dnsForwarder: [5, 6] } as const;

export interface ZoneAddress {
    /** The zone's name. */
    readonly zone: string;
    readonly ip: string;
}

export interface InfraIps {
    /** One per zone ("perZone"), or one in the first zone ("single"). */
    readonly natGateways: readonly ZoneAddress[];
    readonly dnsForwarder: readonly [ZoneAddress, ZoneAddress];
}

export function infraIps(zones: readonly ZoneSubnets[], natGateways: "perZone" | "single"): InfraIps {
    const [first, second] = zones;
    const withNat = natGateways === "single" ? [first] : zones;
    return {
        natGateways: withNat.map((zone) => ({ zone: zone.name, ip: addressAt(zone.public, INFRA_OFFSETS.natGateway) })),
        dnsForwarder: second
            ? [
                  { zone: first.name, ip: addressAt(first.private, INFRA_OFFSETS.dnsForwarder[0]) },
                  { zone: second.name, ip: addressAt(second.private, INFRA_OFFSETS.dnsForwarder[0]) },
              ]
            : [
                  { zone: first.name, ip: addressAt(first.private, INFRA_OFFSETS.dnsForwarder[0]) },
                  { zone: first.name, ip: addressAt(first.private, INFRA_OFFSETS.dnsForwarder[1]) },
              ],
    };
}
