import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "components/**/*.test.ts"],
        testTimeout: 120_000,
        hookTimeout: 120_000,
        // Each file evaluates the program under its own mocks; keep module state per file.
        isolate: true,
        pool: "forks",
    },
});
