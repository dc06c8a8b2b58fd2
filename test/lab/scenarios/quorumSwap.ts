import * as fs from "fs";
import * as path from "path";
import { PATHS } from "../../../components/catalog/services";
import type { LabCluster, Scenario } from "../cluster";
import { replacementMac } from "../hosts";
import type { LabNode } from "../plan";
import { lastError, span, timingLines } from "../poststeps";
import { LabError, outcome, say, secs, section, waitFor } from "../proc";
import type { Report } from "../report";
import { ETCD } from "../services";

/**
 * s: etcd-member-swap's --grace in the lab, on the command line of a copy (the plan's is 90 s,
 * for a member that is still starting; the lab's rebuilt etcd has refused within a second).
 */
export const LAB_SWAP_GRACE = 2;
/** s: the refused swap's --timeout in fault (d): one look at the other members, then its verdict. */
const FAULT_D_TIMEOUT = 1;
const KEYS = [1, 2, 3, 4, 5].map((i) => [`/lab/key-${i}`, `value-${i}`] as const);

/**
 * A quorum node rebuilt: keys written through etcd, quorum-1 destroyed (its data dir gone) and
 * booted again with a new MAC; its etcd starts as the unit does (state new from the bundle's
 * env file) and refuses. Fault (d) first: with quorum-2's etcd stopped too, the plan's swap
 * must refuse and change nothing. Then quorum-2 is back, and the commands a quorum-1
 * replacement re-runs (the plan's triggers) run through the border: three healthy members,
 * the old member id gone, every key readable from the new member.
 */
