import { PATHS } from "../../../components/catalog/services";
import type { LabCluster, Scenario } from "../cluster";
import { SEED_MACS } from "../hosts";
import { lastError, ofStep, timingLines } from "../poststeps";
import { outcome, say, secs, section } from "../proc";
import type { Report } from "../report";
import { MARATHON, MESOS } from "../services";

/** s: seed 000's manual `sleep 10` per step-down hop, the figure the lab's hops compare with. */
export const SEED_SLEEP = 10;
const TEST_ZNODES = "/lab/app";
const TEST_VALUES = [1, 2, 3, 4, 5].map((i) => `voting-app-container-${i}`);

/**
 * Seed 000 replayed: the elected master is destroyed and recreated with the same name and IP
 * but a new MAC, host key and empty ZooKeeper data; then the plan's post-step commands run over
 * SSH through the border, and the cluster must be whole again with that master leading.
 */
export const seed000: Scenario = {
    title: "seed 000: destroy the elected master, recreate it, run the plan's post-steps",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, services } = lab;
        const m1 = lab.preferred;
        const ip = m1.privateIp;
        const others = hosts.nodes.filter((n) => n !== m1);
        const survivors = hosts.masters.filter((m) => m !== m1);
        const arpView = () => others.map((n) => [n.name, hosts.neighbour(n.name, ip)] as const);
        // The ARP purge matters on master-1's own subnet; every other subnet reaches it through
        // the router, at the router's MAC, and holds no entry for its IP.
        const seg = hosts.segmentOf(ip);
        const local = others.filter((n) => hosts.segmentOf(n.privateIp) === seg);
        const remote = others.filter((n) => hosts.segmentOf(n.privateIp) !== seg);
        const macOf = (entry: string) => / lladdr (\S+)/.exec(entry)?.[1] ?? "";
        const routerView = () => new Map(remote.map((n) => [n.name, macOf(hosts.neighbour(n.name, hosts.segmentOf(n.privateIp).router))]));

        section(`seed 000 step 1: ${m1.name} is the elected master`);
        for (const unit of [MESOS, MARATHON]) services.systemctl(m1.name, "start", unit);
        const alone = await outcome(services.waitLeaders(`${m1.name} leads Mesos and Marathon (alone)`, (l) => l.mesos === m1.name && l.marathon === m1.name, [m1], 30_000));
        if (alone.ok) for (const m of survivors) for (const unit of [MESOS, MARATHON]) services.systemctl(m.name, "start", unit);
        const l1 = alone.ok
            ? await outcome(services.waitLeaders(`every master names ${m1.name} as leader`, (l) => l.mesos === m1.name && l.marathon === m1.name, hosts.masters, 30_000))
            : alone;
        report.require(`${m1.name} leads Mesos and Marathon`, l1.ok, l1.detail);
        const put = services.zkcli(survivors[0].name, "put", TEST_ZNODES, ...TEST_VALUES);
        report.check("test znodes written", put.code === 0, (put.stdout || put.stderr).trim());

        for (const n of others) hosts.ping(n.name, ip);
        const view = arpView();
        for (const [n, v] of view) say(`  ARP view on ${n}: ${v || "(none)"}`);
        const localView = view.filter(([n]) => local.some((l) => l.name === n));
        report.check(`every host of ${m1.name}'s subnet ${seg.cidr} (${local.map((n) => n.name).join(", ")}) has a neighbour entry for ${ip} at the old MAC ${SEED_MACS.before}`,
            local.length > 0 && localView.every(([, v]) => v.includes(SEED_MACS.before)),
            localView.filter(([, v]) => !v.includes(SEED_MACS.before)).map(([n]) => n).join(", ") || `${localView.length} hosts`);
        const routersBefore = routerView();
        say(`hosts of other subnets, their router's MAC: ${[...routersBefore].map(([n, m]) => `${n}=${m || "(none)"}`).join(" ")}`);

        section(`seed 000 step 2: destroy ${m1.name}`);
        const tDestroy = Date.now();
        hosts.destroy(m1.name);
        const l2 = await outcome(services.waitLeaders("the surviving masters agree on a new leader",
            (l) => Boolean(l.mesos && l.marathon && l.mesos !== m1.name && l.marathon !== m1.name), survivors, 90_000));
        const takeover = Date.now() - tDestroy;
        report.require(`another master takes over after ${m1.name} is destroyed`, l2.ok, `${l2.detail} (after ${secs(takeover)} s)`);

        section(`seed 000 step 4: a brand-new ${m1.name} (same name and IP, new MAC, empty ZooKeeper data)`);
        lab.boot(m1, SEED_MACS.after, { autostartLeaders: true, source: lab.replaced });
        hosts.writeKnownHosts();
        say(`${m1.name} MAC ${SEED_MACS.before} -> ${SEED_MACS.after}; env file from its cloud-config: ${hosts.cloudConfigFile(m1, PATHS.exhibitorEnv).trim().replace(/\n/g, " | ")}`);
        // A host that sent traffic to the dead master while it was gone probed the old MAC in
        // vain and dropped the entry (FAILED); whether that happens depends on timing. Seed 000's
        // hosts held the old MAC when the new master came up, so the lab puts it back on any
        // host of the subnet that holds no MAC for it: the purge below must then clear every one.
        const lost = local.filter((n) => !/ lladdr /.test(hosts.neighbour(n.name, ip)));
        for (const n of lost) hosts.plantStaleNeighbour(n.name, ip, SEED_MACS.before);
        if (lost.length > 0) say(`re-planted ${ip} at the old MAC (STALE) on ${lost.map((n) => n.name).join(", ")}: the entry was lost during the outage`);
        const stale = arpView().filter(([, v]) => v.includes(SEED_MACS.before)).map(([n]) => n);
        say(`before the post-steps, hosts still at the old MAC: ${stale.join(", ") || "none"}`);

        section("seed 000 steps 3-5: the plan's post-step commands, over SSH through the border");
        // A new instance, a new host key (its replacementTrigger is the instance id): the commands
        // of the replacing `up` pin the replaced plan's key, and the predecessor's is refused.
        const newKey = lab.replaced.nodes.find((n) => n.name === m1.name)!.hostKey;
        const oldKey = lab.plan.nodes.find((n) => n.name === m1.name)!.hostKey;
        report.check(`the rebuilt ${m1.name} has a new host key, the one the plan made for its new instance id, and its commands pin it`,
            newKey !== oldKey && hosts.pinnedKey(m1.name) === newKey,
            `${oldKey.slice(0, 40)}... -> ${newKey.slice(0, 40)}...`);
        const results = await lab.postSteps.run(lab.plan.commands, { label: "replay" });
        const failed = results.filter((r) => r.code !== 0);
        const purgedOld = ofStep(results, "arp-purge").filter((r) => r.out.split("\n").some((l) => l.includes(`purging ${ip} `) && l.includes(SEED_MACS.before))).map((r) => r.cmd.node);
        say(`the ARP purge removed ${m1.name}'s old MAC on: ${purgedOld.join(", ") || "no host"}`);
        report.check("every post-step command succeeds", failed.length === 0,
            failed.map((r) => `${r.cmd.name}: ${r.skipped ? "skipped" : lastError(r.out)}`).join("; ") || `${results.length} commands`);
        report.timing("takeover:", [`  ${m1.name} destroyed -> survivors agree on a new leader: ${secs(takeover)} s (ZooKeeper session timeout ${services.sessionTimeout} s)`]);
        report.timing("replay of seed 000 (the plan's commands, verbatim):", timingLines(results, SEED_SLEEP));

        section("checks after the replay");
        const after = arpView();
        for (const [n, v] of after) say(`  ARP view on ${n}: ${v || "(none)"}`);
        report.check(`no host keeps ${m1.name}'s old MAC (entry gone or ${SEED_MACS.after})`,
            after.every(([, v]) => !v.includes(SEED_MACS.before) && (v === "" || v.includes(SEED_MACS.after) || /FAILED|INCOMPLETE/.test(v))),
            after.filter(([, v]) => v.includes(SEED_MACS.before)).map(([n]) => n).join(", ") || `${after.length} hosts`);
        // The purge (arp-purge --all on every host) is what clears them: the lab's hosts never
        // rewrite an entry they hold from someone else's ARP broadcast.
        const cleared = stale.filter((n) => !after.some(([a, v]) => a === n && v.includes(SEED_MACS.before)));
        report.check(`the ARP purge is exercised on ${m1.name}'s own subnet ${seg.cidr}: hosts there held its old MAC before the post-steps and none does after`,
            stale.length > 0 && stale.every((n) => local.some((l) => l.name === n)) && cleared.length === stale.length,
            `held it before the post-steps: ${stale.join(", ") || "no host"} (subnet: ${local.map((n) => n.name).join(", ")}); cleared: ${cleared.join(", ") || "none"}`);
        const routersAfter = routerView();
        const through = remote.map((n) => {
            const reach = hosts.ping(n.name, ip);
            const entry = hosts.neighbour(n.name, ip);
            const before = routersBefore.get(n.name) ?? "";
            const now = routersAfter.get(n.name) ?? "";
            const ok = entry === "" && reach && before !== "" && before === now;
            return { n, ok, why: `${n.name}: entry for ${ip} ${entry || "none"}, ping ${reach ? "ok" : "lost"}, router ${before || "none"} -> ${now || "none"}` };
        });
        report.check(`hosts in other subnets reach ${m1.name} through their router (no neighbour entry for ${ip}; router's MAC unchanged)`,
            remote.length > 0 && through.every((t) => t.ok),
            through.filter((t) => !t.ok).map((t) => t.why).join("; ") || `${remote.length} hosts: ${remote.map((n) => n.name).join(", ")}`);
        const zk = services.ensemble();
        report.check("ZooKeeper ensemble: one leader, every member serves", zk.ok, zk.detail);
        const survived = services.zkcli(survivors[survivors.length - 1].name, "check", TEST_ZNODES, ...TEST_VALUES);
        report.check("the test znodes survived", survived.code === 0, (survived.stdout || survived.stderr).trim());
        const l3 = services.leaders();
        report.check(`${m1.name} leads Mesos and Marathon again`, l3.mesos === m1.name && l3.marathon === m1.name, l3.detail);
    },
};
