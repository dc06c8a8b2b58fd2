import type { Role } from "../catalog/roles";

/** Node names are `role-N`, N from 1, as kato named them (seed 000: master-1). */
export function nodeName(role: Role, index: number): string {
    return `${role}-${index}`;
}

export function nodeFqdn(name: string, domain: string): string {
    return `${name}.${domain}`;
}

/** Inverse of nodeName, for names typed by an operator; undefined when not of that shape. */
export function parseNodeName(name: string): { role: Role; index: number } | undefined {
    const match = /^(border|quorum|master|worker)-([1-9][0-9]*)$/.exec(name);
    return match ? { role: match[1] as Role, index: Number(match[2]) } : undefined;
}
