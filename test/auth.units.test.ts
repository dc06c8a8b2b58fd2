import { describe, expect, it } from "vitest";
import { roleSecretFiles, SECRET_FILES, SECRETS_DIR, SecretKey, secretPath } from "../components/catalog/secrets";
import type { Role } from "../components/catalog/roles";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { serviceSecretFiles } from "../components/secrets/contents";
import { renderAllUserData } from "../components/userdata/userData";
import { devRawConfig } from "./helpers/devConfig";
import { isUnitFile, readNode, WrittenFile } from "./helpers/validators";

// Issue 12, items 2-4: the units of Mesos, Marathon and marathon-lb authenticate, with every
// secret read from its file by the service itself, never placed on a command line.

const validated = validateConfig(devRawConfig());
if (!validated.ok) throw new Error(validated.errors.join("\n"));
const plan = planCluster(validated.config);
const rendered = renderAllUserData(plan);

function unitFiles(node: string): WrittenFile[] {
    return readNode(rendered.userData.get(node)!).files.filter(isUnitFile);
}
function unitText(node: string, name: string): string {
    const found = unitFiles(node).find((f) => f.path === `/etc/systemd/system/${name}`);
    if (!found) throw new Error(`${node} has no ${name}`);
    return found.content;
}
/** Every Exec* command line of a unit, continuation lines joined. */
function execLines(text: string): string[] {
    return text.replace(/\s*\\\n\s*/g, " ").split("\n").filter((l) => /^Exec[A-Za-z]*=/.test(l));
}
const execStart = (node: string, name: string) => execLines(unitText(node, name)).find((l) => l.startsWith("ExecStart="))!.slice("ExecStart=".length);

const NODE_OF_ROLE: Record<Role, string> = { border: "border-1", quorum: "quorum-1", master: "master-1", worker: "worker-1" };
const ECR = "${ECR_REGISTRY}/cell-1-dockerhub";

describe("the units' command lines, literal", () => {
    it("mesos-master: authenticated agents, frameworks, read-write HTTP and HTTP frameworks against --credentials; --zk from its file", () => {
        expect(execStart("master-1", "mesos-master.service")).toBe(
            "/usr/bin/docker run --rm --name %N --network host " +
                "-v /var/lib/mesos:/var/lib/mesos -v /var/log/mesos:/var/log/mesos " +
                "--mount type=bind,src=/etc/mesos-cluster/secrets/zk-mesos-url,dst=/etc/mesos-cluster/secrets/zk-mesos-url,readonly " +
                "--mount type=bind,src=/etc/mesos-cluster/secrets/mesos-credentials.json,dst=/etc/mesos-cluster/secrets/mesos-credentials.json,readonly " +
                `${ECR}/mesosphere/mesos-master:1.7.0 ` +
                "--zk=file:///etc/mesos-cluster/secrets/zk-mesos-url --quorum=2 --cluster=cell-1 " +
                "--credentials=file:///etc/mesos-cluster/secrets/mesos-credentials.json " +
                "--authenticate_agents=true --authenticate_frameworks=true " +
                "--authenticate_http_readwrite=true --authenticate_http_frameworks=true --http_framework_authenticators=basic " +
                "--hostname=${NODE_FQDN} --ip=${NODE_IP} --advertise_ip=${NODE_IP} " +
                "--port=5050 --registry=replicated_log --work_dir=/var/lib/mesos --log_dir=/var/log/mesos",
        );
    });

    it("mesos-agent: --master and --credential from their files", () => {
        const run = execStart("worker-1", "mesos-agent.service");
        expect(run).toContain(
            " -v /root/.docker:/root/.docker:ro " +
                "--mount type=bind,src=/etc/mesos-cluster/secrets/zk-mesos-url,dst=/etc/mesos-cluster/secrets/zk-mesos-url,readonly " +
                "--mount type=bind,src=/etc/mesos-cluster/secrets/mesos-agent-credential.json,dst=/etc/mesos-cluster/secrets/mesos-agent-credential.json,readonly " +
                "mesos-cluster/mesos-agent:local mesos-slave --master=file:///etc/mesos-cluster/secrets/zk-mesos-url " +
                "--credential=file:///etc/mesos-cluster/secrets/mesos-agent-credential.json --containerizers=docker,mesos ",
        );
    });

    it("marathon: its env file, an authenticated framework (principal marathon, secret file), no --master/--zk on the command line", () => {
        expect(execStart("master-2", "marathon.service")).toBe(
            "/usr/bin/docker run --rm --name %N --network host --env-file /etc/mesos-cluster/secrets/marathon.env " +
                "-e LIBPROCESS_IP=${NODE_IP} -e LIBPROCESS_PORT=15101 " +
                "--mount type=bind,src=/etc/mesos-cluster/secrets/marathon-framework-secret,dst=/etc/mesos-cluster/secrets/marathon-framework-secret,readonly " +
                `${ECR}/mesosphere/marathon:v1.11.24 ` +
                "--hostname ${NODE_FQDN} --http_port 8080 " +
                "--mesos_authentication --mesos_authentication_principal marathon " +
                "--mesos_authentication_secret_file /etc/mesos-cluster/secrets/marathon-framework-secret",
        );
    });

    it("marathon-lb: Marathon's credentials from the node's http-operator file", () => {
        expect(execStart("worker-3", "marathon-lb.service")).toBe(
            "/usr/bin/docker run --rm --name %N --network host --privileged -e PORTS=9090 " +
                "--mount type=bind,src=/etc/mesos-cluster/secrets/http-operator,dst=/etc/mesos-cluster/secrets/http-operator,readonly " +
                `${ECR}/mesosphere/marathon-lb:v1.14.1 sse --group external ` +
                "--marathon-auth-credential-file /etc/mesos-cluster/secrets/http-operator " +
                "--marathon http://10.136.64.11:8080 http://10.136.128.11:8080 http://10.136.192.11:8080",
        );
    });

    it("mesos-dns keeps its credential-free zk URL: Mesos' znodes are world-readable (EVERYONE_READ_CREATOR_ALL)", () => {
        expect(execStart("master-1", "mesos-dns.service")).not.toContain(SECRETS_DIR);
    });
});

