import { describe, expect, it, vi } from "vitest";

// Issue 15, the catalog run of 2026-11-22 (86.6% after test/catalog.survivors.test.ts): what
// survived are module-level constants, evaluated when the module loads. StrykerJS activates a
// mutant only from the test file's hooks on, so each test here loads the module afresh (after
// vi.resetModules()) and states the expected values literally: they are the contract the
// nodes, templates and scripts share, and a change to one of them is a change to all of those.

async function fresh<T>(load: () => Promise<T>): Promise<T> {
    vi.resetModules();
    return load();
}

describe("the catalog's constants, loaded afresh", () => {
    it("keeps the secret files under /etc/mesos-cluster/secrets, and the boot fetch at /usr/local/sbin", async () => {
        const secrets = await fresh(() => import("../components/catalog/secrets.js"));
        expect(secrets.SECRETS_DIR).toBe("/etc/mesos-cluster/secrets");
        expect(secrets.secretPath("etcdCa")).toBe("/etc/mesos-cluster/secrets/etcd-ca.crt");
        expect(secrets.SECRETS_FETCH).toBe("/usr/local/sbin/mesos-cluster-secrets");
        expect(secrets.HOST_KEY_BINDING).toBe("host-key-binding");
    });

    it("takes a secret of printable ASCII only, from its first character to its last", async () => {
        const { SECRET_CHARACTERS } = await fresh(() => import("../components/catalog/secrets.js"));
        expect(SECRET_CHARACTERS.test("s3cr3t!~")).toBe(true);
        expect(SECRET_CHARACTERS.test("")).toBe(true);
        // A space (0x20) or a newline at either end is outside 0x21-0x7e.
        expect(SECRET_CHARACTERS.test(" s3cr3t")).toBe(false);
        expect(SECRET_CHARACTERS.test("s3cr3t\n")).toBe(false);
        expect(SECRET_CHARACTERS.test("s3c\tr3t")).toBe(false);
    });

    it("names Mesos-DNS's domain mesos and the VPC's resolver 169.254.169.253", async () => {
        const dns = await fresh(() => import("../components/catalog/dns.js"));
        expect(dns.MESOS_DNS_DOMAIN).toBe("mesos");
        expect(dns.VPC_RESOLVER).toBe("169.254.169.253");
    });

    it("speaks https to etcd, and etcdctl's default endpoint is the local member on 2379", async () => {
        const etcd = await fresh(() => import("../components/catalog/etcd.js"));
        expect(etcd.ETCD_SCHEME).toBe("https");
        expect(etcd.etcdClientUrl("10.136.64.22")).toBe("https://10.136.64.22:2379");
        expect(etcd.ETCD_LOCAL_ENDPOINT).toBe("https://127.0.0.1:2379");
        expect(etcd.ETCD_TLS.ca).toBe("/etc/mesos-cluster/secrets/etcd-ca.crt");
    });
});
