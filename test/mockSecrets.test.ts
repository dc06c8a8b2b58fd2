import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as sshpk from "sshpk";
import { describe, expect, it } from "vitest";
import { makeKeyPool, secretState, TLS_PRIVATE_KEY } from "../scripts/offline/mockSecrets";

/**
 * The offline engine writes an Ed25519 key's OpenSSH forms itself (it was sshpk's job, ~1 ms a
 * key): what it writes must be what sshpk writes for the same key, and what ssh-keygen reads.
 */
describe("the offline engine's Ed25519 host keys", () => {
    const keys = Array.from({ length: 8 }, (_, i) => secretState(TLS_PRIVATE_KEY, `cell-1-worker-${i}-ssh-host-key`, { algorithm: "ED25519" }, `worker-${i}-id`, {})!);

    it("are the key of their PKCS#8 form, as sshpk reads both, with sshpk's fingerprints", () => {
        for (const key of keys) {
            const parsed = sshpk.parsePrivateKey(key.privateKeyOpenssh, "openssh");
            const fromPkcs8 = sshpk.parsePrivateKey(key.privateKeyPemPkcs8, "pem");
            expect(parsed.type).toBe("ed25519");
            // sshpk's typings name the parts by algorithm; an Ed25519 key's are k (seed) and A (public).
            const part = (k: sshpk.PrivateKey, name: string) => (k.part as unknown as Record<string, sshpk.KeyPart>)[name].data;
            expect(part(parsed, "k").equals(part(fromPkcs8, "k"))).toBe(true);
            expect(part(parsed, "A").equals(part(fromPkcs8, "A"))).toBe(true);
            expect(fromPkcs8.toPublic().toString("ssh").split(" ").slice(0, 2).join(" ") + "\n").toBe(key.publicKeyOpenssh);
            expect(key.publicKeyFingerprintSha256).toBe(fromPkcs8.toPublic().fingerprint("sha256").toString());
            expect(key.publicKeyFingerprintMd5).toBe(fromPkcs8.toPublic().fingerprint("md5").toString("hex"));
        }
        expect(new Set(keys.map((k) => k.privateKeyOpenssh)).size).toBe(keys.length);
    });

    it("are read by ssh-keygen, which derives the same public half", () => {
        const hasKeygen = spawnSync("ssh-keygen", ["-?"]).error === undefined;
        if (!hasKeygen) return;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mock-secrets-"));
        try {
            const file = path.join(dir, "key");
            fs.writeFileSync(file, keys[0].privateKeyOpenssh, { mode: 0o600 });
            const r = spawnSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" });
            expect(r.stderr).toBe("");
            expect(r.stdout.split(" ").slice(0, 2).join(" ").trim()).toBe(keys[0].publicKeyOpenssh.trim());
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("come from a pool made beforehand when the bench asks for one: real keys, reused, the same state as a derived key's", () => {
        const pool = makeKeyPool(4);
        const pooled = Array.from({ length: 12 }, (_, i) => secretState(TLS_PRIVATE_KEY, `k-${i}`, { algorithm: "ED25519" }, `t-${i}`, { keyPool: pool })!);
        expect(new Set(pooled.map((k) => k.privateKeyOpenssh)).size).toBeLessThanOrEqual(4);
        for (const key of pooled) {
            expect(Object.keys(key).sort()).toEqual(Object.keys(keys[0]).sort());
            expect(sshpk.parsePrivateKey(key.privateKeyOpenssh, "openssh").toPublic().toString("ssh").split(" ").slice(0, 2).join(" ") + "\n").toBe(key.publicKeyOpenssh);
        }
        // ECDSA keys (the etcd PKI's, a handful) are never pooled.
        const ecdsa = secretState(TLS_PRIVATE_KEY, "ca", { algorithm: "ECDSA", ecdsaCurve: "P256" }, undefined, { keyPool: pool })!;
        expect(ecdsa).toEqual(secretState(TLS_PRIVATE_KEY, "ca", { algorithm: "ECDSA", ecdsaCurve: "P256" }, undefined, {}));
    });
});
