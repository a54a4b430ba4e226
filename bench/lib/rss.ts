/** Resident memory of another process, from /proc/<pid>/status (Linux): current and peak (VmHWM). */
import { readFileSync } from 'node:fs';

export interface Rss {
  rssMb: number;
  /** The high-water mark of the resident set since the process started. */
  peakMb: number;
}

function field(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`/proc status has no ${name} (not Linux?)`);
  return Number(m[1]) / 1024;
}

export function readRss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMb: field(status, 'VmRSS'), peakMb: field(status, 'VmHWM') };
}