describe("no secret on a command line, in user data or in a bundle", () => {
    const roles: Role[] = ["border", "quorum", "master", "worker"];

    it.each(roles)("%s: every secret path on an Exec line is a file the service reads (file://, a read-only bind, --env-file, *_file)", (role) => {
        const allowed = [
            /^--mount type=bind,src=(\S+),dst=\1,readonly$/,
            /^--[a-z_]+=file:\/\/\S+$/,
            /^--env-file \S+$/,
            /^--mesos_authentication_secret_file \S+$/,
            /^--marathon-auth-credential-file \S+$/,
            // etcd's TLS files (wip-etcdtls): a read-only bind and the flags that name them.
            /^(\S+):\1:ro$/,
            /^--[a-z-]+-file \S+$/,
        ];
        for (const file of unitFiles(NODE_OF_ROLE[role])) {
            for (const line of execLines(file.content)) {
                const uses = line.match(new RegExp(`(--[a-z_-]+[= ])?(type=bind,src=)?\\S*${SECRETS_DIR.replace(/\//g, "\\/")}\\S*`, "g")) ?? [];
                for (const use of uses) {
                    const whole = use.startsWith("type=bind") ? `--mount ${use}` : use;
                    expect(allowed.some((re) => re.test(whole)), `${file.path}: ${whole}`).toBe(true);
                }
            }
        }
    });

    it.each(roles)("%s: its units name only the secret files its role receives", (role) => {
        const mine = new Set(roleSecretFiles(role).map(secretPath));
        const named = unitFiles(NODE_OF_ROLE[role]).flatMap((f) => f.content.match(new RegExp(`${SECRETS_DIR}/[A-Za-z0-9._-]+`, "g")) ?? []);
        for (const p of named) expect(mine.has(p), `${role} names ${p}`).toBe(true);
        if (role === "master") expect(new Set(named)).toEqual(new Set(["zkMesosUrl", "mesosCredentials", "marathonEnv", "marathonFrameworkSecret"].map((k) => secretPath(k as SecretKey))));
        if (role === "worker") expect(new Set(named)).toEqual(new Set(["zkMesosUrl", "mesosAgentCredential", "httpOperator"].map((k) => secretPath(k as SecretKey))));
    });

    it("no digest credentials, Marathon HTTP credentials or Mesos credential text anywhere in user data or the bundles", () => {
        const files = serviceSecretFiles({
            agentSecret: "x".repeat(16), marathonSecret: "y".repeat(16), operatorPassword: "z".repeat(16), mesosZkPassword: "m".repeat(16), marathonZkPassword: "n".repeat(16),
            zkHosts: ["10.136.64.11:2181"],
        });
        for (const [name, data] of rendered.userData) {
            // Comments may name the variables; no line that does something may hold them.
            const all = [data.text, ...readNode(data).files.map((f) => f.content)].join("\n").split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
            expect(all, name).not.toMatch(/zk:\/\/[^/\s"]*@/);
            expect(all, name).not.toMatch(/MARATHON_HTTP_CREDENTIALS|--http_credentials|--auth-credentials|--mesos_authentication_secret[ =]|"credentials"\s*:/);
            expect(all).not.toContain(files.httpOperator);
        }
        // The builders' fixed parts are not secrets; the check above is about shapes, which is what matters.
        expect(Object.keys(SECRET_FILES)).toContain("marathonEnv");
    });
});
