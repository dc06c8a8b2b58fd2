import * as fs from "fs";
import * as path from "path";
import { PORTS } from "../../components/catalog/services";
import type { Hosts } from "./hosts";
import { inCidr, LabNode, LabPlan, LabRecord } from "./plan";
import { LabError, must, Probe, run } from "./proc";

/**
 * The lab's stand-in for the cluster's private hosted zone and the VPC resolver: Debian's
 * dnsmasq in a namespace of its own on the segment of the subnet holding its address (every
 * other subnet reaches it through the router), at the address the DHCP options set's
 * `AmazonProvidedDNS` has in a VPC (the VPC network + 2, an address AWS reserves, so never a
 * node's). It answers only the plan's A records: one file per record in a hosts directory,
 * which dnsmasq watches (inotify), so adding a record is writing one new file, as Route 53
 * adds one record; nothing else changes. It has no upstream: every query stays in the lab.
 *
 * Each host gets `nameserver <address>` and `search <domain>` in its own /etc/resolv.conf, as
 * DHCP gives an instance, so short names resolve through the search domain.
 */

const NET = path.join(__dirname, "net.sh");

/** The VPC resolver's address: the VPC network's base + 2. */
export function vpcResolverAddress(vpcCidr: string): string {
    const [base, bits] = vpcCidr.split("/");
    const n = base.split(".").reduce((acc, o) => acc * 256 + Number(o), 0) + 2;
    if (Number(bits) > 30) throw new LabError(`VPC ${vpcCidr} is too small for a resolver address`);
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export class LabDns {
    readonly address: string;
    readonly domain: string;
    private readonly dir: string;
    private readonly recordsDir: string;
    private readonly published = new Map<string, string>();

    constructor(
        private readonly plan: LabPlan,
        private readonly labDir: string,
        private readonly prefix: string,
    ) {
        this.address = vpcResolverAddress(plan.vpcCidr);
        if (plan.addresses.has(this.address)) throw new LabError(`the plan uses ${this.address}, the address the lab's DNS server stands in for the VPC resolver at`);
        for (const seg of plan.segments) {
            if (plan.addresses.has(seg.router)) throw new LabError(`the plan uses ${seg.router}, the VPC router's address in ${seg.cidr} (network + 1, reserved by AWS)`);
        }
        this.domain = plan.domain;
        this.dir = path.join(labDir, "dns");
        this.recordsDir = path.join(this.dir, "records");
    }

    /** The namespace dnsmasq runs in. */
    get ns(): string {
        return `${this.prefix}-dns`;
    }

    /** What DHCP would give a node: the resolver and the cluster domain as search domain. */
    resolvConf(): string {
        return `nameserver ${this.address}\nsearch ${this.domain}\n`;
    }

    /** The namespace on the bridge and dnsmasq in it, serving `records`; returns once it listens. */
    start(records: readonly LabRecord[]): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.mkdirSync(this.recordsDir, { recursive: true });
        this.publish(records);
        // On the segment of the subnet holding the address, reached from the others via the router.
        const seg = this.plan.segments.find((s) => inCidr(this.address, s.cidr));
        if (!seg) throw new LabError(`the VPC resolver's address ${this.address} is in none of the plan's subnets`);
        must(["bash", NET, "dns-up", `${this.address}/${seg.prefixLength}`, seg.bridge, seg.router, this.domain, this.recordsDir, path.join(this.dir, "dnsmasq.log"), String(PORTS.dns)], "net.sh dns-up",
            { env: { ...process.env, LAB_DIR: this.labDir, LAB_PREFIX: this.prefix } });
    }

    /**
     * Adds records as Route 53 would: one file each, written whole (a rename), none rewritten.
     * A record whose name is already published with another address is refused. Returns the
     * names it added.
     */
    publish(records: readonly LabRecord[]): string[] {
        const added: string[] = [];
        for (const r of records) {
            const had = this.published.get(r.fqdn);
            if (had === r.ip) continue;
            if (had !== undefined) throw new LabError(`record ${r.fqdn}: already ${had}, the plan now says ${r.ip} (an existing record must not change)`);
            // Written beside the directory and renamed in: dnsmasq reads whatever appears in it.
            const tmp = path.join(this.dir, `${r.fqdn}.tmp`);
            fs.writeFileSync(tmp, `${r.ip} ${r.fqdn}\n`);
            fs.renameSync(tmp, path.join(this.recordsDir, r.fqdn));
            this.published.set(r.fqdn, r.ip);
            added.push(r.fqdn);
        }
        return added;
    }

    /**
     * What `getent ahostsv4 NAME` answers inside the node (its own resolv.conf, hosts and
     * nsswitch.conf): name → first address, "" if it does not resolve.
     */
    lookup(hosts: Hosts, from: string, names: readonly string[]): Map<string, string> {
        const script = 'for n in "$@"; do printf "%s %s\\n" "$n" "$(getent ahostsv4 "$n" | awk "NR==1{print \\$1}")"; done';
        const r = hosts.inNode(from, ["bash", "-c", script, "lookup", ...names], { timeout: 60_000 });
        if (r.code !== 0) throw new LabError(`${from}: lookups failed (exit ${r.code}): ${r.stderr.trim()}`);
        return new Map(r.stdout.split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string]).map(([n, ip]) => [n, ip ?? ""]));
    }

    /** Whether every host of `from` resolves every node of `targets` by FQDN and short name to its IP. */
    resolves(hosts: Hosts, from: readonly LabNode[], targets: readonly LabNode[]): Probe {
        const bad: string[] = [];
        for (const f of from) {
            const seen = this.lookup(hosts, f.name, targets.flatMap((t) => [t.fqdn, t.name]));
            for (const t of targets) {
                for (const name of [t.fqdn, t.name]) {
                    if (seen.get(name) !== t.privateIp) bad.push(`${f.name}: ${name} -> ${seen.get(name) || "nothing"}`);
                }
            }
        }
        const dnsmasq = run(["ip", "netns", "pids", this.ns]).stdout.trim() ? "" : " (dnsmasq is not running)";
        return { ok: bad.length === 0, detail: (bad.join("; ") || `${from.length} hosts x ${targets.length} nodes x 2 names`) + dnsmasq };
    }
}
