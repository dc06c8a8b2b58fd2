import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CertSpec, EtcdCertPlan, opensslExtensions } from "../../components/secrets/etcdCerts";

/**
 * etcd's certificates issued with openssl from the program's own table
 * (components/secrets/etcdCerts.ts), independently of the program's own @pulumi/tls resources:
 * the TLS tests' certificates (test/etcd.tls.*.test.ts), and a foreign CA's. The lab uses the
 * program's (the offline engine's, delivered by the boot fetch). EC P-256 keys, as @pulumi/tls's
 * ECDSA keys.
 */

export interface IssuedPem {
    readonly cert: string;
    readonly key: string;
}

export interface EtcdPki {
    readonly ca: IssuedPem;
    readonly nodes: Readonly<Record<string, IssuedPem>>;
    readonly client: IssuedPem;
}

function openssl(args: readonly string[], cwd: string): void {
    const r = spawnSync("openssl", args, { cwd, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

function subject(spec: CertSpec): string {
    return `/O=${spec.organization}/CN=${spec.commonName}`;
}

/** One certificate for `spec` in `dir` (<base>.key, <base>.crt), signed by the CA there unless it is the CA. */
function issue(dir: string, base: string, spec: CertSpec): IssuedPem {
    const ext = path.join(dir, `${base}.ext`);
    fs.writeFileSync(ext, `[v3]\n${opensslExtensions(spec)}`);
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${base}.key`], dir);
    const days = String(Math.ceil(spec.validityPeriodHours / 24));
    openssl(["req", "-new", "-key", `${base}.key`, "-subj", subject(spec), "-config", "/dev/null", "-out", `${base}.csr`], dir);
    // The CA signs itself (-signkey); every other certificate is signed by the CA.
    const signer = spec.isCa ? ["-signkey", `${base}.key`] : ["-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"];
    openssl(["x509", "-req", "-in", `${base}.csr`, ...signer, "-days", days, "-extfile", ext, "-extensions", "v3", "-out", `${base}.crt`], dir);
    fs.chmodSync(path.join(dir, `${base}.key`), 0o600);
    return { cert: fs.readFileSync(path.join(dir, `${base}.crt`), "utf8"), key: fs.readFileSync(path.join(dir, `${base}.key`), "utf8") };
}

/** Issues the whole table in `dir`: ca.*, node-<name>.*, client.*. */
export function issueEtcdPki(dir: string, plan: EtcdCertPlan): EtcdPki {
    fs.mkdirSync(dir, { recursive: true });
    const ca = issue(dir, "ca", plan.ca);
    const nodes = Object.fromEntries(Object.entries(plan.nodes).map(([name, spec]) => [name, issue(dir, `node-${name}`, spec)]));
    const client = issue(dir, "client", plan.client);
    return { ca, nodes, client };
}
