import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SECRETS_FETCH_TIMEOUT } from "../components/catalog/secrets";
import {
    DEFAULT_DIAL_ERROR_LIMIT,
    DIAL_ERROR_LIMIT,
    dialErrorLimitCovering,
    dialPause,
    dialWindow,
    NEW_NODE_SSH_WINDOW,
} from "../components/poststeps/dialWindow";

describe("the dial window of a post-step connection", () => {
    it("models Pulumi's retry schedule: 100 ms, x1.5 after each failed dial, at most 5 s", () => {
        [0.1, 0.15, 0.225, 0.3375].forEach((pause, i) => expect(dialPause(i + 1)).toBeCloseTo(pause, 9));
        expect(dialPause(10)).toBeCloseTo(3.844, 3);
        // 0.1 x 1.5^9.65 reaches 5 s: the 11th pause is the first at the cap.
        expect(dialPause(11)).toBe(5);
        expect(dialPause(100)).toBe(5);
    });

    it("gives @pulumi/command's default of 10 failed dials 11.3 s: less than any boot", () => {
        expect(dialWindow(DEFAULT_DIAL_ERROR_LIMIT)).toBeCloseTo(11.33, 2);
        expect(dialWindow(0)).toBe(0);
    });

    it("covers a new node's boot: the boot fetch's SSM bound and 300 s before it", () => {
        expect(NEW_NODE_SSH_WINDOW).toBe(SECRETS_FETCH_TIMEOUT + 300);
        expect(dialWindow(DIAL_ERROR_LIMIT)).toBeGreaterThanOrEqual(NEW_NODE_SSH_WINDOW);
        expect(dialWindow(DIAL_ERROR_LIMIT - 1)).toBeLessThan(NEW_NODE_SSH_WINDOW);
        // 10 growing pauses (~11.3 s), then 5 s each: 1,200 s is 248 failed dials.
        expect(DIAL_ERROR_LIMIT).toBe(248);
    });

    it("finds the smallest limit whose pauses reach the window, for any window", () => {
        fc.assert(fc.property(fc.double({ min: 0, max: 10_000, noNaN: true }), (seconds) => {
            const limit = dialErrorLimitCovering(seconds);
            expect(dialWindow(limit)).toBeGreaterThanOrEqual(seconds);
            if (limit > 0) expect(dialWindow(limit - 1)).toBeLessThan(seconds);
        }));
        expect(dialErrorLimitCovering(0)).toBe(0);
        expect(dialErrorLimitCovering(0.1)).toBe(1);
        expect(dialErrorLimitCovering(0.26)).toBe(3);
    });

    it("refuses a window that is not a number of seconds", () => {
        for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
            expect(() => dialErrorLimitCovering(bad)).toThrow(/is not a number of seconds/);
        }
    });
});
