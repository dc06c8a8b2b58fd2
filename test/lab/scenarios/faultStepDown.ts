import { FAULT_SCRIPT_TIMEOUT, LabCluster, Scenario } from "../cluster";
import { lastError, timingLines } from "../poststeps";
import { outcome, say, section } from "../proc";
import type { Report } from "../report";
import { MESOS } from "../services";
import { SEED_SLEEP } from "./seed000";

/**
 * Fault (c): the preferred master's mesos-master is stopped, so it cannot win: the step-down
 * chain must fail within its bound and the cluster must still have a leader. Restore: start
 * it, run the chain as planned; the preferred master leads again.
 */
export const faultStepDown: Scenario = {
    title: "fault (c): the preferred leader cannot win the step-down",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, services } = lab;
        const preferred = lab.preferred;
        section(`fault (c): the preferred leader ${preferred.name} cannot win (its mesos-master is stopped; script bound shortened to ${FAULT_SCRIPT_TIMEOUT} s)`);
        const chain = lab.commands("leader-step-down");
        services.systemctl(preferred.name, "stop", MESOS);
        const others = hosts.masters.filter((m) => m !== preferred);
        const l0 = await outcome(services.waitLeaders("another master leads Mesos", (l) => Boolean(l.mesos && l.mesos !== preferred.name), others, 60_000));
        say(`with ${preferred.name}'s mesos-master stopped: ${l0.detail}`);
        const results = await lab.postSteps.run(chain, { label: "fault c", shortenTo: FAULT_SCRIPT_TIMEOUT });
        const failed = results.filter((r) => r.code !== 0 && !r.skipped);
        report.check("fault (c): the step-down fails within its bound", failed.length > 0, failed.map((r) => `${r.cmd.name}: ${lastError(r.out)}`).join("; ") || "it succeeded");
        const l1 = services.leaders(others);
        report.check("fault (c): the cluster still has a leader", Boolean(l1.mesos && l1.marathon), l1.detail);

        say(`restore: start ${preferred.name}'s mesos-master and run the step-down chain as planned`);
        services.systemctl(preferred.name, "start", MESOS);
        const again = await lab.postSteps.run(chain, { label: "restore c" });
        const l2 = services.leaders();
        report.check(`fault (c) restored: ${preferred.name} leads Mesos and Marathon again`,
            again.every((r) => r.code === 0) && l2.mesos === preferred.name && l2.marathon === preferred.name, l2.detail);
        report.timing(`fault (c) restore: step-down to ${preferred.name} again:`, timingLines(again, SEED_SLEEP));
    },
};
