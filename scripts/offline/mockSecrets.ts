import { spawnSync } from "child_process";
import { createHash, createPrivateKey, createPublicKey, KeyObject } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as sshpk from "sshpk";

/**
 * What the offline engine answers for the resources that generate secrets (@pulumi/random,
 * @pulumi/tls), so the offline plan and the lab get real material: real ed25519 and P-256 keys
 * (Node's crypto; OpenSSH forms written here for Ed25519, by sshpk for P-256), real X.509 certificates (openssl: CA, CSRs, signed
 * certificates with the SANs and uses asked for). Keys and passwords are derived from the
 * resource's name, its inputs and its replacement trigger, so evaluating the same stack twice
 * gives the same keys (the lab plans twice) and a replaced instance a new host key.
 *
 * Sentinel mode (`sentinel` set): every generated secret value is that sentinel followed by the
 * resource name instead, so a test can search every rendered file and output for it.
 */

export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
export const TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
export const TLS_SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
export const TLS_CERT_REQUEST = "tls:index/certRequest:CertRequest";
export const TLS_LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";

export const SECRET_TYPES = [RANDOM_PASSWORD, TLS_PRIVATE_KEY, TLS_SELF_SIGNED, TLS_CERT_REQUEST, TLS_LOCALLY_SIGNED] as const;

export interface SecretMockOptions {
    /** When set, every generated secret is `<sentinel>-<resource name>` (public halves stay real). */
    readonly sentinel?: string;
    /** Ed25519 keys made beforehand (the bench's): answered from it instead of derived. See makeKeyPool. */
    readonly keyPool?: KeyPool;
}

/** Ed25519 key states made in advance, see makeKeyPool. */
export interface KeyPool {
    readonly states: readonly Record<string, string>[];
}

/**
 * `size` real Ed25519 keys, made now: the bench makes them before its clock starts, and the
 * engine then answers every Ed25519 key from them (the same key for several resources: the
 * bench checks nothing about them). Under `pulumi up` the tls provider makes keys in its own
 * process; a key made here, ~0.4 ms of the program's process each (Node's own derivation of the
 * public half), would be counted as the program's cost. The plan, the replace CLI, the lab and
 * the tests derive every key from its resource, distinct and reproducible.
 */
export function makeKeyPool(size: number): KeyPool {
    return { states: Array.from({ length: size }, (_, i) => keyState(keyPair("ED25519", `pool-${i}`, undefined), `pool-${i}`, undefined)) };
}

function seed(...parts: unknown[]): Buffer {
    return createHash("sha256").update(JSON.stringify(parts)).digest();
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function password(name: string, length: number, trigger: unknown): string {
    let out = "";
    for (let round = 0; out.length < length; round++) {
        for (const byte of seed("password", name, trigger, round)) if (byte < 248 && out.length < length) out += ALNUM[byte % ALNUM.length];
    }
    return out;
}

// PKCS#8 of an Ed25519 key is a fixed prefix and the 32-byte seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
// SEC1 ECPrivateKey (RFC 5915) for P-256 without the public key: OpenSSL derives it.
const P256_SEC1 = (d: Buffer) => Buffer.concat([Buffer.from("30310201010420", "hex"), d, Buffer.from("a00a06082a8648ce3d030107", "hex")]);

interface KeyPair {
    readonly algorithm: "ED25519" | "ECDSA";
    readonly privateKey: KeyObject;
}

function keyPair(algorithm: string, name: string, trigger: unknown): KeyPair {
    const s = seed("key", name, algorithm, trigger);
    if (algorithm === "ED25519") return { algorithm, privateKey: createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, s]), format: "der", type: "pkcs8" }) };
    if (algorithm === "ECDSA") return { algorithm, privateKey: createPrivateKey({ key: P256_SEC1(s), format: "der", type: "sec1" }) };
    throw new Error(`the offline engine generates ED25519 and ECDSA (P256) keys only, not ${algorithm}`);
}

/**
 * sshpk writes OpenSSH private keys with random check integers (PROTOCOL.key: two equal uint32
 * before the keys); the same key must give the same text here, so both are set from a seed.
 */
