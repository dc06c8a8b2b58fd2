import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation, RegisteredResource } from "../scripts/offline/mockEngine";
import { TYPES } from "../scripts/offline/resourceTypes";
import { clusterRules, ruleName } from "../components/security/rules";
import { evaluateStack, ofType } from "./helpers/evaluate";

// Issue 12, item 6: the security-group matrix keeps only the flows the services need. Written
// out literally (the meaning, not the code that derives it from the catalog); docs/roles.md
// gives each flow's reason and the table before/after.

/** "<to> <- <from> <proto> <port>[-<port>]", one per ingress rule resource. */
function ingress(e: Evaluation): string[] {
    const role = new Map(ofType(e, TYPES.securityGroup).map((sg) => [sg.id, (sg.inputs.tags.Role as string | undefined) ?? "dns-forwarder"]));
    return ofType(e, TYPES.ingressRule).map((r: RegisteredResource) => {
        const from = r.inputs.referencedSecurityGroupId ? role.get(r.inputs.referencedSecurityGroupId) : r.inputs.cidrIpv4;
        const ports = r.inputs.fromPort === r.inputs.toPort ? `${r.inputs.fromPort}` : `${r.inputs.fromPort}-${r.inputs.toPort}`;
        return `${role.get(r.inputs.securityGroupId)} <- ${from} ${r.inputs.ipProtocol} ${ports}`;
    }).sort();
}

function egress(e: Evaluation): string[] {
    const role = new Map(ofType(e, TYPES.securityGroup).map((sg) => [sg.id, (sg.inputs.tags.Role as string | undefined) ?? "dns-forwarder"]));
    return ofType(e, TYPES.egressRule).map((r) => {
        const to = r.inputs.referencedSecurityGroupId ? role.get(r.inputs.referencedSecurityGroupId) : r.inputs.cidrIpv4;
        return `${role.get(r.inputs.securityGroupId)} -> ${to} ${r.inputs.ipProtocol} ${r.inputs.fromPort ?? "all"}`;
    }).sort();
}

/** The dev stack (adminCidrs 203.0.113.0/24, VPN off): every ingress rule there is. */
const DEV_INGRESS = [
    // SSH: the border from the operators, every other node from the border (the jump host).
    "border <- 203.0.113.0/24 tcp 22",
    "quorum <- border tcp 22",
    "master <- border tcp 22",
    "worker <- border tcp 22",
    // etcd: its clients (the swap, operators' etcdctl) and peers are quorum nodes only.
    "quorum <- quorum tcp 2379",
    "quorum <- quorum tcp 2380",
    // ZooKeeper: masters (Mesos, Marathon, Mesos-DNS, the ensemble) and agents (leader detection).
    "master <- master tcp 2181",
    "master <- worker tcp 2181",
    "master <- master tcp 2888",
    "master <- master tcp 3888",
    // Mesos master: masters (replicated log, Marathon, Mesos-DNS, post-steps), agents, the operators' tunnel.
    "master <- master tcp 5050",
    "master <- worker tcp 5050",
    "master <- border tcp 5050",
    // Marathon: masters (leader proxy, post-steps), marathon-lb on the workers, the operators' tunnel.
    "master <- master tcp 8080",
    "master <- worker tcp 8080",
    "master <- border tcp 8080",
    // Marathon's scheduler driver, opened by the leading Mesos master.
    "master <- master tcp 15101",
    // Mesos-DNS, asked only by the VPC resolver's forwarder.
    "master <- dns-forwarder udp 53",
    "master <- dns-forwarder tcp 53",
    // Mesos agent: the masters; task ports: marathon-lb backends (workers), Marathon's own health checks (masters).
    "worker <- master tcp 5051",
    "worker <- master tcp 31000-32000",
    "worker <- worker tcp 31000-32000",
    // marathon-lb's frontends, from the border.
    "worker <- border tcp 80",
    "worker <- border tcp 443",
    // Prometheus (masters) scrapes cAdvisor and node-exporter.
    "master <- master tcp 4194",
    "worker <- master tcp 4194",
    "border <- master tcp 9100",
    "quorum <- master tcp 9100",
    "master <- master tcp 9100",
    "worker <- master tcp 9100",
].sort();

