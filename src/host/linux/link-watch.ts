// Link events as the kernel announces them (`ip -o monitor link`): the L2 agent learns of
// a tap the moment an instance's plug makes it, where Neutron's agent polls every 2 s.
import { spawn } from 'node:child_process';

export interface LinkEvent {
  name: string;
  deleted: boolean;
  /** the bridge it is enslaved to, when the line says */
  master?: string;
}

/** one line of `ip -o monitor link` ("12: tapX@if11: <…> mtu 1500 … master brqY …", "Deleted 12: …"), or null */
export function parseLinkEvent(line: string): LinkEvent | null {
  const m = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]*)?: <[^>]*>(.*)$/.exec(line.trim());
  if (!m) return null;
  const master = / master (\S+)/.exec(m[3]!)?.[1];
  return { name: m[2]!, deleted: m[1] !== undefined, ...(master ? { master } : {}) };
}

/**
 * Calls `onEvent` for every link event of this network namespace until `signal` aborts;
 * a monitor that dies is started again after `restartMs`. Reads only: it changes nothing.
 */
export async function watchLinks(onEvent: (e: LinkEvent) => void, signal: AbortSignal, onError: (why: string) => void, restartMs = 1000): Promise<void> {
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const child = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let buf = '';
      let err = '';
      const stop = (): void => void child.kill('SIGTERM');
      signal.addEventListener('abort', stop, { once: true });
      child.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const e = parseLinkEvent(l);
          if (e) onEvent(e);
        }
      });
      child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      child.once('error', (e) => err += e.message);
      child.once('close', (code) => {
        signal.removeEventListener('abort', stop);
        if (!signal.aborted) onError(`ip monitor link ended (${code}): ${err.trim().slice(-200)}`);
        resolve();
      });
    });
    if (!signal.aborted) await new Promise((r) => setTimeout(r, restartMs));
  }
}
