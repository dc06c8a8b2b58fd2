import { CommandSpec, commandName, commandSpec, LIMITS } from "./commandSpec";
import type { Node, StepContext } from "./stepContext";

/**
 * The elected-master runbook's `arp -d master-1` on every node: a replaced node keeps its IP
 * but not its MAC, and a neighbour entry for the old MAC blackholes traffic until it ages out.
 * Whichever node was replaced, every node flushes its dynamic entries (`--all`: each is asked
 * for again on its next packet), so the command names no other node and adding one changes
 * nothing here; it runs again on any replacement (a master's, or any `npm run replace`).
 */
export function arpPurgeSpec(ctx: StepContext, node: Node, after: readonly string[]): CommandSpec {
    return commandSpec({
        name: commandName(ctx.prefix, "arp-purge", node.name),
        node: node.name,
        host: node.privateIp,
        step: "arp-purge",
        scriptFile: "arp-purge.sh",
        args: ["--all"],
        outerTimeout: LIMITS.arpPurge.outer,
        dependsOn: after,
        triggerNodes: ctx.triggerNodes,
        onAnyReplacement: true,
    });
}
