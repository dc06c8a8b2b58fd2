import { secretPath } from "./secrets";
import { PORTS } from "./services";

/**
 * etcd with TLS everywhere (issue 12): every peer and client URL is https, and both listeners
 * demand a certificate signed by etcd's own CA (--client-cert-auth, --peer-client-cert-auth).
 * The files are the secrets contract's (components/catalog/secrets.ts), under SECRETS_DIR on
 * the quorum nodes; the unit, the etcdctl wrapper, the plan's initial cluster and the member
 * swap all take them from here.
 */
export const ETCD_TLS = {
    /** etcd's cluster CA: --trusted-ca-file, --peer-trusted-ca-file, etcdctl --cacert. */
    ca: secretPath("etcdCa"),
    /** The node's own certificate and key: --cert-file/--key-file and --peer-cert-file/--peer-key-file. */
    cert: secretPath("etcdNodeCert"),
    key: secretPath("etcdNodeKey"),
    /** etcdctl's client certificate and key (--cert, --key). */
    clientCert: secretPath("etcdClientCert"),
    clientKey: secretPath("etcdClientKey"),
} as const;

export const ETCD_SCHEME = "https";

export function etcdPeerUrl(ip: string): string {
    return `${ETCD_SCHEME}://${ip}:${PORTS.etcdPeer}`;
}

export function etcdClientUrl(ip: string): string {
    return `${ETCD_SCHEME}://${ip}:${PORTS.etcdClient}`;
}

/** etcdctl's endpoint on a quorum node when none is given: its own member, over loopback. */
export const ETCD_LOCAL_ENDPOINT = etcdClientUrl("127.0.0.1");
