// Kernel parameters through sysctl(8), so they are read and written in the namespace the
// runner is in (node reading /proc directly would see its own).
import type { Command, Runner } from './runner.js';

export const sysctlWriteCommand = (key: string, value: string | number): Command => ({ argv: ['sysctl', '-q', '-w', `${key}=${value}`] });

/** `sysctl -e KEY…`: values of the keys that exist, by key (an unknown key is left out) */
export async function readSysctl(runner: Runner, keys: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (keys.length === 0) return out;
  const r = await runner.run({ argv: ['sysctl', '-e', ...keys] as [string, ...string[]] });
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf(' = ');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 3).trim());
  }
  return out;
}

/** per-interface keys name the device with dots turned to slashes, as sysctl(8) expects */
export const interfaceKey = (family: 'ipv4' | 'ipv6', dev: string, name: string): string => `net.${family}.conf.${dev.replace(/\./g, '/')}.${name}`;
