/**
 * The layers of docs/architecture.md, checked on every import in src/: cli at the top, then the
 * service, then the library's front door (pagekeeper.ts, index.ts), then health, messenger,
 * instagram and notify, then tokens (with context.ts and subscriptions), then graph, store and config, then core
 * (with errors.ts).
 * A module may import its own layer or any layer below; the emulator stands alone (it imports
 * nothing of pagekeeper, and only the CLI starts it). Kysely is the store's alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

const RANKS: Record<string, number> = {
  core: 0,
  errors: 0,
  graph: 1,
  store: 1,
  config: 1,
  tokens: 2,
  context: 2,
  subscriptions: 2,
  health: 3,
  messenger: 3,
  instagram: 3,
  notify: 3,
  pagekeeper: 4,
  index: 4,
  service: 5,
  cli: 6,
};

/** `graph` for src/graph/x.ts, `pagekeeper` for src/pagekeeper.ts. */
function unitOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? parts[0]!.replace(/\.(ts|js)$/, '') : parts[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

interface Import {
  from: string;
  spec: string;
  /** The unit imported, or null for a package. */
  unit: string | null;
}

/** Every import, export-from and dynamic import() of the file, as written. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName: spec }) => {
    if (!spec.startsWith('.')) return { from: file, spec, unit: null };
    return { from: file, spec, unit: unitOf(normalize(join(dirname(file), spec))) };
  });
}

/** The imports that break the layer rule, as `from -> spec` lines relative to src/. */
export function violations(files: readonly string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const out: string[] = [];
  for (const file of files) {
    const unit = unitOf(file);
    for (const imp of importsOf(file, read(file))) {
      const line = `${relative(SRC, file)} -> ${imp.spec}`;
      if (imp.unit === null) {
        if ((imp.spec === 'kysely' || imp.spec.startsWith('kysely/')) && unit !== 'store') out.push(`${line} (only src/store/ talks to the database)`);
        continue;
      }
      if (imp.unit === unit) continue;
      if (unit === 'emulator') {
        out.push(`${line} (the emulator stands alone)`);
        continue;
      }
      if (unit === 'client' || imp.unit === 'client') {
        // The typed REST client (pagekeeper/client) talks to the service over HTTP only.
        out.push(`${line} (the REST client stands alone)`);
        continue;
      }
      if (imp.unit === 'emulator') {
        if (unit !== 'cli') out.push(`${line} (only the CLI starts the emulator)`);
        continue;
      }
      const mine = RANKS[unit];
      const theirs = RANKS[imp.unit];
      if (mine === undefined) out.push(`${relative(SRC, file)}: ${unit} has no layer; add it to docs/architecture.md and this test`);
      else if (theirs === undefined) out.push(`${line} (${imp.unit} has no layer)`);
      else if (theirs > mine) out.push(`${line} (${unit} is below ${imp.unit})`);
    }
  }
  return out;
}

describe('the import layers', () => {
  it('no module in src/ imports a layer above its own, and the emulator stands alone', () => {
    expect(violations(sourceFiles(SRC))).toEqual([]);
  });

  it('would catch a new upward import, a store-free Kysely query or an emulator that leans on pagekeeper', () => {
    const planted: Record<string, string> = {
      [join(SRC, 'graph', 'planted.ts')]: "import type { PageKeeperContext } from '../context.js';",
      [join(SRC, 'store', 'planted.ts')]: "export { connect } from '../tokens/connect.js';",
      [join(SRC, 'tokens', 'planted.ts')]: "const m = await import('../health/sweep.js');",
      [join(SRC, 'messenger', 'planted.ts')]: "import { sql } from 'kysely';",
      [join(SRC, 'emulator', 'planted.ts')]: "import { pkError } from '../errors.js';",
      [join(SRC, 'service', 'planted.ts')]: "import { startEmulator } from '../emulator/index.js';",
      [join(SRC, 'health', 'fine.ts')]: "import { pkError } from '../errors.js';\nimport type { Store } from '../store/create-store.js';\nimport { notify } from '../notify/types.js';",
    };
    const found = violations(Object.keys(planted), (f) => planted[f]!);
    expect(found).toEqual([
      'graph/planted.ts -> ../context.js (graph is below context)',
      'store/planted.ts -> ../tokens/connect.js (store is below tokens)',
      'tokens/planted.ts -> ../health/sweep.js (tokens is below health)',
      'messenger/planted.ts -> kysely (only src/store/ talks to the database)',
      'emulator/planted.ts -> ../errors.js (the emulator stands alone)',
      'service/planted.ts -> ../emulator/index.js (only the CLI starts the emulator)',
    ]);
  });
});
