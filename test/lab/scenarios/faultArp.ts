import type { LabCluster, Scenario } from "../cluster";
import { isDialFailure, lastError } from "../poststeps";
import { LabError, secs, section } from "../proc";
import type { Report } from "../report";

/**
 * Fault (b): the last worker's link is down during the ARP purges: only its command fails, after
 * dialling it as @pulumi/command does (here 2 failed dials retried, not the plan's 20-minute
 * window for a booting node), and the lab names the node and IP. Restore: link up, its purge
 * succeeds.
 */
const FAULT_B_DIAL_ERROR_LIMIT = 2;

export const faultArp: Scenario = {
    title: "fault (b): a worker is unreachable during the ARP purge",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts } = lab;
        const victim = hosts.nodes.filter((n) => n.role === "worker").pop();
        if (!victim) throw new LabError("the lab stack has no worker to cut off");
        section(`fault (b): ${victim.name} is unreachable during the ARP purge`);
        const purges = lab.commands("arp-purge");
        hosts.link(victim.name, "down");
        const results = await lab.postSteps.run(purges, { label: "fault b", timeout: 120_000, dialErrorLimit: FAULT_B_DIAL_ERROR_LIMIT });
        const bad = results.filter((r) => r.code !== 0);
        report.check(`fault (b): only ${victim.name}'s purge fails, after ${FAULT_B_DIAL_ERROR_LIMIT + 1} dials, and the lab names it`,
            bad.length === 1 && bad[0].cmd.node === victim.name && bad[0].dials === FAULT_B_DIAL_ERROR_LIMIT + 1 && isDialFailure(bad[0]),
            bad.map((r) => `${r.cmd.name} on ${r.cmd.node} (${r.node.privateIp}) failed after ${r.dials} dials and ${secs(r.ms)} s: ${lastError(r.out)}`).join("; ") || "nothing failed");
        hosts.link(victim.name, "up");
        const again = await lab.postSteps.run(purges.filter((c) => c.node === victim.name), { label: "restore b" });
        report.check(`fault (b) restored: ${victim.name}'s purge succeeds once its link is up`, again.every((r) => r.code === 0), again.map((r) => `${secs(r.ms)} s`).join(", "));
    },
};
