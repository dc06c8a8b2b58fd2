import * as fs from "fs";
import * as path from "path";
import { roleSecretFiles, SECRET_FILES } from "../../../components/catalog/secrets";
import type { Role } from "../../../components/catalog/roles";
import type { LabCluster, Scenario } from "../cluster";
import { must, runAsync, say } from "../proc";
import type { Report } from "../report";

/**
 * Issue 12 on the lab's hosts: every node got its secrets at boot from the SSM stand-in, as the
 * user data's boot fetch gets them on EC2 (its role's files, its own, nothing else; 0400 files in
 * a 0700 directory), and installed the plan's host key before sshd started; the stand-in, playing
 * IAM with the plan's own policies, refuses a role's credentials outside its path; and an SSH
 * connection pinned to a wrong key, the node's or the jump's, fails before anything runs.
 */
export const secretsAndHostKeys: Scenario = {
    title: "secrets and host keys: fetched at boot from the SSM stand-in, pinned by every connection",
    async run(lab: LabCluster, report: Report): Promise<void> {
        const { hosts, ssm } = lab;

        // Files: what each node's role must receive, modes, nothing of another role.
        const bad: string[] = [];
        for (const node of hosts.nodes) {
            const dir = path.join(hosts.dir(node.name), "etc-mesos-cluster", "secrets");
            const want = roleSecretFiles(node.role as Role).filter((k) => k !== "sshHostKey").map((k) => SECRET_FILES[k].file).sort();
            const have = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
            if (want.length > 0 && (fs.statSync(dir).mode & 0o777) !== 0o700) bad.push(`${node.name}: ${dir} is not 0700`);
            if (JSON.stringify(have) !== JSON.stringify(want)) bad.push(`${node.name}: has ${have.join(" ") || "nothing"}, wants ${want.join(" ") || "nothing"}`);
            for (const f of have) {
                const st = fs.statSync(path.join(dir, f));
                if ((st.mode & 0o777) !== 0o400 || st.uid !== 0) bad.push(`${node.name}: ${f} is ${(st.mode & 0o777).toString(8)} uid ${st.uid}`);
                const planned = lab.plan.secrets.parameters.get(`/${node.tags.Cluster}/${node.role}/${f}`) ?? lab.plan.secrets.parameters.get(`/${node.tags.Cluster}/${node.role}/${node.name}/${f}`);
                if (!planned || fs.readFileSync(path.join(dir, f), "utf8") !== planned.Value) bad.push(`${node.name}: ${f} is not the plan's value`);
            }
        }
        const counts = hosts.nodes.map((n) => `${n.name} ${roleSecretFiles(n.role as Role).length - 1}`).join(", ");
        report.check("every node fetched its role's secret files (and only those) from SSM at boot: the plan's values, 0400 root in a 0700 directory", bad.length === 0, bad.join("; ") || counts);

        // The host key sshd presents is the plan's: the pinned connection of bringUp succeeded;
        // here the key file itself, and its public half, as the node installed them.
        const keys = hosts.nodes.map((n) => {
            const file = path.join(hosts.dir(n.name), "node", "ssh_host_ed25519_key");
            const pub = fs.existsSync(file) ? must(["ssh-keygen", "-y", "-f", file], `ssh-keygen -y (${n.name})`).trim().split(" ").slice(0, 2).join(" ") : "";
            return { n, ok: pub === n.hostKey && (fs.statSync(file).mode & 0o777) === 0o600, pub };
        });
        report.check("every node's sshd key is the one the plan generated (installed by the boot fetch before sshd, 0600) and pinned by its commands",
            keys.every((k) => k.ok), keys.filter((k) => !k.ok).map((k) => `${k.n.name}: ${k.pub || "no key"}`).join("; ") || `${keys.length} ed25519 keys, all distinct: ${new Set(keys.map((k) => k.pub)).size === keys.length}`);

        // IAM as the stand-in plays it with the plan's policies.
        const worker = hosts.nodes.find((n) => n.role === "worker")!;
        const cid = worker.tags.Cluster;
        const inWorker = (argv: readonly string[]) => hosts.inNet(worker.name, argv, { timeout: 30_000 });
        const probes = [
            { what: `worker credentials read /${cid}/worker`, r: ssm.probe(inWorker, "worker", "GetParametersByPath", `/${cid}/worker`), allowed: true },
            { what: `worker credentials read /${cid}/master`, r: ssm.probe(inWorker, "worker", "GetParametersByPath", `/${cid}/master`), allowed: false },
            { what: `worker credentials read /${cid}/quorum/etcd-ca.crt`, r: ssm.probe(inWorker, "worker", "GetParameter", `/${cid}/quorum/etcd-ca.crt`), allowed: false },
            { what: `border credentials read /${cid}/master/mesos-credentials.json`, r: ssm.probe(inWorker, "border", "GetParameter", `/${cid}/master/mesos-credentials.json`), allowed: false },
        ];
        const wrong = probes.filter((p) => p.r.ok !== p.allowed || (!p.allowed && !/AccessDenied/.test(p.r.error)));
        report.check("each role's policy (the plan's) lets its credentials read its own path and refuses the others with AccessDenied",
            wrong.length === 0, wrong.map((p) => `${p.what}: ${p.r.ok ? "allowed" : p.r.error}`).join("; ") || probes.map((p) => `${p.what}: ${p.r.ok ? "allowed" : "AccessDenied"}`).join("; "));

        // A wrong host key, for the node and for the jump: nothing runs.
        const target = hosts.nodes.find((n) => n.role === "worker" && n !== worker) ?? worker;
        const wrongKey = (() => {
            const dir = fs.mkdtempSync(path.join(lab.labDir, "wrong-key-"));
            must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "k")], "ssh-keygen (a wrong host key)");
            return fs.readFileSync(path.join(dir, "k.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
        })();
        const probeFile = path.join(hosts.dir(target.name), "run-mesos-cluster", "pinned-probe");
        for (const which of [target.name, hosts.border.name]) {
            const knownHosts = path.join(lab.labDir, "ssh", `known_hosts.wrong-${which}`);
            const pins = new Map(hosts.nodes.map((n) => [n.name, n.name === which ? wrongKey : hosts.pinnedKey(n.name)]));
            hosts.writeKnownHosts(knownHosts, pins);
            fs.rmSync(probeFile, { force: true });
            const t0 = Date.now();
            // The plan's own command text for the target, then a probe that would leave a file.
            const cmd = lab.plan.commands.find((c) => c.node === target.name && c.step === "arp-purge")!;
            const script = fs.readFileSync(path.join(lab.plan.dir, "scripts", `${cmd.name}.sh`), "utf8");
            const stdin = `${knownHosts}.stdin`;
            fs.writeFileSync(stdin, `touch /run/mesos-cluster/pinned-probe\n${script}`);
            const r = await runAsync([...hosts.sshArgv(target, knownHosts), "bash"], { stdinFile: stdin, timeout: 60_000 });
            const refused = r.code === 255 && /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(r.out) && !fs.existsSync(probeFile) && !/arp-purge/.test(r.out);
            say(`wrong key for ${which}: exit ${r.code} after ${Date.now() - t0} ms: ${r.out.trim().split("\n").slice(-1)[0]}`);
            report.check(`a post-step connection with a wrong host key for ${which === target.name ? `the node (${which})` : `the jump (${which})`} fails before it runs anything`,
                refused, `exit ${r.code}, probe file ${fs.existsSync(probeFile) ? "CREATED" : "absent"}: ${r.out.trim().split("\n").slice(-2).join(" | ")}`);
        }
        // And pinned to the plan's keys, the same connection works.
        const ok = await runAsync([...hosts.sshArgv(target), "true"], { timeout: 30_000 });
        report.check(`the same connection pinned to the plan's keys succeeds`, ok.code === 0, ok.out.trim() || `exit ${ok.code}`);
        say(`SSM stand-in: ${ssm.log().filter((l) => / ALLOW /.test(l)).length} requests allowed, ${ssm.log().filter((l) => / DENY /.test(l)).length} refused`);
    },
};
