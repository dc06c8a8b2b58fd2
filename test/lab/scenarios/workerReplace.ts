import type { LabCluster, Scenario } from "../cluster";
import { derivedMac, replacementMac } from "../hosts";
import { lastError, span, timingLines } from "../poststeps";
import { LabError, outcome, say, secs, section, waitFor } from "../proc";
import type { Report } from "../report";

/**
 * worker-1 replaced: a new machine with a new MAC and a new agent id (its agent stand-in keeps
 * its id in the node's state, which a new machine does not have). The commands a worker-1
 * replacement re-runs (the plan's triggers: every ARP purge, agent-reregister-worker-1 on a
 * master) run through the border; no host may keep worker-1's old MAC, and the leading master
 * must list exactly one agent for worker-1, active, under the new id.
 */
export const workerReplace: Scenario = {
    title: "worker purge: worker-1 replaced (new MAC, new agent id), the plan's ARP purges and agent re-registration",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, services } = lab;
        const w = hosts.nodes.find((n) => n.role === "worker");
        if (!w) throw new LabError("the lab stack has no worker");
        const ip = w.privateIp;
        const oldMac = derivedMac(ip);
        const newMac = replacementMac(ip);
        const others = hosts.nodes.filter((n) => n !== w);
        const asker = hosts.masters[0];
        const mine = () => services.agents(asker).filter((a) => a.hostname === w.fqdn);

        section(`${w.name}: every host talks to it; its agent is registered`);
        const registered = await outcome(waitFor(`the leader lists one agent for ${w.fqdn}`, () => {
            const a = mine();
            return { ok: a.length === 1 && a[0].active, detail: JSON.stringify(a) };
        }, { timeout: 30_000, interval: 1000 }));
        report.require(`the leading master lists ${w.name}'s agent (GET /master/slaves)`, registered.ok, registered.detail);
        const oldId = mine()[0].id;
        for (const n of others) hosts.ping(n.name, ip);
        const held = others.filter((n) => hosts.neighbour(n.name, ip).includes(oldMac)).map((n) => n.name);
        say(`hosts holding ${w.name}'s MAC ${oldMac}: ${held.join(", ") || "none"}`);

        section(`replace ${w.name}: destroyed, booted again with MAC ${newMac}`);
        const t0 = Date.now();
        hosts.destroy(w.name);
        lab.boot(w, newMac, { autostartLeaders: false, source: lab.replaced });
        hosts.writeKnownHosts();
        const stale = others.filter((n) => hosts.neighbour(n.name, ip).includes(oldMac)).map((n) => n.name);
        say(`before the post-steps, hosts still at the old MAC: ${stale.join(", ") || "none"}`);

        const cmds = lab.replacementCommands(w.name);
        say(`the ${cmds.length} commands a ${w.name} replacement re-runs: ${cmds.map((c) => c.name).join(", ")}`);
        const results = await lab.postSteps.run(cmds, { label: "worker purge", timeout: 180_000 });
        const failed = results.filter((r) => r.code !== 0);
        const rejoin = results.find((r) => r.cmd.step === "agent-reregister");
        const purges = lab.commands("arp-purge");
        report.check(`the ${cmds.length} commands of a ${w.name} replacement succeed (every ARP purge, agent-reregister-${w.name})`,
            failed.length === 0 && rejoin !== undefined && purges.every((c) => cmds.includes(c)) && cmds.length === purges.length + 1,
            failed.map((r) => `${r.cmd.name}: ${r.skipped ? "skipped" : lastError(r.out)}`).join("; ") || `${cmds.length} commands`);
        const after = others.map((n) => [n.name, hosts.neighbour(n.name, ip)] as const);
        for (const [n, v] of after) say(`  ARP view on ${n}: ${v || "(none)"}`);
        report.check(`no host keeps ${w.name}'s old MAC ${oldMac} (entry gone or ${newMac})`, after.every(([, v]) => !v.includes(oldMac)),
            after.filter(([, v]) => v.includes(oldMac)).map(([n]) => n).join(", ") || `${after.length} hosts; the purge found it on: ${stale.join(", ") || "none"}`);
        const now = mine();
        report.check(`agent-reregister-${w.name} passes: one agent, active, a new id (old ${oldId} gone)`,
            rejoin !== undefined && rejoin.code === 0 && now.length === 1 && now[0].active && now[0].id !== oldId,
            `${rejoin ? `${rejoin.cmd.name} exit ${rejoin.code} after ${secs(rejoin.ms)} s` : "not planned"}; listed: ${JSON.stringify(now)}`);
        report.timing(`worker purge (${w.name} replaced):`, [
            ...timingLines(results, 0).filter((l) => !/step-down/.test(l)),
            `  ${w.name} destroyed -> every command done: ${secs(Date.now() - t0)} s (post-steps ${secs(span(results))} s)`,
        ]);
    },
};
