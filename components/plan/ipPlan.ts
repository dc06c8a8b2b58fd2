import { addressAt, Cidr } from "./ipv4";
import type { Role } from "../catalog/roles";

/**
 * Default fixed-IP layout: node N of a role sits at `offset + N` inside its subnet, so
 * master-1 is 10.136.64.11 in 10.136.64.0/18 (seed 000). Ranges are disjoint for the
 * allowed counts (border 1, quorum and master at most 9), and workers get the rest.
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

/**
 * Addresses the plan keeps for the cluster's own network interfaces, so that no node's fixed IP
 * can ever be taken by one of them (AWS would otherwise pick any free address): the NAT
 * gateway in the public subnet, the DNS forwarder's two interfaces in the private one.
 */
export const INFRA_OFFSETS = { natGateway: 5, dnsForwarder: [5, 6] } as const;

export interface InfraIps {
    readonly natGateway: string;
    readonly dnsForwarder: readonly [string, string];
}

export function infraIps(publicSubnet: Cidr, privateSubnet: Cidr): InfraIps {
    return {
        natGateway: addressAt(publicSubnet, INFRA_OFFSETS.natGateway),
        dnsForwarder: [addressAt(privateSubnet, INFRA_OFFSETS.dnsForwarder[0]), addressAt(privateSubnet, INFRA_OFFSETS.dnsForwarder[1])],
    };
}
