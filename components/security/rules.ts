import { enabledServices, Source } from "../catalog/services";
import type { Role } from "../catalog/roles";

/**
 * The least-privilege port matrix, read off the service catalog: a rule for every port a
 * service listens on, from every role the catalog says reaches it. Only the border accepts
 * traffic from outside (adminCidrs); SSH to every other node comes from the border alone.
 */
export interface PortRule {
    readonly to: Role;
    readonly from: Source;
    readonly protocol: "tcp" | "udp";
    readonly fromPort: number;
    readonly toPort: number;
    readonly description: string;
}

export function clusterRules(options: { vpn: boolean }): PortRule[] {
    return enabledServices(options).flatMap(([, service]) =>
        service.listeners.flatMap((listener) => {
            const [fromPort, toPort] = typeof listener.port === "number" ? [listener.port, listener.port] : listener.port;
            return service.roles.flatMap((to) =>
                (listener.from[to] ?? []).map((from): PortRule => ({
                    to,
                    from,
                    protocol: listener.protocol,
                    fromPort,
                    toPort,
                    description: listener.description,
                })),
            );
        }),
    );
}

/** A stable resource-name suffix for a rule, e.g. "master-from-worker-tcp-5050". */
export function ruleName(r: PortRule): string {
    const ports = r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`;
    return `${r.to}-from-${r.from}-${r.protocol}-${ports}`;
}