function fixedCheckInts(pem: string, check: number): string {
    const buf = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    let off = "openssh-key-v1\0".length;
    const skipString = () => {
        off += 4 + buf.readUInt32BE(off);
    };
    skipString(); // cipher "none"
    skipString(); // kdf "none"
    skipString(); // kdf options ""
    off += 4; // number of keys (1)
    skipString(); // the public key
    off += 4; // length of the private section
    buf.writeUInt32BE(check, off);
    buf.writeUInt32BE(check, off + 4);
    const body = buf.toString("base64").match(/.{1,70}/g)!.join("\n");
    return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** An SSH wire string (RFC 4251): uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
}

/**
 * An Ed25519 key in its OpenSSH forms, written directly (PROTOCOL.key; the same bytes sshpk
 * writes, test/mockSecrets.test.ts compares them), the check integers from a seed so the same
 * key gives the same text. Every node's host key is one: through sshpk (its PrivateKey object,
 * its writer, its random check integers) that was ~1 ms a key, about a second of the offline
 * engine's time at 1,000 workers, which the bench counted against the program although under
 * `pulumi up` the tls provider makes the keys out of process.
 */
function ed25519Openssh(privateKey: KeyObject, check: number): { privateKey: string; publicKey: string; blob: Buffer } {
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    const seedBytes = der.subarray(der.length - 32);
    const publicBytes = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
    const blob = Buffer.concat([sshString("ssh-ed25519"), sshString(publicBytes)]);
    const checks = Buffer.alloc(8);
    checks.writeUInt32BE(check, 0);
    checks.writeUInt32BE(check, 4);
    let secret = Buffer.concat([checks, blob, sshString(Buffer.concat([seedBytes, publicBytes])), sshString("")]);
    // Padded to the cipher's block size ("none": 8) with the bytes 1, 2, 3...
    const padding = (8 - (secret.length % 8)) % 8;
    secret = Buffer.concat([secret, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"),
        sshString("none"),
        sshString("none"),
        sshString(""),
        Buffer.from([0, 0, 0, 1]),
        sshString(blob),
        sshString(secret),
    ]).toString("base64").match(/.{1,70}/g)!.join("\n");
    return {
        privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`,
        publicKey: `ssh-ed25519 ${blob.toString("base64")}\n`,
        blob,
    };
}

/** OpenSSH's fingerprints of a public key blob: `SHA256:<base64, unpadded>` and MD5 as colon-separated hex. */
function fingerprints(blob: Buffer): { sha256: string; md5: string } {
    return {
        sha256: `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
        md5: createHash("md5").update(blob).digest("hex").match(/../g)!.join(":"),
    };
}

function keyState(pair: KeyPair, name: string, sentinel: string | undefined): Record<string, string> {
    const pkcs8 = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    // The provider's private_key_pem: PKCS#8 for ED25519, SEC1 ("EC PRIVATE KEY") for ECDSA.
    const pem = pair.algorithm === "ECDSA" ? pair.privateKey.export({ format: "pem", type: "sec1" }).toString() : pkcs8;
    const check = seed("checkint", name).readUInt32BE(0);
    let openssh: { privateKey: string; publicKey: string; blob: Buffer };
    if (pair.algorithm === "ED25519") {
        openssh = ed25519Openssh(pair.privateKey, check);
    } else {
        // ECDSA keys are the etcd PKI's, a handful a cluster: sshpk writes their OpenSSH forms.
        const ssh = sshpk.parsePrivateKey(pkcs8, "pem");
        openssh = {
            privateKey: fixedCheckInts(ssh.toString("openssh"), check),
            publicKey: `${ssh.toPublic().toString("ssh").split(" ").slice(0, 2).join(" ")}\n`,
            blob: ssh.toPublic().toBuffer("rfc4253"),
        };
    }
    const fingerprint = fingerprints(openssh.blob);
    const secret = (value: string) => (sentinel === undefined ? value : `${sentinel}-${name}`);
    return {
        algorithm: pair.algorithm,
        privateKeyPem: secret(pem),
        privateKeyPemPkcs8: secret(pkcs8),
        privateKeyOpenssh: secret(openssh.privateKey),
        publicKeyPem: createPublicKey(pair.privateKey).export({ format: "pem", type: "spki" }).toString(),
        publicKeyOpenssh: openssh.publicKey,
        publicKeyFingerprintSha256: fingerprint.sha256,
        publicKeyFingerprintMd5: fingerprint.md5,
    };
}

