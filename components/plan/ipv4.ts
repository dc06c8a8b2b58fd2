import * as ipaddr from "ipaddr.js";

// IPv4 parsing is delegated to ipaddr.js; this module only adds the arithmetic the IP plan
// needs (offsets inside a subnet, AWS's reserved addresses), on plain 32-bit integers.

export interface Cidr {
    readonly text: string;
    readonly network: number; // first address, as an unsigned 32-bit integer
    readonly prefix: number;
    readonly size: number;
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Strict dotted-quad IPv4 ("10.0.0.1"); rejects the shorthand forms ipaddr.js's parser accepts. */
export function isIpv4(text: string): boolean {
    return DOTTED_QUAD.test(text) && ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function ipToInt(text: string): number {
    const bytes = ipaddr.IPv4.parse(text).toByteArray();
    return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

export function intToIp(value: number): string {
    return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join(".");
}

/** Parses "a.b.c.d/n"; returns undefined for anything else, including host bits set. */
export function parseCidr(text: string): Cidr | undefined {
    const [address, prefixText, ...rest] = text.split("/");
    if (rest.length > 0 || prefixText === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
    if (!isIpv4(address)) return undefined;
    const prefix = Number(prefixText);
    if (prefix > 32) return undefined;
    const size = 2 ** (32 - prefix);
    const network = ipToInt(address);
    if (network % size !== 0) return undefined;
    return { text, network, prefix, size };
}

export function cidrContainsIp(cidr: Cidr, ip: string): boolean {
    const value = ipToInt(ip);
    return value >= cidr.network && value < cidr.network + cidr.size;
}

export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
    return inner.network >= outer.network && inner.network + inner.size <= outer.network + outer.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    return a.network < b.network + b.size && b.network < a.network + a.size;
}

/**
 * AWS keeps the network address, the next three (router, DNS, future use) and the broadcast
 * address of every subnet; an instance asking for one fails at create time, so we refuse them
 * at plan time instead.
 */
export function isAwsReserved(subnet: Cidr, ip: string): boolean {
    const offset = ipToInt(ip) - subnet.network;
    return offset < 4 || offset === subnet.size - 1;
}

/** The address `offset` places after the subnet's network address. */
export function addressAt(subnet: Cidr, offset: number): string {
    return intToIp(subnet.network + offset);
}
