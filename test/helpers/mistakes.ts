// A stack file with five independent mistakes, one of each kind (a foreign namespace, a value of
// the wrong type, an absurd count, a value refused as unsafe, a cross-field rule), and the five
// lines that refuse it: the unit tests read it through checkConfig, the plan CLI test end to end.

export const DEV_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICBAOmYOUvV6nJ4rrvAVkvJd48Wy0+8uQ73g+aelmulb operator@cell-1";

export const FIVE_MISTAKES_YAML = `config:
  aws:region: eu-west-1
  mesos-clusters:preferredLeader: master-1
  mesos-cluster:nodes:
    master: { count: three }
    worker: { count: 1000000000 }
  mesos-cluster:adminCidrs: [203.0.113.0/24, 203.0.113.0/24]
  mesos-cluster:sshUser: root
  mesos-cluster:sshPublicKey: ${DEV_PUBLIC_KEY}
`;

export const FIVE_MISTAKES_ERRORS = [
    "error: mesos-clusters:preferredLeader: unknown key; did you mean mesos-cluster:preferredLeader? (this project reads mesos-cluster:* and aws:* keys)",
    'error: mesos-cluster:nodes.master.count: "three" is not a number',
    "error: mesos-cluster:nodes.worker.count: 1000000000 is more than 65536, more nodes than the largest subnet allowed (/16) holds",
    `error: mesos-cluster:sshUser: "root" is refused: the nodes disable root SSH logins (PermitRootLogin no), so every post-step would fail; use the image's user, ubuntu`,
    'error: mesos-cluster:adminCidrs[1]: "203.0.113.0/24" duplicates adminCidrs[0]; EC2 refuses the second identical rule, but only at pulumi up',
];
