import { beforeEach, describe, expect, it } from "vitest";
import { validateConfig } from "../components/config/validate";
import { ClusterPlan, planCluster } from "../components/plan/clusterPlan";
import { createText } from "../components/poststeps/commandSpec";
import { leaderStepDownRounds } from "../components/poststeps/leaderStepDown";
import { planPostSteps } from "../components/poststeps/sequence";
import { devRawConfig } from "./helpers/devConfig";

// Issue 15, the poststeps run of 2026-11-22 (`npm run mutate -- poststeps`: 81.1%, the etcd
// swap's spec 33%): each step's exact command line, and what the sequence plans for clusters
// without a border, without masters, or with a lone etcd member. Values written out from the
// dev stack (Pulumi.dev.yaml: quorum-N at .21 and masters at .11 of zone N's private subnet).

function devPlan(): ClusterPlan {
    const validated = validateConfig(devRawConfig());
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    return planCluster(validated.config);
}

const byName = (plan: ClusterPlan) => new Map(planPostSteps(plan).map((s) => [s.name, s]));
const secondLine = (script: string) => script.split("\n")[1];

// Plans are made in hooks, never while the file is collected: StrykerJS activates a mutant in
// a beforeAll, so a plan made in a describe body would be the unmutated one.
describe("each repair's command line, as the node runs it", () => {
    let specs: ReturnType<typeof byName>;
    beforeEach(() => {
        specs = byName(devPlan());
    });

    it("swaps quorum-2's etcd member on quorum-2 itself, naming its own URLs and the two other members", () => {
        const swap = specs.get("cell-1-etcd-member-swap-quorum-2")!;
        expect(swap).toMatchObject({ node: "quorum-2", host: "10.136.128.21", step: "etcd-member-swap", triggerNodes: ["quorum-2"], onAnyReplacement: false });
        expect(swap.dependsOn).toEqual(["cell-1-arp-purge-border-1", "cell-1-arp-purge-quorum-1", "cell-1-arp-purge-quorum-3"]);
        expect(secondLine(swap.script)).toBe(
            "timeout 1320 sudo -n bash -s -- '--name' 'quorum-2' '--peer-url' 'https://10.136.128.21:2380' '--client-url' 'https://10.136.128.21:2379' " +
                "'--env-file' '/etc/mesos-cluster/etcd.env' '--data-dir' '/var/lib/etcd' '--unit' 'etcd.service' '--etcdctl' '/usr/local/bin/etcdctl' " +
                "'--grace' '90' '--timeout' '600' 'https://10.136.64.21:2379' 'https://10.136.192.21:2379' <<'MESOS_CLUSTER_SCRIPT'",
        );
    });

    it("checks worker-2's agent from a master, against every master's API, with the operator's credentials file", () => {
        const check = specs.get("cell-1-agent-reregister-worker-2")!;
        expect(check).toMatchObject({ node: "master-2", host: "10.136.128.11", step: "agent-reregister", triggerNodes: ["worker-2"] });
        expect(check.dependsOn).toEqual(["cell-1-wait-ready-master-1", "cell-1-wait-ready-master-2", "cell-1-wait-ready-master-3"]);
        expect(secondLine(check.script)).toBe(
            "timeout 1560 sudo -n bash -s -- '--hostname' 'worker-2.cell-1.dc-1.demo.lan' '--timeout' '1500' '--credentials' '/etc/mesos-cluster/secrets/http-operator' " +
                "'http://10.136.64.11:5050' 'http://10.136.128.11:5050' 'http://10.136.192.11:5050' <<'MESOS_CLUSTER_SCRIPT'",
        );
    });

    it("heads every create text with the command's name and script, and ends it with the delimiter line", () => {
        const text = createText("x-name", "arp-purge.sh", ["--a", "b c"], 30);
        const lines = text.split("\n");
        expect(lines[0]).toBe("# x-name: templates/scripts/arp-purge.sh, run by mesos-cluster as a post-step");
        expect(lines[1]).toBe("timeout 30 sudo -n bash -s -- '--a' 'b c' <<'MESOS_CLUSTER_SCRIPT'");
        expect(lines.at(-2)).toBe("MESOS_CLUSTER_SCRIPT");
        expect(lines.at(-1)).toBe("");
        // The delimiter stands alone on its line: the script before it ends with a newline.
        expect(lines.filter((line) => line === "MESOS_CLUSTER_SCRIPT")).toHaveLength(1);
    });
});

describe("what the sequence plans for smaller clusters", () => {
    let dev: ClusterPlan;
    beforeEach(() => {
        dev = devPlan();
    });
    const without = (role: string): ClusterPlan => ({ ...dev, nodes: dev.nodes.filter((n) => n.role !== role) });

    it("refuses a plan without a border or without masters (validation guarantees one border and an odd master count)", () => {
        const message = "planPostSteps needs a validated plan: one border node and at least one master";
        expect(() => planPostSteps(without("border"))).toThrow(message);
        expect(() => planPostSteps(without("master"))).toThrow(message);
    });

    it("orders the dev stack's purges after every wait-ready, and wait-ready after the border's purge", () => {
        const specs = byName(dev);
        expect(specs.get("cell-1-arp-purge-worker-1")!.dependsOn).toEqual(["cell-1-wait-ready-master-1", "cell-1-wait-ready-master-2", "cell-1-wait-ready-master-3"]);
        expect(specs.get("cell-1-wait-ready-master-1")!.dependsOn).toEqual(["cell-1-arp-purge-border-1"]);
        expect(specs.get("cell-1-arp-purge-border-1")!.dependsOn).toEqual([]);
    });

    it("a lone etcd member gets no swap; two members each get one", () => {
        const quorum = dev.nodes.filter((n) => n.role === "quorum");
        const withQuorum = (keep: number): ClusterPlan => ({ ...dev, nodes: [...dev.nodes.filter((n) => n.role !== "quorum"), ...quorum.slice(0, keep)] });
        expect(planPostSteps(withQuorum(1)).filter((s) => s.step === "etcd-member-swap")).toEqual([]);
        expect(planPostSteps(withQuorum(2)).filter((s) => s.step === "etcd-member-swap").map((s) => s.node)).toEqual(["quorum-1", "quorum-2"]);
    });

    it("refuses a preferred leader that is not a master, naming it", () => {
        const masters = dev.nodes.filter((n) => n.role === "master");
        expect(() => leaderStepDownRounds({ prefix: "cell-1", triggerNodes: [] }, { masters, preferred: "worker-1", domain: dev.domain, quorum: 2 }, [])).toThrow(
            "preferredLeader worker-1 is not a master (config validation should have refused it)",
        );
    });
});
