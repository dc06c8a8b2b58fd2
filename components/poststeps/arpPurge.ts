import { CommandSpec, commandName, commandSpec, LIMITS } from "./commandSpec";
import type { Node, StepContext } from "./stepContext";

/**
 * The elected-master runbook's `arp -d master-1` on every node: a replaced node keeps its IP
 * but not its MAC, and a neighbour entry for the old MAC blackholes traffic until it ages out.
 * `staleIps` are the addresses whose entries this node must forget; none means no command.
 */
export function arpPurgeSpec(ctx: StepContext, node: Node, staleIps: readonly string[], after: readonly string[]): CommandSpec | undefined {
    if (staleIps.length === 0) return undefined;
    return commandSpec({
        name: commandName(ctx.prefix, "arp-purge", node.name),
        node: node.name,
        host: node.privateIp,
        step: "arp-purge",
        scriptFile: "arp-purge.sh",
        args: staleIps,
        outerTimeout: LIMITS.arpPurge.outer,
        dependsOn: after,
        triggerNodes: ctx.triggerNodes,
    });
}
