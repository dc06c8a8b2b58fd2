import { SECRETS_FETCH_TIMEOUT } from "../catalog/secrets";

/**
 * How long a post-step command keeps dialling a node that does not answer SSH yet.
 *
 * @pulumi/command dials (the jump, then the node through it, then the SSH handshake) under
 * Pulumi's retry schedule (sdk/go/common/util/retry: a 100 ms pause, ×1.5 after each failed
 * dial, at most 5 s) and gives up after `dialErrorLimit` failed dials; its default of 10 is
 * 11.3 s of pauses. A new node starts sshd only after its boot fetch (bootcmd, before
 * ssh.service) has installed the host key the commands pin: the image's python3-boto3 install,
 * then up to SECRETS_FETCH_TIMEOUT for SSM. With the default, the first command on every new
 * node (the border's ARP purge on a first `pulumi up`, wait-ready on a new master, the ARP
 * purge on a replaced worker) fails long before that node can answer; the lab saw it on a
 * replaced worker whose boot took a second longer than the border's purge.
 *
 * The cost of the long window: a node that will never answer (a boot fetch that failed, a
 * security group that drops port 22) is reported after the window, not after 11 s; each
 * failed dial is logged on the way ("Dial from proxy N/M failed: retrying").
 */

/** Pulumi's retry schedule between dials, in seconds. */
export const DIAL_RETRY = { first: 0.1, backoff: 1.5, max: 5 } as const;

/** @pulumi/command's own dialErrorLimit, for comparison (its 11.3 s window). */
export const DEFAULT_DIAL_ERROR_LIMIT = 10;

/**
 * Seconds from a new instance's start to its sshd: the boot fetch's SSM bound plus the
 * boot before it (kernel, cloud-init's local stage, python3-boto3 from the archive).
 */
export const NEW_NODE_SSH_WINDOW = SECRETS_FETCH_TIMEOUT + 300;

/** The pause after failed dial number `n` (1-based), in seconds. */
export function dialPause(n: number): number {
    return Math.min(DIAL_RETRY.first * DIAL_RETRY.backoff ** (n - 1), DIAL_RETRY.max);
}

/** Seconds of pauses a dialErrorLimit allows: the dial fails for good after `limit` pauses. */
export function dialWindow(limit: number): number {
    let total = 0;
    for (let n = 1; n <= limit; n++) total += dialPause(n);
    return total;
}

/** The smallest dialErrorLimit whose pauses add up to at least `seconds`. */
export function dialErrorLimitCovering(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`dialErrorLimitCovering: ${seconds} is not a number of seconds`);
    let limit = 0;
    let total = 0;
    while (total < seconds) {
        limit++;
        total += dialPause(limit);
    }
    return limit;
}

/** The dialErrorLimit every post-step connection (and its jump) is given. */
export const DIAL_ERROR_LIMIT = dialErrorLimitCovering(NEW_NODE_SSH_WINDOW);
