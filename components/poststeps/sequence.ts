import type { ClusterPlan } from "../plan/clusterPlan";
import { arpPurgeSpec } from "./arpPurge";
import type { CommandSpec } from "./commandSpec";
import { exhibitorRewriteChain } from "./exhibitorRewrite";
import { leaderStepDownRounds } from "./leaderStepDown";
import type { StepContext } from "./stepContext";
import { waitReadySpecs } from "./waitReady";

/**
 * Every post-step command of the cluster, in an order in which they can run: the elected-master
 * runbook (ARP purge, wait for the new master, rolling Exhibitor rewrite, leader step-down) as
 * one chain that any master's replacement re-runs.
 */
export function planPostSteps(plan: ClusterPlan, prefix: string = plan.clusterId): CommandSpec[] {
    const masters = plan.nodes.filter((node) => node.role === "master");
    if (masters.length === 0) return [];
    const ctx: StepContext = { prefix, triggerNodes: masters.map((m) => m.name) };
    const staleFor = (nodeName: string) => masters.filter((m) => m.name !== nodeName).map((m) => m.privateIp);

    // The border goes first: every SSH connection, wait-ready's included, goes through it, and a
    // border still holding the old master's MAC stalls the first dial to the new one (the lab
    // measured 12 s, and a timeout when the stale entry was still REACHABLE).
    const border = plan.nodes.find((node) => node.role === "border");
    const borderPurge = border ? arpPurgeSpec(ctx, border, staleFor(border.name), []) : undefined;
    const afterBorder = borderPurge ? [borderPurge.name] : [];

    const waitReady = waitReadySpecs(ctx, masters, afterBorder);

    // Every other node, in parallel: one command per node is the whole per-worker cost.
    const purges = plan.nodes
        .filter((node) => node !== border)
        .flatMap((node) => arpPurgeSpec(ctx, node, staleFor(node.name), waitReady.map((s) => s.name)) ?? []);
    const allPurges = [...(borderPurge ? [borderPurge] : []), ...purges];

    const rewrites = exhibitorRewriteChain(ctx, masters, plan.exhibitorStaticEnsemble,
        (allPurges.length > 0 ? allPurges : waitReady).map((s) => s.name));

    const stepDown = plan.preferredLeader === ""
        ? []
        : leaderStepDownRounds(ctx, { masters, preferred: plan.preferredLeader, domain: plan.domain, quorum: plan.mesosQuorum },
            [rewrites[rewrites.length - 1].name]);

    return [...(borderPurge ? [borderPurge] : []), ...waitReady, ...purges, ...rewrites, ...stepDown];
}
