import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { encodeUserData, EncodedUserData, UserDataTooLarge } from "./encode";
import { renderCloudConfig } from "./render";

export interface NodeUserData extends EncodedUserData {
    readonly node: PlannedNode;
    readonly text: string;
}

/**
 * Renders and encodes every node's user data up front, so a node that cannot fit is a config
 * error reported with the others, before any resource exists.
 */
export function renderAllUserData(plan: ClusterPlan): { userData: Map<string, NodeUserData>; errors: string[] } {
    const userData = new Map<string, NodeUserData>();
    const errors: string[] = [];
    for (const node of plan.nodes) {
        const text = renderCloudConfig(plan, node);
        try {
            userData.set(node.name, { node, text, ...encodeUserData(text) });
        } catch (err) {
            if (!(err instanceof UserDataTooLarge)) throw err;
            errors.push(`mesos-cluster:nodes.${node.role}: ${node.name}: ${err.message}; fewer nodes or fewer services on this role`);
        }
    }
    return { userData, errors };
}
