import { ROLES, Role } from "../catalog/roles";
import { PATHS } from "../catalog/services";
import type { ClusterPlan, PlannedNode } from "../plan/clusterPlan";
import { encodeUserData, EncodedUserData, UserDataTooLarge } from "./encode";
import { template, unitWord } from "./render";
import { BundleFile, renderRoleBundle, RoleBundle } from "./roleBundle";
import { controlPlane, nodeFiles } from "./roleValues";
import { HOST_KEY_DROP_IN, secretsFetchCommand } from "./secretsFetch";

export interface NodeUserData extends EncodedUserData {
    readonly node: PlannedNode;
    /** The #cloud-config document. */
    readonly text: string;
    /** The role bundle it installs at first boot. */
    readonly bundle: RoleBundle;
    /** Every file the node ends up with: its user data's own, then its bundle's. */
    readonly files: readonly BundleFile[];
}

export interface RenderedCluster {
    readonly userData: Map<string, NodeUserData>;
    readonly bundles: Map<Role, RoleBundle>;
    readonly errors: string[];
}

/** NODE_NAME, NODE_FQDN, NODE_IP, NODE_ROLE: what the role's units read of their node. */
export function nodeEnvFile(node: PlannedNode): string {
    // Each value one plain word: systemd reads this file into every unit's command line.
    const values = { NODE_NAME: node.name, NODE_FQDN: node.fqdn, NODE_IP: node.privateIp, NODE_ROLE: node.role };
    return Object.entries(values).map(([key, value]) => `${key}=${unitWord(value)}\n`).join("");
}

/** The node's #cloud-config: itself, its role's bundle by hash, nothing about other workers. */
export function renderCloudConfig(plan: ClusterPlan, node: PlannedNode, bundle: RoleBundle): { text: string; files: BundleFile[] } {
    const own = [
        { path: PATHS.nodeEnv, content: nodeEnvFile(node) },
        ...nodeFiles(controlPlane(plan), node),
    ];
    const text = template("cloud-config/node.yaml.hbs")({
        cluster: { id: plan.clusterId },
        node,
        sshUser: plan.sshUser,
        sshPublicKey: plan.sshPublicKey,
        paths: PATHS,
        nodeEnv: own[0].content,
        nodeFiles: own.slice(1),
        installCommand: template("partials/install-bundle.hbs")({ bundle }),
        secretsCommand: secretsFetchCommand(plan, node.role),
        hostKeyDropIn: HOST_KEY_DROP_IN,
        reboot: node.role === "worker",
    });
    return { text, files: [HOST_KEY_DROP_IN, ...own].map((f) => ({ ...f, permissions: "0644" })) };
}

/**
 * Renders every role's bundle and every node's user data up front, so a node that cannot fit
 * is a config error reported with the others, before any resource exists.
 */
export function renderAllUserData(plan: ClusterPlan): RenderedCluster {
    const bundles = new Map<Role, RoleBundle>();
    for (const role of ROLES) if (plan.nodes.some((n) => n.role === role)) bundles.set(role, renderRoleBundle(plan, role));
    const userData = new Map<string, NodeUserData>();
    const errors: string[] = [];
    for (const node of plan.nodes) {
        const bundle = bundles.get(node.role)!;
        const { text, files } = renderCloudConfig(plan, node, bundle);
        try {
            userData.set(node.name, { node, text, bundle, files: [...files, ...bundle.files], ...encodeUserData(text) });
        } catch (err) {
            if (!(err instanceof UserDataTooLarge)) throw err;
            errors.push(`mesos-cluster:nodes.${node.role}: ${node.name}: ${err.message}`);
        }
    }
    return { userData, bundles, errors };
}
