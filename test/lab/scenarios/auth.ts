import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PRINCIPALS, secretPath } from "../../../components/catalog/secrets";
import { PORTS } from "../../../components/catalog/services";
import type { LabCluster, Scenario } from "../cluster";
import { outcome, runAsync, say, section, sleep, waitFor } from "../proc";
import type { Report } from "../report";
import { deliveredSecrets } from "../authSecrets";

/**
 * Issue 12 on the lab's hosts, after the seed 000 replay (whose post-steps already had to carry
 * the operator's credentials): Marathon and Mesos' read-write endpoints refuse requests without
 * them (401) and accept them with; agents and Marathon are registered only as authenticated
 * principals; ZooKeeper (real) serves Mesos' and Marathon's znodes exactly as the ACLs those
 * two set say, with and without the digest credentials; the client port listens on the
 * node's own address only; no secret is on any process's command line.
 */

/** ZooKeeper's digest id of user:password: base64(sha1("user:password")). */
function digestId(user: string, password: string): string {
    return `digest:${user}:${crypto.createHash("sha1").update(`${user}:${password}`).digest("base64")}`;
}

export const auth: Scenario = {
    title: "authentication: Marathon and Mesos HTTP (401 without credentials), agents and frameworks, ZooKeeper ACLs and client address",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, services } = lab;
        const leaders = services.leaders();
        const leader = hosts.node(leaders.mesos ?? lab.preferred.name);
        const workers = hosts.nodes.filter((n) => n.role === "worker");

        section("HTTP: Marathon on every master, Mesos' endpoints on the leader");
        const marathon = hosts.masters.map((m) => {
            const url = `http://${m.privateIp}:${PORTS.marathon}/v2/leader`;
            return [m.name, services.httpStatus(m.name, "GET", url, false), services.httpStatus(m.name, "GET", url, true), services.httpStatus(m.name, "DELETE", url, false)] as const;
        });
        report.check("Marathon answers 401 without the operator's credentials (GET and DELETE /v2/leader) and 200 with them, on every master",
            marathon.every(([, without, withCreds, del]) => without === "401" && withCreds === "200" && del === "401"),
            marathon.map(([n, a, b, c]) => `${n}: GET ${a} / with ${b}, DELETE ${c}`).join("; "));
        const base = `http://${leader.privateIp}:${PORTS.mesosMaster}`;
        const from = workers[0]?.name ?? leader.name;
        const mesos = {
            teardown: [services.httpStatus(from, "POST", `${base}/master/teardown`, false), services.httpStatus(from, "POST", `${base}/master/teardown`, true)],
            api: [services.httpStatus(from, "POST", `${base}/api/v1`, false), services.httpStatus(from, "POST", `${base}/api/v1`, true)],
            redirect: services.httpStatus(from, "GET", `${base}/redirect`, false),
            slaves: services.httpStatus(from, "GET", `${base}/master/slaves`, false),
        };
        report.check(`Mesos' read-write endpoints answer 401 without credentials and accept them (from ${from}); /redirect and read-only /master/slaves need none`,
            mesos.teardown[0] === "401" && mesos.api[0] === "401" && mesos.teardown[1] === "400" && mesos.api[1] === "400" && mesos.redirect === "307" && mesos.slaves === "200",
            `POST /master/teardown ${mesos.teardown.join(" -> ")}, POST /api/v1 ${mesos.api.join(" -> ")}, GET /redirect ${mesos.redirect}, GET /master/slaves ${mesos.slaves}`);

        section("agents and Marathon registered as authenticated principals");
        const agents = services.agents(leader);
        report.check(`the leader lists every worker's agent, each registered with the ${PRINCIPALS.mesosAgent} credential`,
            workers.every((w) => agents.some((a) => a.hostname === w.fqdn)), JSON.stringify(agents));
        // Marathon registers when it takes the lead; right after a step-down or a replaced
        // master the new leader is still registering (the old registration lingers until its
        // session expires), so this waits for it, as an operator would.
        const registered = await outcome(waitFor("Marathon registered as a framework", () => {
            const frameworks = services.frameworks(leader);
            return { ok: frameworks.length === 1 && frameworks[0].principal === PRINCIPALS.marathonFramework, detail: JSON.stringify(frameworks) };
        }, { timeout: 30_000 }));
        report.check(`Marathon is registered with Mesos as framework marathon, principal ${PRINCIPALS.marathonFramework}`, registered.ok, registered.detail);
        if (workers.length > 0) {
            // A rogue agent on a worker, with the right principal and a wrong secret: never listed.
            const w = workers[0];
            const dir = path.join(hosts.labDir, "rogue-agent");
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "credential.json"), JSON.stringify({ principal: PRINCIPALS.mesosAgent, secret: "not-the-agent-secret-000" }));
            const zkFile = path.join(hosts.dir(w.name), "etc-mesos-cluster", path.relative("/etc/mesos-cluster", secretPath("zkMesosUrl")));
            const rogue = runAsync(["ip", "netns", "exec", hosts.ns(w.name), "timeout", "8", "/usr/bin/python3", "-B", path.join(__dirname, "..", "standin.py"), "--kind", "agent",
                "--zk", `file://${zkFile}`, "--credential", `file://${path.join(dir, "credential.json")}`, "--fqdn", "rogue.lab", "--ip", w.privateIp, "--state-dir", dir], { timeout: 15_000 });
            await sleep(4000);
            const listed = services.agents(leader);
            const out = await rogue;
            report.check("an agent with a wrong secret registers in ZooKeeper but the leader never lists it (refused, as --authenticate_agents refuses it)",
                /agent \S+ registered for rogue\.lab/.test(out.out) && !listed.some((a) => a.hostname === "rogue.lab"),
                `rogue: ${out.out.trim().split("\n").at(-1) ?? ""}; listed: ${listed.map((a) => a.hostname).join(", ")}`);
        }

        section("ZooKeeper: the znodes' ACLs, with and without digest credentials");
        const asker = hosts.masters[1]?.name ?? leader.name;
        // The digests as the masters received them (the plan's generated values, through the boot fetch).
        const delivered = deliveredSecrets(hosts);
        const mesosDigest = delivered.zkMesos;
        const marathonDigest = delivered.zkMarathon;
        report.check("the masters' zk URLs carry the digest users mesos and marathon",
            mesosDigest.startsWith(`${PRINCIPALS.zkMesos}:`) && marathonDigest.startsWith(`${PRINCIPALS.zkMarathon}:`), "zk-mesos-url and marathon.env (values not shown)");
        const mesosId = digestId(PRINCIPALS.zkMesos, mesosDigest.slice(PRINCIPALS.zkMesos.length + 1));
        const marathonId = digestId(PRINCIPALS.zkMarathon, marathonDigest.slice(PRINCIPALS.zkMarathon.length + 1));
        const m = { none: services.zkProbe(asker, "/mesos"), mesos: services.zkProbe(asker, "/mesos", mesosDigest), marathon: services.zkProbe(asker, "/mesos", marathonDigest) };
        say(`/mesos: ${JSON.stringify(m)}`);
        report.check("/mesos has Mesos' ACL (world:anyone READ, digest mesos ALL): anyone lists it, only the mesos digest user creates in it",
            JSON.stringify(m.mesos.acl) === JSON.stringify([`${mesosId}:31`, "world:anyone:1"].sort()) &&
                m.none.children === "ok" && m.none.create === "NoAuthError" && m.marathon.create === "NoAuthError" && m.mesos.create === "ok",
            `acl ${JSON.stringify(m.mesos.acl)}; create: none ${m.none.create}, marathon ${m.marathon.create}, mesos ${m.mesos.create}`);
        const latch = "/marathon/leader-curator";
        const a = { none: services.zkProbe(asker, latch), mesos: services.zkProbe(asker, latch, mesosDigest), marathon: services.zkProbe(asker, latch, marathonDigest) };
        say(`${latch}: ${JSON.stringify(a)}`);
        report.check(`${latch} has Marathon's CREATOR_ALL_ACL (digest marathon ALL only): without it, or as mesos, nothing may list or create`,
            JSON.stringify(a.marathon.acl) === JSON.stringify([`${marathonId}:31`]) && a.marathon.children === "ok" && a.marathon.create === "ok" &&
                a.none.children === "NoAuthError" && a.none.create === "NoAuthError" && a.mesos.children === "NoAuthError" && a.mesos.create === "NoAuthError",
            `acl ${JSON.stringify(a.marathon.acl)}; children: none ${a.none.children}, mesos ${a.mesos.children}, marathon ${a.marathon.children}`);

        section("ZooKeeper's client port on the node's own address only");
        const listen = hosts.masters.map((mm) => {
            const ss = hosts.inNet(mm.name, ["ss", "-Hltn", `sport = :${PORTS.zkClient}`]).stdout.trim().split("\n").filter(Boolean).map((l) => l.split(/\s+/)[3].replace(/^\[(?:::ffff:)?([^\]]+)\]/, "$1"));
            const loop = hosts.inNet(mm.name, ["timeout", "3", "bash", "-c", 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && cat <&3', "zk", String(PORTS.zkClient)]);
            return [mm.name, mm.privateIp, ss, loop.code] as const;
        });
        report.check(`every master's ZooKeeper listens on its own IP:${PORTS.zkClient} only (clientPortAddress); 127.0.0.1 is refused`,
            listen.every(([, ip, ss, code]) => ss.length === 1 && ss[0] === `${ip}:${PORTS.zkClient}` && code !== 0),
            listen.map(([n, , ss, code]) => `${n}: ${ss.join(" ")}, 127.0.0.1 exit ${code}`).join("; "));

        section("no secret on a command line");
        const secrets = delivered.values.filter((v) => v.length >= 8);
        const leaks: string[] = [];
        let scanned = 0;
        for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
            let cmdline = "";
            try {
                cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
            } catch {
                continue;
            }
            scanned++;
            if (secrets.some((s) => cmdline.includes(s))) leaks.push(`${pid}: ${cmdline.slice(0, 80)}`);
        }
        report.check(`no process on the machine (stand-ins, ZooKeeper, sshd, scripts) has one of the ${secrets.length} delivered secrets in its argv`, leaks.length === 0,
            leaks.map((l) => l.split(":")[0]).join("; ") || `${scanned} processes`);
        const settled = await outcome(waitFor("leaders unchanged", () => ({ ok: services.leaders().mesos === leaders.mesos, detail: "" }), { timeout: 5000 }));
        if (!settled.ok) say("note: the Mesos leader changed during the checks");
    },
};