let dev: Evaluation;
let vpn: Evaluation;
beforeAll(async () => {
    dev = await evaluateStack();
    vpn = await evaluateStack({ config: { "mesos-cluster:vpn": JSON.stringify({ enabled: true }), "mesos-cluster:adminCidrs": JSON.stringify(["203.0.113.0/24", "198.51.100.7/32"]) } });
}, 120_000);

describe("the security-group matrix under mocks", () => {
    it("is exactly these ingress rules (dev stack)", () => {
        expect(ingress(dev)).toEqual(DEV_INGRESS);
    });

    it("with the VPN: Pritunl's two ports and SSH, from each admin CIDR, to the border only; nothing else changes", () => {
        const extra = ingress(vpn).filter((r) => !DEV_INGRESS.includes(r));
        expect(extra).toEqual([
            "border <- 198.51.100.7/32 tcp 22",
            "border <- 198.51.100.7/32 tcp 443",
            "border <- 198.51.100.7/32 udp 1194",
            "border <- 203.0.113.0/24 tcp 443",
            "border <- 203.0.113.0/24 udp 1194",
        ]);
        expect(DEV_INGRESS.filter((r) => !ingress(vpn).includes(r))).toEqual([]);
    });

    it("takes nothing from 0.0.0.0/0 or any CIDR but adminCidrs, and admits outsiders to the border only", () => {
        for (const e of [dev, vpn]) {
            const rules = ofType(e, TYPES.ingressRule);
            expect(rules.filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 !== undefined)).toEqual([]);
            const byCidr = ingress(e).filter((r) => /<- \d/.test(r));
            expect(byCidr.every((r) => r.startsWith("border <- "))).toBe(true);
            expect(rules.every((r) => (r.inputs.cidrIpv4 === undefined) !== (r.inputs.referencedSecurityGroupId === undefined))).toBe(true);
        }
    });

    it("no longer has the flows nobody needs: etcd from masters or workers, Prometheus or HAProxy stats from the border", () => {
        const rules = ingress(dev);
        for (const gone of ["quorum <- master tcp 2379", "quorum <- worker tcp 2379", "master <- border tcp 9090", "worker <- border tcp 9090"]) expect(rules).not.toContain(gone);
        expect(rules.filter((r) => / 9090$/.test(r))).toEqual([]);
    });

    it("names one port or the task range per rule, and every rule says what it is for", () => {
        for (const r of ofType(dev, TYPES.ingressRule)) {
            expect(r.inputs.toPort - r.inputs.fromPort === 0 || (r.inputs.fromPort === 31000 && r.inputs.toPort === 32000)).toBe(true);
            expect(r.inputs.description).toMatch(/\S/);
        }
    });

    it("egress: every role open outward (images, packages through the NAT gateway); the DNS forwarder only to Mesos-DNS", () => {
        expect(egress(dev)).toEqual([
            "border -> 0.0.0.0/0 -1 all",
            "dns-forwarder -> master tcp 53",
            "dns-forwarder -> master udp 53",
            "master -> 0.0.0.0/0 -1 all",
            "quorum -> 0.0.0.0/0 -1 all",
            "worker -> 0.0.0.0/0 -1 all",
        ]);
    });
});

describe("clusterRules: the pure matrix", () => {
    it("gives each rule a distinct resource name", () => {
        const names = clusterRules({ vpn: true }).map(ruleName);
        expect(new Set(names).size).toBe(names.length);
    });

    it("opens 2379 to the quorum nodes alone: only they hold etcdctl's client certificate", () => {
        expect(clusterRules({ vpn: false }).filter((r) => r.to === "quorum" && r.fromPort !== 22 && r.fromPort !== 9100).map((r) => `${r.from} ${r.fromPort}`)).toEqual(["quorum 2379", "quorum 2380"]);
    });
});
