import { createHash } from "crypto";
import type { Role } from "../catalog/roles";
import { ETCD_LOCAL_ENDPOINT, ETCD_TLS } from "../catalog/etcd";
import { DISK_LIMITS, PATHS } from "../catalog/services";
import type { ClusterPlan } from "../plan/clusterPlan";
import { roleContext, staticFile, template, unitWord } from "./render";
import { controlPlane, mastersFile } from "./roleValues";
import { roleSecretFiles, SECRET_FILES, SECRETS_DIR } from "../catalog/secrets";

/**
 * A role's bundle: everything its nodes run that is the same on every node of the role (units,
 * launcher, operator tools, configuration), as one self-installing script kept in the cluster's
 * bundle bucket under a content-addressed key. A node's user data names the key and its sha256,
 * so user data stays small and a node always installs exactly the bundle it was created with.
 */
export interface BundleFile {
    readonly path: string;
    readonly permissions: string;
    readonly content: string;
}

export interface RoleBundle {
    readonly role: Role;
    readonly files: readonly BundleFile[];
    /** The script that installs the files and starts the role's units. */
    readonly script: string;
    readonly sha256: string;
    /** Object key in the bundle bucket: bundles/<role>-<sha256>.sh. */
    readonly key: string;
}

/**
 * Appended to GRUB_CMDLINE_LINUX (the cloud image's own grub.d file sets the _DEFAULT one).
 * systemd 255 (Ubuntu 24.04) still boots the legacy hierarchy with this; the LEGACY_FORCE
 * switch is what systemd 256-257 would also need.
 */
export const CGROUP_V1_GRUB =
    'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX systemd.unified_cgroup_hierarchy=0 SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"\n';

/** Ends each file's here-document; no file may contain it as a line. */
export const FILE_DELIMITER = "MESOS_CLUSTER_FILE";

function roleFiles(plan: ClusterPlan, role: Role): BundleFile[] {
    const context = roleContext(plan, role);
    const file = (path: string, content: string, permissions = "0644"): BundleFile => ({ path, permissions, content });
    const units = context.units
        .filter((unit) => unit !== "docker.service")
        .map((unit) => file(`/etc/systemd/system/${unit}`, template(`units/${unit.replace(/\.service$/, "")}.hbs`)(context)));
    const common = [
        file(PATHS.dockerDaemon, dockerDaemonJson()),
        file(PATHS.units, context.units.map((unit) => `${unit}\n`).join("")),
        file(PATHS.clusterstat, staticFile("clusterstat.sh"), "0755"),
        file(PATHS.registrySetup, staticFile("mesos-cluster-registry.sh"), "0755"),
    ];
    switch (role) {
        case "border":
            return [...common, file("/etc/ssh/sshd_config.d/10-mesos-cluster.conf", template("partials/sshd-hardening.hbs")(context)), ...units];
        case "master":
            return [
                ...common,
                file(PATHS.launcher, staticFile("zk-static-ensemble.sh"), "0755"),
                file(PATHS.masters, mastersFile(controlPlane(plan))),
                file(PATHS.clusterStatus, staticFile("cluster-status.sh"), "0755"),
                file("/etc/prometheus/prometheus.yml", template("partials/prometheus-yml.hbs")(context)),
                ...units,
            ];
        case "worker":
            return [
                ...common,
                // Mesos 1.x's docker containerizer reads cgroup v1 only; Ubuntu 24.04 boots v2.
                file("/etc/default/grub.d/99-mesos-cgroup-v1.cfg", CGROUP_V1_GRUB),
                file(PATHS.agentImageBuilder, staticFile("mesos-agent-image.sh"), "0755"),
                ...units,
            ];
        case "quorum":
            return [
                ...common,
                file(PATHS.etcdEnv, `ETCD_INITIAL_CLUSTER=${context.plan.etcdInitialCluster}\nETCD_INITIAL_CLUSTER_STATE=new\n`),
                file(PATHS.etcdctl, etcdctlWrapper(context.images.etcd), "0755"),
                ...units,
            ];
    }
}

