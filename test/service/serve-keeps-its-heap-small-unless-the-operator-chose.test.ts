/**
 * `pagekeeper serve` sets V8's heap growth for a long-running service (src/cli/serve-heap.ts):
 * the young generation stays at its initial size and the old generation grows by a fixed 50%,
 * unless the operator gave their own V8 option for it. The library leaves its host's heap alone.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tuneServeHeap } from '../../src/cli/serve-heap.js';
import { waitFor } from '../helpers/messenger.js';
import { startServeProcess } from './serve-process.js';

const MiB = 2 ** 20;

describe('which settings serve applies', () => {
  const applied = (execArgv: string[], nodeOptions = '') => tuneServeHeap(execArgv, nodeOptions, () => {});

  it('both, when the operator chose neither', () => {
    expect(applied([])).toEqual(['--heap-growing-percent=50', '--semi-space-growth-factor=1']);
    expect(applied(['--import', 'file:///probe.mjs', '--enable-source-maps'], '--max-old-space-size=512')).toEqual(['--heap-growing-percent=50', '--semi-space-growth-factor=1']);
  });

  it("the operator's young-generation size wins, on node's command line or in NODE_OPTIONS", () => {
    expect(applied(['--max-semi-space-size=8'])).toEqual(['--heap-growing-percent=50']);
    expect(applied([], '--max-semi-space-size=8')).toEqual(['--heap-growing-percent=50']);
    expect(applied(['--semi_space_growth_factor=2'])).toEqual(['--heap-growing-percent=50']);
  });

  it("the operator's growth of the old generation wins (V8 spells options with - or _)", () => {
    expect(applied(['--heap-growing-percent=0'])).toEqual(['--semi-space-growth-factor=1']);
    expect(applied(['--heap_growing_percent=100'])).toEqual(['--semi-space-growth-factor=1']);
  });
});

describe('a running serve', () => {
  /** Starts serve with a probe that writes the young generation's size on SIGUSR2. */
  async function newSpaceOfServe(nodeOptions: string): Promise<number> {
    const dir = mkdtempSync(join(tmpdir(), 'pk-heap-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'new-space.json');
    const probe = join(dir, 'probe.mjs');
    writeFileSync(
      probe,
      `import v8 from 'node:v8'; import { writeFileSync } from 'node:fs';
process.on('SIGUSR2', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)));\n`,
    );
    const serve = await startServeProcess({ NODE_OPTIONS: `--import=${pathToFileURL(probe).href} ${nodeOptions}` });
    // Work for the heap: requests to the API.
    for (let i = 0; i < 50; i++) await (await fetch(`${serve.url}/v1/pages`, { headers: { authorization: `Bearer ${serve.apiKey}` } })).text();
    serve.run.child.kill('SIGUSR2');
    const written = async () => (existsSync(out) ? readFileSync(out, 'utf8') : '');
    return Number(await waitFor(written, (text) => text !== '', 10_000));
  }

  // V8's default grows it to two 16 MiB semi-spaces (32 MiB) while serve's modules load. The
  // built CLI starts serve at two 1 MiB semi-spaces; under tsx (a plain `npx vitest`) the
  // loader's own work has grown them to 2 MiB by then.
  it('keeps the young generation at the few MiB it has at start, after loading and serving', async () => {
    expect(await newSpaceOfServe('')).toBeLessThanOrEqual(8 * MiB);
  }, 60_000);

  it('lets it grow when the operator set --max-semi-space-size', async () => {
    expect(await newSpaceOfServe('--max-semi-space-size=8')).toBeGreaterThan(8 * MiB);
  }, 60_000);
});