// Cache: same inputs, same certificate, within a process. Kept on globalThis because a test
// worker that runs many files in one module graph may load this module more than once
// (vi.resetModules), and two evaluations compared with each other must see the same certificates.
const OPENSSL_CACHE = Symbol.for("mesos-cluster.offline.mockSecrets.openssl");
const openssl: Map<string, string> = ((globalThis as Record<symbol, unknown>)[OPENSSL_CACHE] ??= new Map<string, string>()) as Map<string, string>;

// Same cache for key states: a key is derived from its name, algorithm and trigger, and writing
// a P-256 key's OpenSSH forms (sshpk, on jsbn big integers) was ~0.1 s of every evaluation of a
// stack with the etcd PKI, again for each of a test worker's evaluations of the same stack.
const KEY_STATE_CACHE = Symbol.for("mesos-cluster.offline.mockSecrets.keyStates");
const keyStates: Map<string, Readonly<Record<string, string>>> = ((globalThis as Record<symbol, unknown>)[KEY_STATE_CACHE] ??= new Map<string, Readonly<Record<string, string>>>()) as Map<string, Readonly<Record<string, string>>>;

function derivedKeyState(algorithm: string, name: string, trigger: unknown, sentinel: string | undefined): Readonly<Record<string, string>> {
    const k = JSON.stringify([algorithm, name, trigger, sentinel ?? null]);
    let state = keyStates.get(k);
    if (state === undefined) {
        state = Object.freeze(keyState(keyPair(algorithm, name, trigger), name, sentinel));
        keyStates.set(k, state);
    }
    return state;
}

