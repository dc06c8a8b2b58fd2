import type { ClusterPlan } from "../plan/clusterPlan";
import { arpPurgeSpec } from "./arpPurge";
import type { CommandSpec } from "./commandSpec";
import { etcdMemberSwapSpec } from "./etcdMemberSwap";
import { exhibitorRewriteChain } from "./exhibitorRewrite";
import { leaderStepDownRounds } from "./leaderStepDown";
import type { StepContext } from "./stepContext";
import { waitReadySpecs } from "./waitReady";
import { agentReregisterSpec } from "./agentReregister";

/**
 * Every post-step command of the cluster, in an order in which they can run. What re-runs
 * when node X is replaced (see each spec's triggers):
 *   - any node: the ARP purge on every node (the border's first);
 *   - a master: the elected-master runbook: wait-ready, the rolling Exhibitor rewrite and the
 *     leader step-down rounds (their triggers are the masters' ids: the master set is fixed);
 *   - a quorum node: its etcd member swap;
 *   - a worker: its agent's re-registration, checked from a master.
 */
export function planPostSteps(plan: ClusterPlan, prefix: string = plan.clusterId): CommandSpec[] {
    const masters = plan.nodes.filter((node) => node.role === "master");
    const ctx: StepContext = { prefix, triggerNodes: masters.map((m) => m.name) };

    // The border goes first: every SSH connection, wait-ready's included, goes through it, and a
    // border still holding a replaced node's old MAC stalls the first dial to the new one (the
    // lab measured 12 s, and a timeout when the stale entry was still REACHABLE).
    // Validation guarantees exactly one border and an odd number of masters.
    const border = plan.nodes.find((node) => node.role === "border");
    if (!border || masters.length === 0) throw new Error("planPostSteps needs a validated plan: one border node and at least one master");
    const borderPurge = [arpPurgeSpec(ctx, border, [])];
    const afterBorder = [borderPurge[0].name];

    const waitReady = waitReadySpecs(ctx, masters, afterBorder);
    const afterWaitReady = waitReady.map((s) => s.name);

    // Every other node, in parallel: one command per node is the whole per-node cost.
    const purges = plan.nodes.filter((node) => node !== border).map((node) => arpPurgeSpec(ctx, node, afterWaitReady));
    const purgeOf = new Map([...borderPurge, ...purges].map((s) => [s.node, s.name]));

    const rewrites = exhibitorRewriteChain(ctx, masters, plan.exhibitorStaticEnsemble, [...borderPurge, ...purges].map((s) => s.name));
    // preferredLeader "" (documented): no master is preferred, so nothing steps down.
    const stepDown = plan.preferredLeader === ""
        ? []
        : leaderStepDownRounds(ctx, { masters, preferred: plan.preferredLeader, domain: plan.domain, quorum: plan.mesosQuorum },
            [rewrites[rewrites.length - 1].name]);

    // A quorum node talks to its peers: their caches must be clean before it rejoins. A lone
    // member has no cluster to rejoin: rebuilt, it starts a new one (its data is gone anyway).
    const quorum = plan.nodes.filter((node) => node.role === "quorum");
    const swaps = (quorum.length > 1 ? quorum : []).map((node) => {
        const others = quorum.filter((other) => other !== node);
        return etcdMemberSwapSpec(ctx, node, others, [...afterBorder, ...others.map((o) => purgeOf.get(o.name)!)]);
    });

    const workers = plan.nodes.filter((node) => node.role === "worker");
    const rejoins = workers.map((worker) => agentReregisterSpec(ctx, worker, masters, afterWaitReady));

    return [...borderPurge, ...waitReady, ...purges, ...rewrites, ...stepDown, ...swaps, ...rejoins];
}
