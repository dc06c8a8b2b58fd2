import * as path from "path";
import { rawFromStackConfig } from "../../components/config/load";
import type { RawConfig } from "../../components/config/validate";
import { readStackConfig } from "../../scripts/offline/stackConfig";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Pulumi.dev.yaml as the engine would hand it to the program. */
export function devStackConfig() {
    return readStackConfig(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"));
}

/** Pulumi.dev.yaml as validateConfig() takes it (namespace stripped, private key removed). */
export function devRawConfig(): RawConfig {
    const { sshPrivateKey: _key, ...raw } = rawFromStackConfig(devStackConfig().config);
    return raw;
}

/** A deep copy of `raw` with `patch` merged in (objects merge, everything else replaces). */
export function withPatch(raw: RawConfig, patch: Record<string, unknown>): RawConfig {
    const merge = (base: unknown, over: unknown): unknown => {
        if (over === undefined) return base;
        if (over !== null && typeof over === "object" && !Array.isArray(over) && base !== null && typeof base === "object" && !Array.isArray(base)) {
            const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
            for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
            return out;
        }
        return structuredClone(over);
    };
    return merge(structuredClone(raw), patch) as RawConfig;
}

/** The dev stack's network before zones: one zone, in the single-zone keys. */
export const SINGLE_ZONE_NETWORK = {
    vpcCidr: "10.136.0.0/16",
    publicSubnetCidr: "10.136.0.0/24",
    privateSubnetCidr: "10.136.64.0/18",
    availabilityZone: "eu-west-1a",
} as const;

/**
 * The dev stack in one zone, as it was before zones: for cases about one subnet's addresses
 * (string-sorted ensembles, reserved addresses, capacity) and the single-zone compatibility.
 */
export function singleZoneRawConfig(): RawConfig {
    return { ...devRawConfig(), network: { ...SINGLE_ZONE_NETWORK } };
}
