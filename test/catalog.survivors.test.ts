import { describe, expect, it } from "vitest";
import { etcdClientUrl, etcdPeerUrl } from "../components/catalog/etcd";
import { roleImageKeys } from "../components/catalog/services";

// Issue 15, the catalog run of 2026-11-22 (`npm run mutate -- catalog`: 74.6%): the images each
// role pulls at first boot and etcd's URLs, written out rather than derived from the catalog.
// (Its other survivors are module-level constants: see docs/testing.md.)

describe("the catalog's derived facts", () => {
    it("lists the images each role pulls, units' images first and what they also pull, in catalog order", () => {
        expect(roleImageKeys("quorum", { vpn: false })).toEqual(["etcd", "nodeExporter"]);
        expect(roleImageKeys("master", { vpn: false })).toEqual(["zookeeper", "mesosMaster", "marathon", "mesosDns", "prometheus", "cadvisor", "nodeExporter"]);
        expect(roleImageKeys("worker", { vpn: true })).toEqual(["mesosAgent", "dockerCli", "marathonLb", "cadvisor", "nodeExporter"]);
    });

    it("speaks TLS to etcd on its peer and client ports", () => {
        expect(etcdPeerUrl("10.136.64.21")).toBe("https://10.136.64.21:2380");
        expect(etcdClientUrl("10.136.64.21")).toBe("https://10.136.64.21:2379");
    });
});