/** Every container's log rotated by Docker itself ("local" driver: compressed, size-bounded). */
function dockerDaemonJson(): string {
    const config = {
        "log-driver": "local",
        "log-opts": { "max-size": DISK_LIMITS.containerLogMaxSize, "max-file": String(DISK_LIMITS.containerLogMaxFiles) },
    };
    return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * etcdctl from the very image etcd runs, so client and server versions match, with etcdctl's
 * client certificate (etcd demands one: --client-cert-auth). The certificate files are handed
 * over as ETCDCTL_CACERT/CERT/KEY, so a caller must not pass --cacert/--cert/--key too (etcdctl
 * refuses a flag its environment also sets). Without --endpoints it asks its own member over
 * loopback (https://127.0.0.1:2379).
 */
export function etcdctlWrapper(image: string): string {
    const tls = ETCD_TLS;
    const mount = (file: string) => `-v ${unitWord(file)}:${unitWord(file)}:ro`;
    return [
        "#!/bin/sh",
        "# etcdctl of the etcd image this node runs, with the cluster's etcd client certificate",
        "# (installed by the quorum bundle). Give --endpoints, or it asks this node's own member.",
        `endpoints=${ETCD_LOCAL_ENDPOINT}`,
        'for arg in "$@"; do case $arg in --endpoints | --endpoints=*) endpoints= ;; esac; done',
        `exec /usr/bin/docker run --rm -i --network host -e ETCDCTL_API=3 ${mount(tls.ca)} ${mount(tls.clientCert)} ${mount(tls.clientKey)} \\`,
        `  -e ETCDCTL_CACERT=${unitWord(tls.ca)} -e ETCDCTL_CERT=${unitWord(tls.clientCert)} -e ETCDCTL_KEY=${unitWord(tls.clientKey)} \\`,
        `  \${endpoints:+-e ETCDCTL_ENDPOINTS=$endpoints} --entrypoint /usr/local/bin/etcdctl ${unitWord(image)} "$@"`,
        "",
    ].join("\n");
}

function installScript(plan: ClusterPlan, role: Role, files: readonly BundleFile[]): string {
    const units = roleContext(plan, role).units;
    const lines = [
        "#!/bin/bash",
        `# The ${role} bundle of ${plan.clusterId} (mesos-cluster): installs the role's files and starts`,
        "# its units. Run once by cloud-init at first boot, after its sha256 matched the user data.",
        "set -euo pipefail",
        'put() { install -D -m "$2" /dev/stdin "$1"; }',
    ];
    for (const f of files) {
        if (f.content.split("\n").includes(FILE_DELIMITER)) throw new Error(`${f.path} contains the line ${FILE_DELIMITER}`);
        const content = f.content.endsWith("\n") ? f.content : `${f.content}\n`;
        lines.push(`put ${f.path} ${f.permissions} <<'${FILE_DELIMITER}'`, content + FILE_DELIMITER);
    }
    // Workers: the kernel command line for cgroup v1 takes effect at the one reboot cloud-init
    // makes at the end of first boot (power_state in the user data); the agent waits for it.
    if (role === "worker") lines.push("update-grub");
    // The secrets the boot fetch wrote before sshd (user data, bootcmd): without them no unit
    // could authenticate, so a failed fetch stops the bundle here, loudly.
    const secrets = roleSecretFiles(role).filter((key) => key !== "sshHostKey").map((key) => SECRET_FILES[key].file);
    if (secrets.length > 0) {
        lines.push(`for f in ${secrets.join(" ")}; do [ -s ${SECRETS_DIR}/"$f" ] || { echo "mesos-cluster: ${SECRETS_DIR}/$f is missing: the boot fetch of secrets failed (cloud-init-output.log)" >&2; exit 1; }; done`);
    }
    // Before any unit starts: the node's ECR registry (units expand ECR_REGISTRY) and Docker's
    // credential helper for it, both from the instance identity; no registry secret anywhere.
    lines.push(PATHS.registrySetup);
    // The package started Docker before its daemon.json existed: restart it to rotate logs.
    lines.push("systemctl daemon-reload", "systemctl restart docker.service", `systemctl enable --now ${units.join(" ")}`);
    if (role === "border") lines.push("systemctl try-reload-or-restart ssh.service");
    return `${lines.join("\n")}\n`;
}

export function renderRoleBundle(plan: ClusterPlan, role: Role): RoleBundle {
    const files = roleFiles(plan, role);
    const script = installScript(plan, role, files);
    const sha256 = createHash("sha256").update(script).digest("hex");
    return { role, files, script, sha256, key: `bundles/${role}-${sha256}.sh` };
}
