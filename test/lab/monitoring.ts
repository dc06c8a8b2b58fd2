import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { PORTS, SERVICES } from "../../components/catalog/services";
import type { Hosts, UnitSpec } from "./hosts";
import type { LabNode, LabPlan } from "./plan";
import { LabError, Probe } from "./proc";

/**
 * Prometheus on a lab master, discovering targets as the cluster's does, with the lab playing
 * the EC2 API. The masters' prometheus.yml comes from the plan's master bundle; each of its
 * `ec2_sd_configs` becomes a `file_sd_configs` entry whose file the lab writes as
 * DescribeInstances would answer that config: the instances its filters select (tag:<Key>,
 * instance-state-name), each at <private IP>:<port> with the `__meta_ec2_*` labels EC2
 * discovery gives. The plan's own relabelling turns those into instance=<Name>, role=<Role>.
 * Debian's prometheus binary (2.42) runs it, bound to the master's private IP.
 */

export const PROMETHEUS = SERVICES.prometheus.unit;
/** Where the master bundle installs the configuration. */
const BUNDLE_CONFIG = "/etc/prometheus/prometheus.yml";
/** Inside the node (NODE_DIR/node is /run/lab-node). */
const NODE_ROOT = "/run/lab-node/prometheus";

interface Ec2Filter {
    readonly name: string;
    readonly values: readonly string[];
}

interface Ec2Sd {
    readonly port?: number;
    readonly filters?: readonly Ec2Filter[];
}

/** One `ec2_sd_configs` entry of a job, and the file that stands in for it. */
interface Discovery {
    readonly job: string;
    readonly sd: Ec2Sd;
    /** File name under NODE_ROOT/ec2. */
    readonly file: string;
}

export interface ActiveTarget {
    readonly job: string;
    readonly instance: string;
    readonly role: string;
    readonly scrapeUrl: string;
}

/** The unit the lab's masters have for Prometheus (started by the lab, not at boot). */
export function prometheusUnit(node: LabNode): UnitSpec {
    return {
        argv: ["/usr/bin/prometheus", `--config.file=${NODE_ROOT}/prometheus.yml`, `--storage.tsdb.path=${NODE_ROOT}/data`,
            `--web.listen-address=${node.privateIp}:${PORTS.prometheus}`, "--log.level=warn"],
        restartSec: 2,
        autostart: false,
    };
}

export class LabPrometheus {
    private readonly config: Record<string, unknown>;
    private readonly discoveries: Discovery[] = [];

    constructor(
        private readonly hosts: Hosts,
        plan: LabPlan,
        readonly node: LabNode,
    ) {
        const text = plan.bundles.get("master")?.get(BUNDLE_CONFIG);
        if (text === undefined) throw new LabError(`the master bundle installs no ${BUNDLE_CONFIG}`);
        // parse() resolves the file's YAML anchors (the relabelling is shared by `*names`).
        const config = parse(text) as { scrape_configs?: Record<string, unknown>[] };
        for (const job of config.scrape_configs ?? []) {
            const name = job.job_name as string;
            const sds = (job.ec2_sd_configs ?? []) as Ec2Sd[];
            if (sds.length === 0) continue;
            const files = sds.map((sd, i) => {
                const d: Discovery = { job: name, sd, file: `${name}-${i}.json` };
                this.discoveries.push(d);
                return `${NODE_ROOT}/ec2/${d.file}`;
            });
            delete job.ec2_sd_configs;
            job.file_sd_configs = [{ files }];
        }
        if (this.discoveries.length === 0) throw new LabError(`${BUNDLE_CONFIG} of the master bundle has no ec2_sd_configs`);
        this.config = config;
    }

    private get dir(): string {
        return path.join(this.hosts.dir(this.node.name), "node", "prometheus");
    }

    /** The configuration with file discovery in place of EC2's; run once before the unit starts. */
    writeConfig(): void {
        fs.mkdirSync(path.join(this.dir, "ec2"), { recursive: true });
        fs.writeFileSync(path.join(this.dir, "prometheus.yml"), stringify(this.config));
    }

    /**
     * DescribeInstances as the lab's EC2 stand-in answers it: `running` instances are `nodes`.
     * Each discovery file is replaced whole (a rename), as a refresh replaces the list.
     */
    listInstances(nodes: readonly LabNode[]): void {
        for (const d of this.discoveries) {
            const selected = nodes.filter((n) => (d.sd.filters ?? []).every((f) => f.values.includes(filterValue(n, f.name))));
            const groups = selected.map((n) => ({
                targets: [`${n.privateIp}:${d.sd.port ?? 80}`],
                labels: {
                    ...Object.fromEntries(Object.entries(n.tags).map(([k, v]) => [`__meta_ec2_tag_${k.replace(/[^a-zA-Z0-9_]/g, "_")}`, v])),
                    __meta_ec2_instance_id: n.instanceId,
                    __meta_ec2_instance_state: "running",
                    __meta_ec2_private_ip: n.privateIp,
                },
            }));
            const file = path.join(this.dir, "ec2", d.file);
            fs.writeFileSync(`${file}.tmp`, JSON.stringify(groups, null, 1));
            fs.renameSync(`${file}.tmp`, file);
        }
    }

    private url(p: string): string {
        return `http://${this.node.privateIp}:${PORTS.prometheus}${p}`;
    }

    ready(): Probe {
        const r = this.hosts.inNet(this.node.name, ["curl", "-s", "--max-time", "3", this.url("/-/ready")], { timeout: 8000 });
        return { ok: r.code === 0 && /ready/i.test(r.stdout), detail: r.stdout.trim() || `curl exit ${r.code}` };
    }

    /** Prometheus's active targets (GET /api/v1/targets), asked from inside its node. */
    targets(): ActiveTarget[] {
        const r = this.hosts.inNet(this.node.name, ["curl", "-s", "--max-time", "5", this.url("/api/v1/targets?state=active")], { timeout: 10_000 });
        if (r.code !== 0) throw new LabError(`GET /api/v1/targets on ${this.node.name}: curl exit ${r.code}`);
        const body = JSON.parse(r.stdout) as { data?: { activeTargets?: { labels: Record<string, string>; scrapeUrl: string }[] } };
        return (body.data?.activeTargets ?? []).map((t) => ({ job: t.labels.job, instance: t.labels.instance, role: t.labels.role, scrapeUrl: t.scrapeUrl }));
    }

    /** Whether the node-exporter job lists each of `nodes` by name and role, at its IP. */
    discovers(nodes: readonly LabNode[], job = "node"): Probe {
        const seen = this.targets().filter((t) => t.job === job);
        const missing = nodes.filter((n) => !seen.some((t) => t.instance === n.name && t.role === n.role && t.scrapeUrl.includes(`//${n.privateIp}:${PORTS.nodeExporter}/`)));
        return {
            ok: missing.length === 0,
            detail: `${job}: ${seen.map((t) => `instance="${t.instance}" role="${t.role}"`).join(", ") || "no targets"}${missing.length ? `; missing ${missing.map((n) => n.name).join(", ")}` : ""}`,
        };
    }
}

/** What an instance has for one DescribeInstances filter. */
function filterValue(node: LabNode, filter: string): string {
    if (filter === "instance-state-name") return "running";
    const tag = /^tag:(.+)$/.exec(filter)?.[1];
    if (tag === undefined) throw new LabError(`the lab's EC2 stand-in does not know the filter ${filter}`);
    return node.tags[tag] ?? "";
}
