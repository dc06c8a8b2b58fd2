import { describe, expect, it } from "vitest";
import { ROLES } from "../components/catalog/roles";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { renderRoleBundle } from "../components/userdata/roleBundle";
import { devRawConfig } from "./helpers/devConfig";

// Issue 12, item 6: the exporters and Prometheus listen on the node's private address (the one
// the security groups guard and Prometheus scrapes), not on every interface.

const validated = validateConfig(devRawConfig());
if (!validated.ok) throw new Error(validated.errors.join("\n"));
const plan = planCluster(validated.config);
const unitsOf = (role: (typeof ROLES)[number]) =>
    new Map(renderRoleBundle(plan, role).files.filter((f) => f.path.startsWith("/etc/systemd/system/")).map((f) => [f.path.split("/").pop()!, f.content.replace(/\\\n/g, " ")]));

describe("metrics listeners on the node's private address", () => {
    it.each(ROLES)("%s: node-exporter on ${NODE_IP}:9100", (role) => {
        expect(unitsOf(role).get("node-exporter.service")).toMatch(/ --web\.listen-address=\$\{NODE_IP\}:9100\n/);
    });

    it.each(["master", "worker"] as const)("%s: cAdvisor on ${NODE_IP}:4194", (role) => {
        expect(unitsOf(role).get("cadvisor.service")).toMatch(/ --listen_ip=\$\{NODE_IP\} --port=4194\n/);
    });

    it("master: Prometheus on ${NODE_IP}:9090", () => {
        expect(unitsOf("master").get("prometheus.service")).toMatch(/ --web\.listen-address=\$\{NODE_IP\}:9090\n/);
    });

    it.each(ROLES)("%s: none of the three listens on all interfaces (an empty host or 0.0.0.0)", (role) => {
        for (const [unit, text] of unitsOf(role)) {
            if (!["node-exporter.service", "cadvisor.service", "prometheus.service"].includes(unit)) continue;
            const exec = text.split("\n").filter((l) => !l.startsWith("#")).join("\n");
            expect(exec, unit).not.toMatch(/listen-address=:|0\.0\.0\.0|--listen_ip=(\s|$)/);
        }
    });
});
