import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../scripts/offline/mockEngine";
import { isSecretValue } from "../scripts/offline/mockEngine";
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

    it("registers 3 wait-ready, 10 arp-purge, 3 exhibitor-rewrite, 2 rounds of 3 step-downs and a verify, without duplicate URNs", () => {
        expect(dev.duplicateUrns).toEqual([]);
        const names = commands(dev).map((c) => c.name);
        expect(names).toHaveLength(3 + 10 + 3 + 6 + 1);
        expect(names).toEqual(expect.arrayContaining([
            "cell-1-wait-ready-master-1",
            "cell-1-arp-purge-border-1",
            "cell-1-arp-purge-worker-3",
            "cell-1-exhibitor-rewrite-master-3",
            "cell-1-leader-step-down-r1-master-1",
            "cell-1-leader-step-down-r2-master-3",
            "cell-1-leader-step-down-verify",
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
            expect(connection.host, command.name).toBe(ipOf(`${node[1]}-${node[2]}`));
            expect(connection.user).toBe("ubuntu");
            expect(connection.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
            expect(connection.proxy).toMatchObject({ host: "198.51.100.10", user: "ubuntu", privateKey: connection.privateKey });
            expect(command.dependsOn).toContain(eip.urn);
            // No delete: on a replacement it would run against the new host at the same IP.
            expect(command.inputs.delete).toBeUndefined();
        }
        expect(connectionOf(named("cell-1-leader-step-down-verify")).host).toBe("10.136.64.11");
    });

    it("carries every master's instance id as triggers, and re-runs on their change", () => {
        for (const command of commands(dev)) {
            expect(command.inputs.triggers, command.name).toEqual(["cell-1-master-1-id", "cell-1-master-2-id", "cell-1-master-3-id"]);
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
        expect(order.slice(-chain.length)).toEqual(chain);
        // A worker's purge also waits for the worker's own instance (no dialing a node that is not there).
        const worker2 = dev.resources.find((r) => r.type === INSTANCE && r.inputs.tags.Name === "worker-2")!;
        expect(named("cell-1-arp-purge-worker-2").dependsOn).toContain(worker2.urn);
    });

    it("purges, on every node, the master IPs other than its own", () => {
        expect(named("cell-1-arp-purge-worker-1").inputs.create).toContain("bash -s -- '10.136.64.11' '10.136.128.11' '10.136.192.11' <<");
        expect(named("cell-1-arp-purge-master-2").inputs.create).toContain("bash -s -- '10.136.64.11' '10.136.192.11' <<");
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
        expect(changed.sort()).toEqual(commands(dev).map((c) => c.name).sort());
        for (const command of commands(replaced)) {
            expect(command.inputs.triggers).toEqual(["i-new", "cell-1-master-2-id", "cell-1-master-3-id"]);
            const old = before.get(command.urn)!;
            // Only the triggers differ: same script, same connection.
            expect({ ...command.inputs, triggers: [] }).toEqual({ ...old.inputs, triggers: [] });
        }
        expect(replaced.resources).toHaveLength(dev.resources.length);
    });
});
