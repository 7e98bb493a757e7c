/** Package version, reported in every result and used in cache identities. */
export const SWAY_VERSION = '0.1.0';
