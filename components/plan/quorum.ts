/**
 * Mesos replicated-log quorum: a strict majority of the masters (seed 002: 2N-1 masters
 * tolerate N-1 failures with --quorum=N).
 */
export function mesosQuorum(masterCount: number): number {
    if (!Number.isInteger(masterCount) || masterCount < 1) {
        throw new RangeError(`master count must be a positive integer, got ${masterCount}`);
    }
    return Math.floor(masterCount / 2) + 1;
}

/** How many masters may be down at once while the rest still form a quorum. */
export function failureTolerance(masterCount: number): number {
    return masterCount - mesosQuorum(masterCount);
}
