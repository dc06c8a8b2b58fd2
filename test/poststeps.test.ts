import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation, RegisteredResource } from "../scripts/offline/mockEngine";
import { isSecretValue } from "../scripts/offline/mockEngine";
import { DIAL_ERROR_LIMIT } from "../components/poststeps/dialWindow";
import { commandsFromEvaluation } from "../scripts/offline/planCli";
import { commands, connectionOf, evaluateDev, INSTANCE } from "./helpers/postSteps";

// The post-step commands of the dev stack (Pulumi.dev.yaml: 10 nodes, 3 masters,
// preferredLeader master-1) as the engine receives them.
describe("post-step commands of the dev stack", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateDev();
    });

    const named = (name: string) => {
        const found = commands(dev).find((c) => c.name === name);
        if (!found) throw new Error(`no command ${name}`);
        return found;
    };
    const ipOf = (node: string) => dev.resources.find((r) => r.type === INSTANCE && r.inputs.tags.Name === node)!.inputs.privateIp;

    it("registers 3 wait-ready, 10 arp-purge, 3 exhibitor-rewrite, 2 rounds of 3 step-downs and a verify, 3 etcd swaps and 3 agent checks, without duplicate URNs", () => {
        expect(dev.duplicateUrns).toEqual([]);
        const names = commands(dev).map((c) => c.name);
        expect(names).toHaveLength(3 + 10 + 3 + 6 + 1 + 3 + 3);
        expect(names).toEqual(expect.arrayContaining([
            "cell-1-wait-ready-master-1",
            "cell-1-arp-purge-border-1",
            "cell-1-arp-purge-worker-3",
            "cell-1-exhibitor-rewrite-master-3",
            "cell-1-leader-step-down-r1-master-1",
            "cell-1-leader-step-down-r2-master-3",
            "cell-1-leader-step-down-verify",
            "cell-1-etcd-member-swap-quorum-2",
            "cell-1-agent-reregister-worker-3",
        ]));
        const component = dev.resources.find((r) => r.type === "mesos-cluster:poststeps:PostSteps");
        expect(component?.name).toBe("cell-1");
        for (const command of commands(dev)) expect(command.parent).toBe(component!.urn);
    });

    it("connects to each node's private IP through the border's Elastic IP, key and all secret", () => {
        const eip = dev.resources.find((r) => r.type === "aws:ec2/eip:Eip" && r.name === "cell-1-border-ip")!;
        for (const command of commands(dev)) {
            expect(isSecretValue(command.wireInputs.connection), command.name).toBe(true);
            const connection = connectionOf(command);
            const node = /-(border|quorum|master|worker)-(\d+)$/.exec(command.name.replace(/-verify$/, "-master-1"))!;
            // A worker's agent is checked from a master (the worker reboots once at first boot).
            const on = command.name.includes("-agent-reregister-") ? `master-${((Number(node[2]) - 1) % 3) + 1}` : `${node[1]}-${node[2]}`;
            expect(connection.host, command.name).toBe(ipOf(on));
            expect(connection.user).toBe("ubuntu");
            expect(connection.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
            expect(connection.proxy).toMatchObject({ host: "198.51.100.10", user: "ubuntu", privateKey: connection.privateKey });
            // A new node answers SSH only after its boot fetch: both dials wait that long.
            expect(connection.dialErrorLimit, command.name).toBe(DIAL_ERROR_LIMIT);
            expect(connection.proxy.dialErrorLimit, command.name).toBe(DIAL_ERROR_LIMIT);
            expect(command.dependsOn).toContain(eip.urn);
            // No delete: on a replacement it would run against the new host at the same IP.
            expect(command.inputs.delete).toBeUndefined();
        }
        expect(connectionOf(named("cell-1-leader-step-down-verify")).host).toBe("10.136.64.11");
    });

    it("triggers each command on the replacements it repairs: masters, any node (the marker), or its own node", () => {
        const masters = ["cell-1-master-1-id", "cell-1-master-2-id", "cell-1-master-3-id"];
        const marker = dev.resources.find((r) => r.type === "random:index/randomId:RandomId")!;
        expect(marker.name).toBe("cell-1-replacement");
        expect(marker.ignoreChanges).toEqual(["keepers"]);
        for (const command of commands(dev)) {
            const own = /-(quorum|worker)-\d+$/.exec(command.name)?.[0].slice(1);
            const expected = command.name.includes("-arp-purge-")
                ? [...masters, expect.stringMatching(/^[0-9a-f]{16}$/)]
                : command.name.includes("-etcd-member-swap-") || command.name.includes("-agent-reregister-")
                  ? [`cell-1-${own}-id`]
                  : masters;
            expect(command.inputs.triggers, command.name).toEqual(expected);
            expect(command.replaceOnChanges).toContain("triggers[*]");
        }
    });

    it("chains border arp-purge -> wait-ready -> arp-purge (parallel) -> exhibitor-rewrite one by one -> step-down rounds -> verify", () => {
        const plan = commandsFromEvaluation(dev);
        const order = plan.map((c) => c.name);
        const byName = new Map(plan.map((c) => [c.name, c]));
        const waitReady = order.filter((n) => n.includes("-wait-ready-"));
        const arp = order.filter((n) => n.includes("-arp-purge-"));
        // The jump host's own cache first: every dial to the new master goes through it.
        expect(order[0]).toBe("cell-1-arp-purge-border-1");
        expect(byName.get("cell-1-arp-purge-border-1")!.dependsOn).toEqual([]);
        for (const name of waitReady) expect(byName.get(name)!.dependsOn).toEqual(["cell-1-arp-purge-border-1"]);
        for (const name of arp.filter((n) => !n.endsWith("-border-1"))) expect(byName.get(name)!.dependsOn.sort()).toEqual([...waitReady].sort());
        expect(byName.get("cell-1-exhibitor-rewrite-master-1")!.dependsOn.sort()).toEqual([...arp].sort());
        const chain = [
            "cell-1-exhibitor-rewrite-master-1",
            "cell-1-exhibitor-rewrite-master-2",
            "cell-1-exhibitor-rewrite-master-3",
            "cell-1-leader-step-down-r1-master-1",
            "cell-1-leader-step-down-r1-master-2",
            "cell-1-leader-step-down-r1-master-3",
            "cell-1-leader-step-down-r2-master-1",
            "cell-1-leader-step-down-r2-master-2",
            "cell-1-leader-step-down-r2-master-3",
            "cell-1-leader-step-down-verify",
        ];
        for (let i = 1; i < chain.length; i++) expect(byName.get(chain[i])!.dependsOn, chain[i]).toEqual([chain[i - 1]]);
        expect(order.filter((n) => chain.includes(n))).toEqual(chain);
        // A quorum node rejoins after its peers have forgotten its old MAC.
        expect(byName.get("cell-1-etcd-member-swap-quorum-1")!.dependsOn.sort()).toEqual(["cell-1-arp-purge-border-1", "cell-1-arp-purge-quorum-2", "cell-1-arp-purge-quorum-3"]);
        expect(byName.get("cell-1-agent-reregister-worker-1")!.dependsOn.sort()).toEqual([...waitReady].sort());
        // A worker's purge also waits for the worker's own instance (no dialing a node that is not there).
        const worker2 = dev.resources.find((r) => r.type === INSTANCE && r.inputs.tags.Name === "worker-2")!;
        expect(named("cell-1-arp-purge-worker-2").dependsOn).toContain(worker2.urn);
    });

    it("flushes, on every node, every dynamic neighbour entry: no list of nodes to go stale", () => {
        for (const command of commands(dev).filter((c) => c.name.includes("-arp-purge-"))) {
            expect(command.inputs.create, command.name).toContain("bash -s -- '--all' <<");
        }
    });

    it("replacing master-1 changes the triggers of exactly the post-step commands and nothing else", async () => {
        const replaced = await evaluateDev({ ids: { "cell-1-master-1": "i-new" } });
        const before = new Map(dev.resources.map((r) => [r.urn, r]));
        const changed: string[] = [];
        for (const resource of replaced.resources) {
            const old = before.get(resource.urn);
            expect(old, resource.urn).toBeDefined();
            if (JSON.stringify(old!.inputs) !== JSON.stringify(resource.inputs)) changed.push(resource.name);
        }
        const byMasters = commands(dev).filter((c) => c.inputs.triggers.includes("cell-1-master-1-id")).map((c) => c.name);
        expect(byMasters).toHaveLength(3 + 10 + 3 + 6 + 1);
        // The new instance has a new SSH host key (issue 12): its parameter and binding change,
        // and so does the pinned key of every command that connects to master-1.
        const connection = (c: RegisteredResource) => connectionOf(c) as { host: string };
        const onMaster1 = commands(dev).filter((c) => connection(c).host === "10.136.64.11").map((c) => c.name);
        expect(onMaster1.length).toBeGreaterThan(3);
        expect(changed.sort()).toEqual([...new Set([...byMasters, ...onMaster1, "cell-1-master-1-ssh-host-key-ssm", "cell-1-master-1-ssh-host-binding"])].sort());
        for (const command of commands(replaced).filter((c) => byMasters.includes(c.name))) {
            expect(command.inputs.triggers.slice(0, 3)).toEqual(["i-new", "cell-1-master-2-id", "cell-1-master-3-id"]);
            const old = before.get(command.urn)!;
            // Only the triggers differ (and, on master-1 itself, the pinned host key): same script.
            const same = (c: RegisteredResource) => ({ ...c.inputs, triggers: [], connection: onMaster1.includes(c.name) ? "pinned to master-1" : c.inputs.connection });
            expect(same(command)).toEqual(same(old));
        }
        expect(replaced.resources).toHaveLength(dev.resources.length);
    });

    it("npm run replace -- worker-2 re-runs the ARP purges and worker-2's agent check, and nothing else", async () => {
        process.env.MESOS_CLUSTER_REBUILD = "worker-2";
        let replaced: Evaluation;
        try {
            replaced = await evaluateDev({ ids: { "cell-1-worker-2": "i-new-worker-2" } });
        } finally {
            delete process.env.MESOS_CLUSTER_REBUILD;
        }
        const before = new Map(commands(dev).map((c) => [c.urn, JSON.stringify(c.inputs.triggers)]));
        const rerun = commands(replaced).filter((c) => before.get(c.urn) !== JSON.stringify(c.inputs.triggers)).map((c) => c.name);
        expect(rerun.sort()).toEqual([...commands(dev).filter((c) => c.name.includes("-arp-purge-")).map((c) => c.name), "cell-1-agent-reregister-worker-2"].sort());
        const marker = replaced.resources.find((r) => r.type === "random:index/randomId:RandomId")!;
        expect(marker.ignoreChanges).toEqual([]);
        expect(marker.inputs.keepers).toEqual({ rebuilt: "worker-2=i-new-worker-2" });
    });
});
