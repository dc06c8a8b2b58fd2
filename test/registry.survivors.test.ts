import { createHash } from "crypto";
import { describe, expect, it } from "vitest";
import { awsDnsSuffix, awsPartition, dockerHubCachePrefix, ECR_REGISTRY_LABEL, isDockerHubImage, parseImage, registryHostProblem } from "../components/registry/images";

// Issue 15, the registry run of 2026-11-22 (`npm run mutate -- registry`: 73.7%): how a
// reference is split, where a registry host or port stops being one, the AWS partitions, and
// the cache prefix at ECR's 30-character limit. Expected values written out.

describe("image references, split as Docker splits them", () => {
    it.each([
        ["zookeeper:3.9.3", { registry: "docker.io", repository: "library/zookeeper", reference: ":3.9.3" }],
        ["mesosphere/marathon:v1.11.24", { registry: "docker.io", repository: "mesosphere/marathon", reference: ":v1.11.24" }],
        ["quay.io/prometheus/prometheus:v2.55.1", { registry: "quay.io", repository: "prometheus/prometheus", reference: ":v2.55.1" }],
        ["localhost/agent:1", { registry: "localhost", repository: "agent", reference: ":1" }],
        ["registry.example.com:5000/team/app:2@sha256:ab", { registry: "registry.example.com:5000", repository: "team/app", reference: ":2@sha256:ab" }],
        ["index.docker.io/library/redis:7", { registry: "docker.io", repository: "library/redis", reference: ":7" }],
        ["busybox@sha256:cd", { registry: "docker.io", repository: "library/busybox", reference: "@sha256:cd" }],
        ["team/app", { registry: "docker.io", repository: "team/app", reference: "" }],
    ])("%s", (image, expected) => {
        expect(parseImage(image)).toEqual(expected);
    });

    it("tells Docker Hub by its host names, in any case", () => {
        expect(isDockerHubImage("Registry-1.Docker.IO/team/app:1")).toBe(true);
        expect(isDockerHubImage("public.ecr.aws/docker/library/zookeeper:3.9.3")).toBe(false);
    });
});

describe("registry hosts an override may name", () => {
    it.each([
        ["registry.example.com:1", undefined],
        ["registry.example.com:65535", undefined],
        ["registry.example.com:0", "its registry port 0 is not a TCP port (1-65535)"],
        ["registry.example.com:65536", "its registry port 65536 is not a TCP port (1-65535)"],
        ["registry.example.com:5a", "its registry port 5a is not a TCP port (1-65535)"],
        [`${"a".repeat(63)}.example.com`, undefined],
        [`${"a".repeat(64)}.example.com`, "its registry host has a label longer than 63 characters"],
        [`${"a.".repeat(126)}a`, undefined], // 253 characters
        [`${"a.".repeat(126)}ab`, "its registry host is longer than 253 characters"],
        ["10.1.2.3:5000", undefined],
        ["10.1.2", "its registry host 10.1.2 is neither an IPv4 address nor a DNS name"],
        ["10.1.2.256", "its registry host 10.1.2.256 is neither an IPv4 address nor a DNS name"],
        ["10.1.2.255", undefined],
        ["10.01.2.3", "its registry host 10.01.2.3 is neither an IPv4 address nor a DNS name"],
        ["10.0.2.3", undefined],
        ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", undefined],
        ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", undefined],
        ["12345.dkr.ecr.eu-west-1.amazonaws.com", "its registry host 12345.dkr.ecr.eu-west-1.amazonaws.com is not an ECR registry like 123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
    ])("%s", (host, problem) => {
        expect(registryHostProblem(host)).toBe(problem);
    });
});

describe("AWS partitions", () => {
    it.each([
        ["eu-west-1", "amazonaws.com", "aws"],
        ["cn-north-1", "amazonaws.com.cn", "aws-cn"],
        ["us-gov-west-1", "amazonaws.com", "aws-us-gov"],
    ])("%s", (region, suffix, partition) => {
        expect(awsDnsSuffix(region)).toBe(suffix);
        expect(awsPartition(region)).toBe(partition);
    });

    it("labels the node's own ECR registry by region", () => {
        expect(ECR_REGISTRY_LABEL("cn-north-1")).toBe("<account>.dkr.ecr.cn-north-1.amazonaws.com.cn");
    });
});

describe("the Docker Hub cache's ECR prefix", () => {
    it("is <clusterId>-dockerhub up to 30 characters, runs of - collapsed", () => {
        expect(dockerHubCachePrefix("cell-1")).toBe("cell-1-dockerhub");
        expect(dockerHubCachePrefix("cell--1")).toBe("cell-1-dockerhub");
        expect(dockerHubCachePrefix("a".repeat(20))).toBe(`${"a".repeat(20)}-dockerhub`); // 30 exactly
    });

    it("is shortened with a hash of the whole id beyond that, never ending a part in -", () => {
        const long = "a".repeat(21);
        const hash = (id: string) => createHash("sha256").update(id).digest("hex").slice(0, 6);
        expect(dockerHubCachePrefix(long)).toBe(`${"a".repeat(20)}-${hash(long)}-dh`);
        const dashed = `${"b".repeat(19)}-c`;
        expect(dockerHubCachePrefix(dashed)).toBe(`${"b".repeat(19)}-${hash(dashed)}-dh`);
    });
});
