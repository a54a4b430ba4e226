import { describe, expect, it, onTestFinished } from 'vitest';
import { appsecretProof } from '../../src/graph/appsecret-proof.js';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { captureLogger } from '../graph/stub-server.js';
import { startTestEmulator, GRAPH_VERSION } from '../helpers/emulator.js';

describe('Conversations lookups', () => {
  it('put the Page token only in the batch body: never in log lines, errors or stored rows, also when they fail', async () => {
    const emu = await startTestEmulator();
    const { lines, logger } = captureLogger();
    const pk = await createPageKeeper({ appId: emu.appId, appSecret: emu.appSecret, database: 'sqlite::memory:', keys: generateKeyEntry('t1'), graphUrl: emu.url, dialogUrl: emu.dialogUrl, logger });
    onTestFinished(() => pk.close());
    const connected = await pk.connect(emu.users[0]!.shortLivedToken);
    const pageId = connected.pages[0]!.id;
    const pageToken = await pk.page(pageId).token();
    const secrets = [pageToken, encodeURIComponent(pageToken), appsecretProof(emu.appSecret, pageToken), emu.appSecret];

    const errors: string[] = [];
    const send = async (psid: string) => {
      try {
        await pk.messenger.send(pageId, psid, { text: 'hi' });
      } catch (e) {
        const err = e as Error;
        errors.push([err.message, JSON.stringify(err), JSON.stringify(err.cause ?? null), err.stack ?? ''].join('\n'));
      }
    };
    const wrote = async () => (await emu.control.inbound(pageId, { text: 'hello' })).psid;
    await send(await wrote()); // answered
    await send('5550001'); // nobody: refused locally
    await emu.control.addFault({ match: '/conversations', kind: 'http500' });
    await send(await wrote()); // the item fails: Facebook decides
    await emu.control.clearFaults();
    // Resets on the next requests: the batch POST (path /v25.0/) and its retries fail.
    await emu.control.addFault({ match: `/${GRAPH_VERSION}/`, kind: 'reset', count: 3 });
    await send(await wrote()); // the batch itself fails
    await emu.control.clearFaults();

    expect(lines.some((l) => l.includes('could not ask Facebook about the messaging window'))).toBe(true);
    const stored = JSON.stringify(await pk.context.store.db.selectFrom('conversations').selectAll().execute());
    for (const text of [...lines, ...errors, stored]) for (const s of secrets) expect(text).not.toContain(s);
  });
});
