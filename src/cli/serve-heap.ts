/**
 * V8 heap settings for `pagekeeper serve`, applied before the service's modules load.
 *
 * serve is a long-running process with a small live heap (about 30 MB with 10,000 stored Pages
 * after a full health round, in a heap snapshot) that allocates steadily: every sweep batch,
 * webhook and send makes short-lived objects, and those that wait on the network outlive a
 * scavenge and are promoted. With V8's defaults two things, not the data, set serve's peak:
 *
 * - The old generation grows to a multiple of its live size before the next full collection
 *   (the multiple is dynamic, up to 4 on a 64-bit host). A 10,000-Page round ran 23 s without a
 *   full collection, its heap going from 26 to 80 MB. A fixed 50% growth
 *   (`--heap-growing-percent=50`) keeps the garbage to about half the live heap, for a few more
 *   full collections of a few ms each at this size.
 * - The young generation grows to its maximum (two 16 MiB semi-spaces) while the modules load,
 *   and stays there: 25 MB of an idle serve's 125 MB. Keeping it at the size it has when serve
 *   starts (`--semi-space-growth-factor=1`; 1 MiB semi-spaces under plain node) costs more
 *   scavenges.
 *
 * Measured on a 2-core host: a 100,000-Page round peaked at 144 MB (224 MB before, in an
 * earlier full run), its sweep in 250 s (267 s before), 49 full collections taking 191 ms in
 * all; a 10,000-Page round at 136-137 MB instead of 182-193 MB. Under load the service spent the
 * same CPU per request (token route: 27.6-29.3 µs against 24.8-29.6 µs, three runs each,
 * interleaved). docs/production.md, "Memory".
 *
 * V8 reads both options when it next sizes a space (`GrowingFactor` in
 * https://github.com/v8/v8/blob/main/src/heap/heap-controller.cc, the young generation's grow
 * step in src/heap/new-spaces.cc there), so setting them at run time (Node's
 * `v8.setFlagsFromString`, https://nodejs.org/api/v8.html#v8setflagsfromstringflags) takes
 * effect from then on; checked on Node 20: the young generation stayed at 2 MiB where it grew to
 * 32 MiB. `--max-semi-space-size` is read only when the heap is created, so it cannot be set at
 * run time.
 *
 * A V8 option the operator gave (on node's command line, or `--max-semi-space-size` in
 * NODE_OPTIONS) wins over the setting it concerns. The library never does this: a process that
 * embeds pagekeeper owns its heap.
 */
import { setFlagsFromString } from 'node:v8';

interface HeapSetting {
  flag: string;
  /** V8 options that, given by the operator, leave this one alone. */
  yieldsTo: readonly string[];
}

export const SERVE_HEAP_SETTINGS: readonly HeapSetting[] = [
  { flag: '--heap-growing-percent=50', yieldsTo: ['heap-growing-percent'] },
  { flag: '--semi-space-growth-factor=1', yieldsTo: ['semi-space-growth-factor', 'max-semi-space-size', 'min-semi-space-size'] },
];

/** Option names (without dashes, `_` read as `-`, as V8 does) in node's arguments. */
function optionNames(args: readonly string[]): string[] {
  return args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!.replaceAll('_', '-'));
}

/**
 * Applies each setting the operator did not choose and returns the flags applied. `execArgv`
 * is node's command line before the script (process.execArgv); NODE_OPTIONS is read apart,
 * since node does not copy it there.
 */
export function tuneServeHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  apply: (flag: string) => void = setFlagsFromString,
): string[] {
  const chosen = optionNames([...execArgv, ...nodeOptions.split(/\s+/)]);
  const applied: string[] = [];
  for (const s of SERVE_HEAP_SETTINGS) {
    if (s.yieldsTo.some((name) => chosen.includes(name))) continue;
    apply(s.flag);
    applied.push(s.flag);
  }
  return applied;
}
