/** The convention of Mesos-DNS: tasks are `<app>.marathon.mesos`; the node domain is Route 53's. */
export const MESOS_DNS_DOMAIN = "mesos";

/** The VPC's own resolver: it answers the cluster's private zone and everything public. */
export const VPC_RESOLVER = "169.254.169.253";
