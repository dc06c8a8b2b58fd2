/**
 * The Exhibitor static ensemble exactly as DC/OS's calculate_exhibitor_static_ensemble builds
 * it (seed 001): master IPs sorted as *strings* ("10.0.0.10" < "10.0.0.9"), ids 1..n in that
 * order. Every master must compute the same string, or two ZooKeepers claim the same id.
 */
export interface EnsembleMember {
    readonly id: number;
    readonly ip: string;
}

export function exhibitorStaticEnsembleMembers(masterIps: readonly string[]): EnsembleMember[] {
    // Plain code-unit comparison, as Python's list.sort() on str; localeCompare would differ.
    const sorted = [...masterIps].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted.map((ip, index) => ({ id: index + 1, ip }));
}

export function exhibitorStaticEnsemble(masterIps: readonly string[]): string {
    return exhibitorStaticEnsembleMembers(masterIps)
        .map((member) => `${member.id}:${member.ip}`)
        .join(",");
}

/** The env file Exhibitor's static backend reads (DC/OS: /opt/mesosphere/etc/exhibitor). */
export function exhibitorEnvFile(masterIps: readonly string[]): string {
    return `EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=${exhibitorStaticEnsemble(masterIps)}\n`;
}
