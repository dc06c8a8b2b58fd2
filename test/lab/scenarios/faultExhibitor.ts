import * as fs from "fs";
import * as path from "path";
import { PATHS } from "../../../components/catalog/services";
import { FAULT_SCRIPT_TIMEOUT, LabCluster, Scenario } from "../cluster";
import { lastError, timingLines } from "../poststeps";
import { outcome, say, secs, section, waitFor } from "../proc";
import type { Report } from "../report";
import { SEED_SLEEP } from "./seed000";

/**
 * Fault (a): every env file holds an older text (same ensemble, an extra comment line) and the
 * last master's ZooKeeper is down while the exhibitor-rewrite chain runs: it must stop at the
 * first master with a clear message, leaving each file old or new and no temp file behind.
 * Restore: ZooKeeper back, the chain as planned (a real rolling restart).
 */
export const faultExhibitor: Scenario = {
    title: "fault (a): a master's ZooKeeper is down during the exhibitor rewrite",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, services } = lab;
        const down = hosts.masters[hosts.masters.length - 1];
        section(`fault (a): ${down.name}'s ZooKeeper is down during the exhibitor rewrite (script bound shortened to ${FAULT_SCRIPT_TIMEOUT} s)`);
        const chain = lab.commands("exhibitor-rewrite");
        const planned = (name: string) => hosts.cloudConfigFile(hosts.node(name), PATHS.exhibitorEnv).trim();
        const oldText = new Map(hosts.masters.map((m) => [m.name, `# before the rewrite (lab fault a)\n${planned(m.name)}\n`]));
        for (const m of hosts.masters) fs.writeFileSync(hosts.envFile(m.name), oldText.get(m.name) as string);
        services.stopZookeeper(down.name);

        const results = await lab.postSteps.run(chain, { label: "fault a", shortenTo: FAULT_SCRIPT_TIMEOUT });
        const at = results.findIndex((r) => r.code !== 0 && !r.skipped);
        const message = at < 0 ? "" : lastError(results[at].out);
        report.check("fault (a): the rewrite chain stops with a clear message",
            at >= 0 && results.slice(at + 1).every((r) => r.skipped) && /error: .*(settle|serve)/.test(message),
            at >= 0 ? `${results[at].cmd.name}: ${message}` : "no command failed");
        const files = hosts.masters.map((m) => {
            const dir = path.dirname(hosts.envFile(m.name));
            const text = fs.readFileSync(hosts.envFile(m.name), "utf8");
            const state = text === oldText.get(m.name) ? "old" : text.trim() === planned(m.name) ? "new" : "OTHER";
            const temps = fs.readdirSync(dir).filter((f) => f.startsWith(".exhibitor") || f.endsWith(".tmp"));
            return { name: m.name, state, temps };
        });
        report.check("fault (a): each env file is the old or the new content, no temp file left", files.every((f) => f.state !== "OTHER" && f.temps.length === 0),
            files.map((f) => `${f.name}=${f.state}${f.temps.length ? ` temp:${f.temps.join(",")}` : ""}`).join(" "));

        say(`restore: start ${down.name}'s ZooKeeper, run the rewrite chain as planned (a real rolling restart)`);
        services.startZookeeper(down.name);
        const again = await lab.postSteps.run(chain, { label: "restore a" });
        const zk = await outcome(waitFor("ensemble settles", () => services.ensemble(), { timeout: 60_000 }));
        const allNew = hosts.masters.every((m) => fs.readFileSync(hosts.envFile(m.name), "utf8").trim() === planned(m.name));
        report.check("fault (a) restored: the rewrite chain succeeds, files are new, ensemble settled", again.every((r) => r.code === 0) && zk.ok && allNew,
            `${again.map((r) => `${r.cmd.node} ${secs(r.ms)} s`).join(", ")}; ${zk.detail}`);
        report.timing("fault (a) restore: exhibitor rewrite with a real change (rolling restart):", timingLines(again, SEED_SLEEP));
    },
};