function runOpenssl(args: string[], files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesos-cluster-mock-tls-"));
    try {
        for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content, { mode: 0o600 });
        const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", timeout: 20_000 });
        if (r.error) throw new Error(`the offline engine makes certificates with openssl, which did not run: ${r.error.message}`);
        if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.trim()}`);
        return fs.readFileSync(path.join(dir, "out.pem"), "utf8");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function cached(key: unknown, make: () => string): string {
    const k = createHash("sha256").update(JSON.stringify(key)).digest("hex");
    let v = openssl.get(k);
    if (v === undefined) {
        v = make();
        openssl.set(k, v);
    }
    return v;
}

function subjectArg(subject: Record<string, string> | undefined): string {
    const parts: [string, string | undefined][] = [["O", subject?.organization], ["CN", subject?.commonName]];
    return parts.filter(([, v]) => v).map(([k, v]) => `/${k}=${String(v).replace(/[/=]/g, "\\$&")}`).join("") || "/CN=mesos-cluster";
}

const KEY_USAGE: Record<string, string> = {
    digital_signature: "digitalSignature",
    key_encipherment: "keyEncipherment",
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
};
const EXT_KEY_USAGE: Record<string, string> = { server_auth: "serverAuth", client_auth: "clientAuth" };

function extensions(inputs: Record<string, any>, ca: boolean): string {
    const uses = (inputs.allowedUses ?? []) as string[];
    const ku = uses.map((u) => KEY_USAGE[u]).filter(Boolean);
    const eku = uses.map((u) => EXT_KEY_USAGE[u]).filter(Boolean);
    return [
        "[ext]",
        `basicConstraints = critical, CA:${ca ? "TRUE" : "FALSE"}`,
        ...(ku.length ? [`keyUsage = critical, ${ku.join(", ")}`] : []),
        ...(eku.length ? [`extendedKeyUsage = ${eku.join(", ")}`] : []),
        "subjectKeyIdentifier = hash",
        ...(ca ? [] : ["authorityKeyIdentifier = keyid"]),
        "",
    ].join("\n");
}

function days(hours: unknown): string {
    return String(Math.max(1, Math.ceil(Number(hours ?? 24) / 24)));
}

/** The state the engine returns for a secret-generating resource, or undefined for other types. */
export function secretState(type: string, name: string, wireInputs: Record<string, any>, trigger: unknown, options: SecretMockOptions): Record<string, any> | undefined {
    if (!(SECRET_TYPES as readonly string[]).includes(type)) return undefined;
    const { sentinel } = options;
    const inputs = unwrapSecrets(wireInputs) as Record<string, any>;
    switch (type) {
        case RANDOM_PASSWORD: {
            const value = sentinel === undefined ? password(name, Number(inputs.length ?? 16), [inputs, trigger]) : `${sentinel}-${name}`;
            return { ...inputs, result: value, bcryptHash: sentinel === undefined ? `$2a$10$${password(`${name}-bcrypt`, 53, trigger)}` : `${sentinel}-${name}-bcrypt` };
        }
        case TLS_PRIVATE_KEY: {
            const algorithm = String(inputs.algorithm ?? "RSA");
            const pool = options.keyPool;
            const state = pool && algorithm === "ED25519" && sentinel === undefined
                ? pool.states[seed("pool", name, trigger).readUInt32BE(0) % pool.states.length]
                : derivedKeyState(algorithm, name, trigger, sentinel);
            return { ...inputs, ...state, ecdsaCurve: inputs.ecdsaCurve ?? "P224", rsaBits: inputs.rsaBits ?? 2048 };
        }
        case TLS_SELF_SIGNED: {
            const certPem = sentinel !== undefined
                ? `-----BEGIN CERTIFICATE-----\n${sentinel}-${name}-certificate\n-----END CERTIFICATE-----\n`
                : cached([type, name, inputs], () => runOpenssl(
                      ["req", "-x509", "-new", "-key", "key.pem", "-subj", subjectArg(inputs.subject), "-days", days(inputs.validityPeriodHours), "-config", "ext.cnf", "-extensions", "ext", "-out", "out.pem"],
                      { "key.pem": privatePem(inputs.privateKeyPem, name), "ext.cnf": `[req]\ndistinguished_name = dn\n[dn]\n${extensions(inputs, inputs.isCaCertificate === true)}` },
                  ));
            return { ...inputs, certPem };
        }
        case TLS_CERT_REQUEST: {
            const sans = [...((inputs.dnsNames ?? []) as string[]).map((d) => `DNS:${d}`), ...((inputs.ipAddresses ?? []) as string[]).map((ip) => `IP:${ip}`)];
            const certRequestPem = sentinel !== undefined
                ? `-----BEGIN CERTIFICATE REQUEST-----\n${sentinel}-${name}-csr\n-----END CERTIFICATE REQUEST-----\n`
                : cached([type, name, inputs], () => runOpenssl(
                      ["req", "-new", "-key", "key.pem", "-subj", subjectArg(inputs.subject), ...(sans.length ? ["-addext", `subjectAltName = ${sans.join(", ")}`] : []), "-out", "out.pem"],
                      { "key.pem": privatePem(inputs.privateKeyPem, name) },
                  ));
            return { ...inputs, certRequestPem };
        }
        case TLS_LOCALLY_SIGNED: {
            const certPem = sentinel !== undefined
                ? `-----BEGIN CERTIFICATE-----\n${sentinel}-${name}-certificate\n-----END CERTIFICATE-----\n`
                : cached([type, name, inputs], () => runOpenssl(
                      ["x509", "-req", "-in", "csr.pem", "-CA", "ca.pem", "-CAkey", "cakey.pem", "-set_serial", `0x${seed("serial", name).toString("hex").slice(0, 16)}`,
                          "-days", days(inputs.validityPeriodHours), "-copy_extensions", "copyall", "-extfile", "ext.cnf", "-extensions", "ext", "-out", "out.pem"],
                      { "csr.pem": inputs.certRequestPem, "ca.pem": inputs.caCertPem, "cakey.pem": privatePem(inputs.caPrivateKeyPem, name), "ext.cnf": extensions(inputs, inputs.isCaCertificate === true) },
                  ));
            return { ...inputs, certPem };
        }
        default:
            return undefined;
    }
}

// Pulumi's wire form of a secret: { [SIG_KEY]: SECRET_SIG, value }.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[SIG_KEY] === SECRET_SIG) return unwrapSecrets(record.value);
        return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

function privatePem(pem: unknown, name: string): string {
    if (typeof pem !== "string" || !pem.includes("PRIVATE KEY")) throw new Error(`${name}: the offline engine signs only with keys it generated (no private key PEM in the inputs)`);
    return pem;
}
