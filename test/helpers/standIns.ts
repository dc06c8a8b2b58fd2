import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { SCRIPTS_DIR } from "../../components/poststeps/commandSpec";
import { TEMPLATES_DIR } from "../../components/userdata/render";

// Stand-ins for what only a node has (systemctl, cloud-init, sudo, ip, and curl answering as
// Mesos/Marathon would), put first on PATH so the scripts run here unchanged. The lab runs
// them for real.

// Under the run's scratch root (test/helpers/scratchRoot.ts removes it when the run ends).
const tmp = fs.mkdtempSync(path.join(process.env.MESOS_CLUSTER_TEST_SCRATCH ?? os.tmpdir(), "stand-ins-"));
let count = 0;

/**
 * The node's HTTP credentials file (issue 12) as every master has it: the scripts that call
 * Mesos or Marathon refuse to run without one, and read its path from here when not told.
 */
export const HTTP_CREDENTIALS = path.join(tmp, "http-operator");
fs.writeFileSync(HTTP_CREDENTIALS, "operator:test-password-0123456789", { mode: 0o600 });
process.env.MESOS_CLUSTER_HTTP_CREDENTIALS ??= HTTP_CREDENTIALS;

/** A fresh directory under this process's scratch space. */
export function scratch(prefix: string): string {
    return fs.mkdtempSync(path.join(tmp, `${prefix}-`));
}

/** A directory of executable stand-ins, put first on PATH. */
export function shims(files: Record<string, string>): NodeJS.ProcessEnv {
    const dir = path.join(tmp, `bin-${count++}`);
    fs.mkdirSync(dir);
    for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
    return { ...process.env, PATH: `${dir}:${process.env.PATH}` };
}

/**
 * A PATH holding only the stand-ins given and links to the named real tools: for "X is not
 * installed on this node" (the real X may well be installed here).
 */
export function barePath(files: Record<string, string>, tools: readonly string[]): NodeJS.ProcessEnv {
    const env = shims(files);
    const dir = env.PATH!.split(":")[0];
    for (const tool of tools) {
        const real = (process.env.PATH ?? "").split(":").map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
        if (!real) throw new Error(`${tool} not found on PATH`);
        fs.symlinkSync(real, path.join(dir, tool));
    }
    return { ...env, PATH: dir };
}

export const script = (name: string) => path.join(SCRIPTS_DIR, name);
export const nodeFile = (name: string) => path.join(TEMPLATES_DIR, "files", name);

/** Lines of a log file a stand-in appends to; [] when it was never written. */
export function lines(file: string): string[] {
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/**
 * Every file under `dir` with its bytes: compare before/after to prove nothing was changed
 * (no rewrite, no backup, no temp file, no marker).
 */
export function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
        const full = path.join(dir, rel);
        out[rel] = fs.statSync(full).isFile() ? fs.readFileSync(full, "base64") : "<dir>";
    }
    return out;
}

export interface LeaderWorldOptions {
    /** Masters (by IP) whose Mesos and Marathon do not answer at all (curl cannot connect). */
    readonly down?: readonly string[];
    /** What one master (by IP) says, when it differs from the queues: a master name, "" for no leader, or "HTTP 500". */
    readonly seenBy?: Readonly<Record<string, { mesos?: string; marathon?: string }>>;
    /** systemctl restart mesos-master.service fails (and changes nothing). */
    readonly restartFails?: boolean;
    /** DELETE /v2/leader fails (and changes nothing). */
    readonly deleteFails?: boolean;
    /** The leader steps down but is elected again at once (it stays at the head). */
    readonly sticky?: boolean;
}

/**
 * Mesos and Marathon as seen through curl: a contender queue per service, the head leads.
 * Restarting mesos-master or DELETE /v2/leader sends the leader to the back, as ZooKeeper's
 * leader election (oldest contender wins) and Marathon's abdication do. `actions()` lists every
 * systemctl call and every DELETE issued, in order.
 */