export const quorumSwap: Scenario = {
    title: "quorum swap: quorum-1 rebuilt, the plan's etcd member swap (and fault (d): a second member down)",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, services } = lab;
        const quorum = hosts.nodes.filter((n) => n.role === "quorum");
        if (quorum.length < 3) throw new LabError(`the lab stack has ${quorum.length} quorum nodes; the swap needs 3`);
        const [q1, q2, q3] = quorum;
        const members = (from: LabNode) => services.etcdMembers(from).map((m) => `${m.id}:${m.name}`).sort().join(" ");

        section("etcd on the quorum hosts: Debian's etcd with the bundle's unit flags (TLS, client certificates demanded) and env file");
        const up = await outcome(waitFor("every etcd member is healthy", () => services.etcdHealth(quorum), { timeout: 90_000, interval: 1000 }));
        report.require("etcd: the three members, started from the bundle's etcd.env (state new), are healthy over TLS (etcdctl with its client certificate)", up.ok, up.detail);
        const strangers = services.etcdRefusesStrangers(q2, q3);
        report.check(`etcd refuses a client without a certificate (${q2.name} -> ${q3.name}): etcdctl with the CA only, plain http, the peer port`, strangers.ok, strangers.detail);
        const put = KEYS.map(([k, v]) => services.etcdctl(q2, [q2], "put", k, v)).filter((r) => r.code !== 0);
        report.require(`${KEYS.length} keys written through etcd`, put.length === 0, put.map((r) => r.stderr.trim()).join("; ") || KEYS.map(([k]) => k).join(" "));
        const before = services.etcdMembers(q2);
        const oldId = before.find((m) => m.name === q1.name)?.id;
        say(`members: ${before.map((m) => `${m.name}=${m.id}`).join(" ")}`);
        if (!oldId) throw new LabError(`${q1.name} is not a member before its replacement`);

        section(`destroy ${q1.name} (its data dir goes with it), boot a new one with a new MAC`);
        const tDestroy = Date.now();
        hosts.destroy(q1.name);
        lab.boot(q1, replacementMac(q1.privateIp), { autostartLeaders: false, source: lab.replaced });
        hosts.writeKnownHosts();
        const etcdLog = path.join(hosts.dir(q1.name), "node", "log", "etcd.log");
        const refused = await outcome(waitFor(`${q1.name}'s etcd (state new, empty data dir) refuses to start`, () => {
            const text = fs.existsSync(etcdLog) ? fs.readFileSync(etcdLog, "utf8") : "";
            const line = /.*has already been bootstrapped.*/.exec(text)?.[0] ?? "";
            return { ok: line !== "", detail: line.slice(0, 200) || text.trim().split("\n").pop() || "(no log yet)" };
        }, { timeout: 30_000, interval: 500 }));
        const refusedMs = Date.now() - tDestroy;
        report.check(`the rebuilt ${q1.name}'s etcd, started as the unit is (state new), exits "already bootstrapped"`, refused.ok, refused.detail);

        const swap = lab.plan.commands.find((c) => c.step === "etcd-member-swap" && c.node === q1.name);
        if (!swap) throw new LabError(`the plan has no etcd-member-swap for ${q1.name}`);

        section(`fault (d): ${q2.name}'s etcd is stopped too; ${swap.name} must refuse and change nothing`);
        const envFile = hosts.etcFile(q1.name, PATHS.etcdEnv);
        const envBefore = fs.readFileSync(envFile, "utf8");
        const membersBefore = members(q3);
        services.systemctl(q2.name, "stop", ETCD);
        const [f] = await lab.postSteps.run([swap], { label: "fault d", shortenTo: FAULT_D_TIMEOUT, graceTo: 0, timeout: 120_000 });
        services.systemctl(q2.name, "start", ETCD);
        report.check(`fault (d): ${swap.name} with ${q2.name} down refuses ("only ... healthy")`, f.code !== 0 && /only \d+ of the \d+ other members are healthy/.test(f.out),
            `exit ${f.code} after ${secs(f.ms)} s: ${lastError(f.out)}`);
        const back = await outcome(waitFor(`${q2.name} and ${q3.name} healthy again`, () => services.etcdHealth([q2, q3]), { timeout: 60_000, interval: 1000 }));
        const envAfter = fs.readFileSync(envFile, "utf8");
        const membersAfter = back.ok ? members(q3) : `(no quorum: ${back.detail})`;
        report.check("fault (d): nothing changed (etcd.env, the member list)", envAfter === envBefore && membersAfter === membersBefore && !fs.existsSync(`${envFile}.orig`),
            `etcd.env ${envAfter === envBefore ? "unchanged" : "CHANGED"}; members ${membersAfter === membersBefore ? `unchanged (${membersAfter})` : `${membersBefore} -> ${membersAfter}`}`);

        section(`the commands a ${q1.name} replacement re-runs (the plan's triggers), through the border`);
        const cmds = lab.replacementCommands(q1.name);
        const purges = lab.commands("arp-purge");
        say(`${cmds.length} commands: ${cmds.map((c) => c.name).join(", ")} (etcd-member-swap --grace ${LAB_SWAP_GRACE} s in the lab)`);
        const results = await lab.postSteps.run(cmds, { label: "quorum swap", graceTo: LAB_SWAP_GRACE, timeout: 300_000 });
        const failed = results.filter((r) => r.code !== 0);
        report.check(`the ${cmds.length} commands of a ${q1.name} replacement succeed (ARP purges, ${swap.name})`, failed.length === 0 && cmds.includes(swap) && purges.every((c) => cmds.includes(c)) && cmds.length === purges.length + 1,
            failed.map((r) => `${r.cmd.name}: ${r.skipped ? "skipped" : lastError(r.out)}`).join("; ") || cmds.map((c) => c.name).join(", "));
        const healthy = services.etcdHealth(quorum);
        const after = services.etcdMembers(q2);
        report.check("etcd: three members, all healthy", healthy.ok && after.length === 3, `${healthy.detail}; ${after.map((m) => `${m.name}=${m.id}`).join(" ")}`);
        report.check(`the old member id ${oldId} is gone`, !after.some((m) => m.id === oldId) && after.some((m) => m.name === q1.name),
            after.map((m) => `${m.name}=${m.id}`).join(" "));
        const read = KEYS.map(([k, v]) => [k, v, services.etcdctl(q1, [q1], "get", k, "--print-value-only", "--consistency=s").stdout.trim()] as const);
        const missing = read.filter(([, v, got]) => got !== v);
        report.check(`every key is readable from the new ${q1.name}`, missing.length === 0,
            missing.map(([k, v, got]) => `${k}: want ${v}, got ${got || "nothing"}`).join("; ") || `${read.length} keys`);
        const strangersAfter = services.etcdRefusesStrangers(q3, q1);
        report.check(`the new ${q1.name} refuses a client without a certificate too`, strangersAfter.ok, strangersAfter.detail);
        const envNow = fs.readFileSync(envFile, "utf8").trim().replace(/\n/g, " | ");
        say(`${q1.name}'s etcd.env now: ${envNow}`);
        const swapResult = results.find((r) => r.cmd === swap);
        report.timing(`quorum swap (${q1.name}, --grace ${LAB_SWAP_GRACE} s):`, [
            `  ${q1.name} destroyed -> rebooted, its etcd refused (state new): ${secs(refusedMs)} s`,
            `  fault (d): the refused swap: ${secs(f.ms)} s (--timeout ${FAULT_D_TIMEOUT})`,
            ...timingLines(results, 0).filter((l) => !/step-down|post-steps in total/.test(l)),
            `  ${swap.name} alone: ${swapResult ? secs(swapResult.ms) : "?"} s; the ${results.length} commands of the replacement: ${secs(span(results))} s`,
        ]);
    },
};
