import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of processes, from Linux's /proc: a server's own time and its children's (the embedded
 * PostgreSQL it started), so a benchmark can say where each request's CPU goes. Absent elsewhere.
 */
export const procAvailable = existsSync('/proc/self/stat');
const ticksPerSecond = procAvailable ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 : 100;

/** [ppid, user + system ticks] of a process, or null once it is gone. */
function stat(pid: number): [number, number] | null {
  try {
    // The command name, in parentheses, may hold spaces: fields are counted after its closing one.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return [Number(fields[1]), Number(fields[11]) + Number(fields[12])];
  } catch {
    return null;
  }
}

/** Every live process below `root` (children, their children, ...). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s) parentOf.set(pid, s[0]);
  }
  const out: number[] = [];
  const below = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (below.has(ppid) && !below.has(pid)) {
        below.add(pid);
        out.push(pid);
        grew = true;
      }
    }
  }
  return out;
}

/** CPU milliseconds used so far by `pid` itself and by its descendants. */
export function cpuMs(pid: number): { own: number; children: number } {
  const ms = (pids: number[]) => (pids.reduce((sum, p) => sum + (stat(p)?.[1] ?? 0), 0) * 1000) / ticksPerSecond;
  return { own: ms([pid]), children: ms(descendants(pid)) };
}
