import type { PlannedNode } from "../plan/clusterPlan";

/** What every step module needs besides its own inputs. */
export interface StepContext {
    /** Resource-name prefix: the cluster's component name. */
    readonly prefix: string;
    /** Nodes whose replacement re-runs these commands (their instance ids are the triggers). */
    readonly triggerNodes: readonly string[];
}

export type Node = Pick<PlannedNode, "name" | "privateIp">;
