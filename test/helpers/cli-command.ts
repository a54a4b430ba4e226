/**
 * How tests start the pagekeeper CLI as a subprocess: one node process either way.
 * `npm test` builds first and sets PAGEKEEPER_TEST_CLI=dist, so the tests run the built CLI as a
 * user would (and skip a TypeScript transform at every start); a plain `npx vitest` runs the
 * sources through tsx's loader, so a developer never tests a stale build by accident.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = `${root}dist/cli/main.js`;

/** [executable, ...arguments before the command's own]. */
export function cliCommand(): [string, ...string[]] {
  if (process.env.PAGEKEEPER_TEST_CLI === 'dist') {
    if (!existsSync(built)) throw new Error(`PAGEKEEPER_TEST_CLI=dist but ${built} does not exist: run npm run build`);
    return [process.execPath, built];
  }
  return [process.execPath, '--import', pathToFileURL(`${root}node_modules/tsx/dist/loader.mjs`).href, `${root}src/cli/main.ts`];
}