export function leaderWorld(mesosQueue: string[], marathonQueue: string[], options: LeaderWorldOptions = {}) {
    const state = scratch("world");
    fs.writeFileSync(path.join(state, "mesos"), mesosQueue.map((m) => `${m}\n`).join(""));
    fs.writeFileSync(path.join(state, "marathon"), marathonQueue.map((m) => `${m}\n`).join(""));
    fs.writeFileSync(path.join(state, "down"), (options.down ?? []).map((ip) => `${ip}\n`).join(""));
    for (const [ip, seen] of Object.entries(options.seenBy ?? {})) {
        if (seen.mesos !== undefined) fs.writeFileSync(path.join(state, `mesos@${ip}`), `${seen.mesos}\n`);
        if (seen.marathon !== undefined) fs.writeFileSync(path.join(state, `marathon@${ip}`), `${seen.marathon}\n`);
    }
    const actions = path.join(state, "actions");
    // Bash builtins only (read, mapfile, printf): the scripts call curl hundreds of times per
    // test run, and a head or grep per call cost a process each (issue 14).
    const rotate = (service: string) =>
        options.sticky
            ? `{ read -r head < ${state}/${service}; echo "$head" >> ${state}/${service}.stepped; }`
            : `{ mapfile -t queue < ${state}/${service}; printf '%s\\n' "\${queue[@]:1}" "\${queue[0]}" > ${state}/${service}; echo "\${queue[0]}" >> ${state}/${service}.stepped; }`;
    const env = shims({
        sudo: `[[ $1 == -n ]] && shift; exec "$@"`,
        systemctl: [
            `echo "systemctl $*" >> ${actions}`,
            options.restartFails ? `[[ $1 == restart ]] && exit 1` : ``,
            `[[ "$*" == "restart mesos-master.service" ]] && ${rotate("mesos")}; true`,
        ].join("\n"),
        curl: [
            `url=\${*: -1}; hostport=\${url#http://}; hostport=\${hostport%%/*}; ip=\${hostport%%:*}`,
            `leader_m=""; leader_a=""; read -r leader_m < ${state}/mesos; read -r leader_a < ${state}/marathon`,
            `[[ -f ${state}/mesos@$ip ]] && read -r leader_m < ${state}/mesos@$ip`,
            `[[ -f ${state}/marathon@$ip ]] && read -r leader_a < ${state}/marathon@$ip`,
            `case "$*" in *"-X DELETE"*) echo "curl -X DELETE $url" >> ${actions} ;; esac`,
            `while read -r down; do [[ $down == "$ip" ]] && exit 7; done < ${state}/down`,
            `case "$*" in`,
            `  *"-X DELETE"*) ${options.deleteFails ? "exit 22" : `${rotate("marathon")}; echo '{"message":"Leadership abdicated"}'`} ;;`,
            `  *"-sI"*) if [[ $leader_m == HTTP* ]]; then printf 'HTTP/1.1 %s Oops\\r\\n\\r\\n' "\${leader_m#HTTP }"; elif [[ -n $leader_m ]]; then printf 'HTTP/1.1 307 Temporary Redirect\\r\\nLocation: //%s.cell-1.dc-1.demo.lan:5050\\r\\n\\r\\n' "$leader_m"; else printf 'HTTP/1.1 503 Service Unavailable\\r\\n\\r\\n'; fi ;;`,
            `  *"/v2/leader"*) if [[ $leader_a == HTTP* ]]; then printf '{}\\n%s' "\${leader_a#HTTP }"; elif [[ -n $leader_a ]]; then printf '{"leader":"%s.cell-1.dc-1.demo.lan:8080"}\\n200' "$leader_a"; else printf '{"message":"There is no leader"}\\n404'; fi ;;`,
            `  *) echo "unexpected curl $*" >&2; exit 7 ;;`,
            `esac`,
        ].join("\n"),
    });
    const stepped = (service: string) => lines(path.join(state, `${service}.stepped`));
    return { env, stepped, actions: () => lines(actions) };
}

/**
 * A ZooKeeper that answers `srvr` as a standalone server on `host` (a free port): what
 * exhibitor-rewrite.sh asks before and after it restarts. Close it in the suite's afterAll.
 */
export async function fakeZookeeper(host: string): Promise<{ server: net.Server; port: number }> {
    const server = net.createServer((socket) => socket.once("data", (data) => socket.end(data.toString() === "srvr" ? "Zookeeper version: 3.8\nMode: standalone\n" : "")));
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return { server, port: (server.address() as net.AddressInfo).port };
}
