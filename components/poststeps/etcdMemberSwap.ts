import { etcdClientUrl, etcdPeerUrl } from "../catalog/etcd";
import { PATHS, SERVICES } from "../catalog/services";
import { CommandSpec, commandName, commandSpec, LIMITS } from "./commandSpec";
import type { Node, StepContext } from "./stepContext";

/**
 * A rebuilt quorum node rejoins etcd as a new member (etcd's runtime-reconfiguration guide):
 * remove the dead member, add this one, start it with state `existing` and an empty data dir.
 * Runs on the node itself, and only when that node is replaced (its own instance id is the
 * trigger); at the cluster's first start it finds a healthy member and does nothing.
 * Every URL is https and etcdctl is the node's wrapper, which presents etcdctl's client
 * certificate (etcd refuses a client without one).
 */
export function etcdMemberSwapSpec(ctx: StepContext, node: Node, others: readonly Node[], after: readonly string[]): CommandSpec {
    const client = (n: Node) => etcdClientUrl(n.privateIp);
    return commandSpec({
        name: commandName(ctx.prefix, "etcd-member-swap", node.name),
        node: node.name,
        host: node.privateIp,
        step: "etcd-member-swap",
        scriptFile: "etcd-member-swap.sh",
        args: [
            "--name", node.name,
            "--peer-url", etcdPeerUrl(node.privateIp),
            "--client-url", client(node),
            "--env-file", PATHS.etcdEnv,
            "--data-dir", "/var/lib/etcd",
            "--unit", SERVICES.etcd.unit,
            "--etcdctl", PATHS.etcdctl,
            "--grace", String(LIMITS.etcdSwap.grace),
            "--timeout", String(LIMITS.etcdSwap.script),
            ...others.map(client),
        ],
        outerTimeout: LIMITS.etcdSwap.outer,
        dependsOn: after,
        triggerNodes: [node.name],
    });
}
