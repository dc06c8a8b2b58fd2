/** The four node roles, in the order nodes are planned and created. */
export const ROLES = ["border", "quorum", "master", "worker"] as const;
export type Role = (typeof ROLES)[number];
