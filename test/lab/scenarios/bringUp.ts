import type { LabCluster, Scenario } from "../cluster";
import { derivedMac, SEED_MACS } from "../hosts";
import { outcome, runAsync, say, section, waitFor } from "../proc";
import type { Report } from "../report";

/**
 * The cluster before seed 000: the private zone's stand-in (dnsmasq with the plan's A records)
 * and every node of the plan a namespace on the bridge (the elected master at the seed's old
 * MAC), resolving names through it; sshd on each, ZooKeeper on the masters through the
 * launcher; Mesos and Marathon wait, so that the seed 000 replay decides who is elected first.
 */
export const bringUp: Scenario = {
    title: "build: one network namespace per node, on its subnet's bridge, subnets joined by a router",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, services } = lab;
        hosts.makeClientKey();
        hosts.switchUp();
        lab.dns.start(lab.plan.records);
        say(`DNS: dnsmasq at ${lab.dns.address} (the VPC resolver's address) with ${lab.plan.records.length} A records of ${lab.dns.domain}; every host: ${lab.dns.resolvConf().trim().replace(/\n/g, ", ")}`);
        lab.ssm.start();
        say(`SSM: the stand-in at ${lab.ssm.endpoint} serves the plan's ${lab.plan.secrets.parameters.size} parameters, each role's policy its instance profile's`);
        for (const node of hosts.nodes) {
            lab.boot(node, node === lab.preferred ? SEED_MACS.before : derivedMac(node.privateIp), { autostartLeaders: false });
        }
        hosts.writeKnownHosts();
        say(`nodes: ${hosts.nodes.map((n) => `${n.name}=${n.privateIp}`).join(" ")}`);

        const ssh = await outcome(waitFor("every node answers SSH through the border", async () => {
            const rs = await Promise.all(hosts.nodes.map(async (n) => [n, await runAsync([...hosts.sshArgv(n), "hostname"], { timeout: 20_000 })] as const));
            const bad = rs.filter(([n, r]) => r.code !== 0 || r.out.trim() !== n.name);
            return { ok: bad.length === 0, detail: bad.map(([n, r]) => `${n.name}: ${r.out.trim() || `exit ${r.code}`}`).join("; ") || hosts.nodes.map((n) => n.name).join(", ") };
        }, { timeout: 60_000, interval: 1000 }));
        report.require(`ssh -J root@${hosts.border.name} reaches every node`, ssh.ok, ssh.detail);
        const routing = hosts.nodes.map((n) => {
            const seg = hosts.segmentOf(n.privateIp);
            const routes = hosts.routes(n.name);
            const want = [`default via ${seg.router} dev eth0`, `${seg.cidr} dev eth0 proto kernel scope link src ${n.privateIp}`];
            return { n, ok: routes.length === want.length && want.every((w) => routes.some((r) => r.trim() === w)), routes };
        });
        report.check(`every host reaches other subnets only through its subnet's router (default via network + 1; ${lab.plan.segments.length} subnets)`,
            routing.every((r) => r.ok), routing.filter((r) => !r.ok).map((r) => `${r.n.name}: ${r.routes.join(" | ")}`).join("; ") || `${routing.length} hosts`);
        const names = lab.dns.resolves(hosts, hosts.nodes, hosts.nodes);
        report.check(`every host resolves every node across subnets by FQDN and short name (DNS at ${lab.dns.address}, through the router)`, names.ok, names.detail);

        section("ZooKeeper on the masters, through the launcher and the cloud-config's env file");
        const zk = await outcome(waitFor("the ZooKeeper ensemble settles (every member serves, one leader)", () => services.ensemble(), { timeout: 120_000, interval: 1000 }));
        report.require("ZooKeeper ensemble started through zk-static-ensemble settles", zk.ok, zk.detail);
    },
};
