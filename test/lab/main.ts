import * as fs from "fs";
import * as path from "path";
import { LabCluster } from "./cluster";
import { cleanupHosts } from "./hosts";
import { loadLabPlan, replacedIds } from "./plan";
import { LabError, elapsed, must, run, say, section } from "./proc";
import { Aborted, Report } from "./report";
import { SCENARIOS } from "./scenarios";
import { LAUNCHER } from "./services";

/**
 * The lab: seed 000 replayed for real on local hosts, one network namespace per node of the
 * plan of test/lab/Pulumi.lab.yaml, running the post-step scripts the plan writes over SSH
 * through the border; then faults. See README, "The lab". Started by scripts/lab.js (which
 * holds the one-lab-at-a-time lock) as root.
 *
 *   LAB_KEEP=1        leave the cluster up at the end (the next run or net.sh cleanup removes it)
 *   LAB_ZK_SESSION=S  the stand-ins' ZooKeeper session timeout (default 6 s; Mesos' is 10 s)
 *   LAB_ARP=linux     plain Linux neighbour caches instead of AWS-like ones (read by net.sh)
 */

const REPO = path.resolve(__dirname, "..", "..");
const LAB = path.join(REPO, ".lab");
const CONFIG = path.join(__dirname, "Pulumi.lab.yaml");
const PACKAGES = ["iproute2", "openssh-server", "openssh-client", "zookeeper", "curl", "jq", "netcat-openbsd", "python3-kazoo", "util-linux", "iputils-ping", "procps",
    "dnsmasq-base", "prometheus", "etcd-server", "etcd-client", "python3-boto3"];
// s: the stand-ins' ZooKeeper session timeout, which bounds every Mesos hop and the takeover.
// Mesos' and Marathon's default is 10 s; 6 s keeps .ci/run short (ZooKeeper allows 4..40 s
// at tickTime 2000).
const SESSION_TIMEOUT = Number(process.env.LAB_ZK_SESSION ?? 6);

const USAGE = `usage: npm run lab   (as root; LAB_KEEP=1, LAB_ZK_SESSION=S, LAB_ARP=linux: see README "The lab")`;

function ensurePackages(): void {
    const missing = PACKAGES.filter((p) => !/install ok installed/.test(run(["dpkg-query", "-W", "-f=${Status}", p]).stdout));
    if (missing.length === 0) return;
    say(`installing Debian packages: ${missing.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing];
    if (run(install, { env, timeout: 600_000 }).code !== 0) {
        must(["apt-get", "update", "-qq"], "apt-get update", { env, timeout: 300_000 });
        must(install, `apt-get install ${missing.join(" ")}`, { env, timeout: 600_000 });
    }
    // Debian's prometheus package enables and starts a machine-wide service where systemd
    // runs; the lab only wants the binary (it runs its own inside a namespace).
    if (missing.includes("prometheus") && fs.existsSync("/run/systemd/system")) run(["systemctl", "disable", "--now", "prometheus.service"]);
    // The same for etcd-server's machine-wide etcd (the lab runs one per quorum host).
    if (missing.includes("etcd-server") && fs.existsSync("/run/systemd/system")) run(["systemctl", "disable", "--now", "etcd.service"]);
}

let cleanedUp = false;
function cleanup(): void {
    if (cleanedUp) return;
    cleanedUp = true;
    const r = cleanupHosts(LAB);
    if (r.code !== 0) console.error(`lab: cleanup failed: ${r.stderr.trim()}`);
}

/** A write to a pipe may still be queued when the launcher exits: wait until it is out. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
    return new Promise((resolve) => stream.write("", () => resolve()));
}

export async function main(argv: string[]): Promise<number> {
    if (argv.length > 0) {
        console.error(argv.includes("--help") || argv.includes("-h") ? USAGE : `error: the lab takes no arguments\n${USAGE}`);
        return 2;
    }
    if (process.getuid?.() !== 0) {
        console.error("lab: must run as root (it creates network namespaces): sudo npm run lab");
        return 2;
    }
    ensurePackages();
    fs.mkdirSync(LAB, { recursive: true });
    const leftovers = cleanupHosts(LAB); // a crashed run's namespaces
    if (leftovers.code !== 0) throw new LabError(`cannot remove a previous run's namespaces: ${leftovers.stderr.trim()}`);
    for (const dir of ["nodes", "ssh", "plan", "plan-grown", "plan-replaced", "ssm", "dns", "fault-scripts"]) fs.rmSync(path.join(LAB, dir), { recursive: true, force: true });
    const onSignal = (signal: NodeJS.Signals) => {
        console.error(`\nlab: ${signal}: cleaning up`);
        cleanup();
        process.exit(130);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    const report = new Report();
    try {
        section("plan");
        if (!fs.existsSync(LAUNCHER)) throw new LabError(`${path.relative(REPO, LAUNCHER)} is missing: the lab runs ZooKeeper through it`);
        const plan = await loadLabPlan(CONFIG, path.join(LAB, "plan"));
        say(`${plan.nodes.length} nodes, Mesos quorum ${plan.report.mesosQuorum}, ensemble ${plan.report.exhibitorStaticEnsemble}, ` +
            `${plan.commands.length} post-step commands (scripts in ${path.relative(REPO, plan.dir)}/scripts)`);
        // The same program with every instance replaced (new ids): each node's next host key.
        const replaced = await loadLabPlan(CONFIG, path.join(LAB, "plan-replaced"), { ids: replacedIds(plan) });
        const lab = new LabCluster(plan, LAB, SESSION_TIMEOUT, replaced);
        for (const scenario of SCENARIOS) {
            section(scenario.title);
            await scenario.run(lab, report);
        }
    } catch (err) {
        // A failed required check is already reported; anything else is one more failure.
        if (!(err instanceof Aborted)) report.check("the lab runs to the end", false, err instanceof LabError ? err.message : String((err as Error).stack ?? err));
        console.log(`lab: stopped; logs under ${path.relative(process.cwd(), LAB) || LAB}/nodes/<node>/node/log`);
    } finally {
        if (process.env.LAB_KEEP) say("LAB_KEEP is set: the cluster stays up (npm run lab or net.sh cleanup removes it)");
        else cleanup();
    }
    const code = report.finish(elapsed());
    await drained(process.stdout);
    return code;
}
