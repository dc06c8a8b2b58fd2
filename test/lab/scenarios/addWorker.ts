import * as path from "path";
import type { LabCluster, Scenario } from "../cluster";
import { derivedMac } from "../hosts";
import { PROMETHEUS } from "../monitoring";
import { loadLabPlan, moreNodes } from "../plan";
import { lastError } from "../poststeps";
import { outcome, runAsync, say, secs, section, waitFor } from "../proc";
import type { Report } from "../report";

/**
 * A node added mid-run, as `pulumi up` adds it after the worker count went up by one: the
 * program planned again with that config (in-process, the config map changed, not the YAML),
 * a new host for the new worker, its A record added to the DNS server (only that record: no
 * existing host is touched), and the lab's EC2 stand-in listing one more instance. Every host
 * must resolve it, and Prometheus on the preferred master must discover it.
 */
export const addWorker: Scenario = {
    title: "a worker added mid-run: its name and its metrics without touching any other node",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, dns, prometheus, services } = lab;
        const m = prometheus.node;

        section(`Prometheus on ${m.name}, discovering targets through the lab's EC2 stand-in`);
        const t0 = Date.now();
        prometheus.writeConfig();
        prometheus.listInstances(hosts.nodes);
        services.systemctl(m.name, "start", PROMETHEUS);
        const ready = await outcome(waitFor(`Prometheus on ${m.name} is ready`, () => prometheus.ready(), { timeout: 60_000, interval: 500 }));
        const all = ready.ok ? await outcome(waitFor("Prometheus lists every node", () => prometheus.discovers(hosts.nodes), { timeout: 60_000, interval: 1000 })) : ready;
        say(`Prometheus ready and listing every node ${secs(Date.now() - t0)} s after its start`);
        report.check(`Prometheus on ${m.name} discovers every node (instance=<Name>, role=<Role>)`, all.ok, all.detail);

        section("the plan with one more worker (the program evaluated again, worker count + 1)");
        const t1 = Date.now();
        const grown = await loadLabPlan(lab.plan.configFile, path.join(lab.labDir, "plan-grown"), { adjust: moreNodes("worker", 1) });
        const before = new Map(lab.plan.nodes.map((n) => [n.name, n]));
        const added = grown.nodes.filter((n) => !before.has(n.name));
        const changedNodes = grown.nodes.filter((n) => {
            const old = before.get(n.name);
            return old !== undefined && (old.privateIp !== n.privateIp || [...old.files].some(([f, c]) => n.files.get(f) !== c) || old.files.size !== n.files.size);
        });
        const oldRecords = new Map(lab.plan.records.map((r) => [r.fqdn, r.ip]));
        const newRecords = grown.records.filter((r) => !oldRecords.has(r.fqdn));
        const changedRecords = grown.records.filter((r) => oldRecords.has(r.fqdn) && oldRecords.get(r.fqdn) !== r.ip);
        const gone = lab.plan.records.filter((r) => !grown.records.some((g) => g.fqdn === r.fqdn));
        const w = added[0];
        say(`planned in ${secs(Date.now() - t1)} s: ${grown.nodes.length} nodes; new: ${added.map((n) => `${n.name}=${n.privateIp}`).join(" ") || "none"}; new records: ${newRecords.map((r) => r.fqdn).join(" ") || "none"}`);
        report.require(`the plan with one more worker adds ${w?.name ?? "a worker"} and its A record, and changes no existing node's user data or record`,
            added.length === 1 && w.role === "worker" && changedNodes.length === 0 && changedRecords.length === 0 && gone.length === 0 &&
                newRecords.length === 1 && newRecords[0].fqdn === w.fqdn && newRecords[0].ip === w.privateIp,
            [
                `added: ${added.map((n) => n.name).join(", ") || "none"}`,
                changedNodes.length ? `user data changed: ${changedNodes.map((n) => n.name).join(", ")}` : "",
                changedRecords.length ? `records changed: ${changedRecords.map((r) => r.fqdn).join(", ")}` : "",
                gone.length ? `records gone: ${gone.map((r) => r.fqdn).join(", ")}` : "",
                `new records: ${newRecords.map((r) => `${r.fqdn}=${r.ip}`).join(", ") || "none"}`,
            ].filter(Boolean).join("; "));

        section(`${w.name} joins: a new instance, its A record in the zone, one more instance in EC2's listing`);
        const existing = [...hosts.nodes];
        const hashes = () => new Map(existing.map((n) => [n.name, hosts.nameFilesHash(n.name)]));
        const hashesBefore = hashes();
        hosts.addNode(w);
        lab.boot(w, derivedMac(w.privateIp), { autostartLeaders: false, source: grown });
        hosts.writeKnownHosts();
        const published = dns.publish(newRecords);
        prometheus.listInstances(hosts.nodes);
        const listed = Date.now();
        say(`${w.name} booted at ${w.privateIp}; record added: ${published.join(", ")}; EC2 stand-in lists ${hosts.nodes.length} instances`);

        const ssh = await outcome(waitFor(`${w.name} answers SSH through the border`, async () => {
            const r = await runAsync([...hosts.sshArgv(w), "hostname"], { timeout: 20_000 });
            return { ok: r.code === 0 && r.out.trim() === w.name, detail: r.out.trim() || `exit ${r.code}` };
        }, { timeout: 60_000, interval: 1000 }));
        const newCommands = grown.commands.filter((c) => !lab.plan.commands.some((o) => o.name === c.name));
        // What `pulumi up` creates with the new instance: its own post-step commands (their
        // dependencies on existing commands are met already).
        const results = ssh.ok ? await lab.postStepsOf(grown).run(newCommands, { label: "new worker", timeout: 120_000 }) : [];
        const failed = results.filter((r) => r.code !== 0);
        report.check(`${w.name}'s post-step commands succeed over SSH through the border`, ssh.ok && failed.length === 0,
            !ssh.ok ? ssh.detail : failed.map((r) => `${r.cmd.name}: ${r.skipped ? "skipped" : lastError(r.out)}`).join("; ") ||
                `${results.length} commands: ${results.map((r) => `${r.cmd.name} ${secs(r.ms)} s`).join(", ") || "none"}`);

        const resolvesW = dns.resolves(hosts, hosts.nodes, [w]);
        report.check(`every host resolves ${w.name}`, resolvesW.ok, `${resolvesW.detail} (FQDN and short name)`);
        const wResolves = dns.resolves(hosts, [w], hosts.nodes);
        report.check(`${w.name} resolves every node by FQDN and short name`, wResolves.ok, wResolves.detail);
        const hashesAfter = hashes();
        const touched = existing.filter((n) => hashesBefore.get(n.name) !== hashesAfter.get(n.name));
        report.check(`adding ${w.name} changed no existing host's /etc/resolv.conf or /etc/hosts`, touched.length === 0,
            touched.map((n) => `${n.name}: ${hashesBefore.get(n.name)} -> ${hashesAfter.get(n.name)}`).join("; ") ||
                `${existing.length} hosts, sha256 of resolv.conf/hosts unchanged (${[...new Set(hashesAfter.values())].join(", ")})`);

        const found = await outcome(waitFor(`Prometheus discovers ${w.name}`, () => prometheus.discovers([w]), { timeout: 60_000, interval: 1000 }));
        // An upper bound: the first poll comes after the checks above.
        say(`Prometheus listed ${w.name} at most ${secs(Date.now() - listed)} s after the EC2 stand-in did`);
        report.check(`Prometheus discovers ${w.name} (instance="${w.name}", role="${w.role}")`, found.ok, found.detail);
    },
};
