/**
 * Which bind addresses count as loopback. `sway serve` binds loopback by default and
 * refuses anything else unless an API key is set, because /run executes specs that read
 * local model files: on a public address that is remote file reading without auth.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1] !== undefined && mapped[1].startsWith('127.');
  }
  return false;
}
