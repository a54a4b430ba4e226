/**
 * Peer check: a public Graph client, unmodified but for its base URL, works
 * against the emulator. messaging-api-messenger takes `origin`; it signs every call with
 * appsecret_proof, so this also checks the emulator accepts a third party's proofs.
 */
import { MessengerClient } from 'messaging-api-messenger';
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';

describe('a public Graph client works against the emulator', () => {
  it('messaging-api-messenger exchanges a token, lists pages, debugs a token and sends a message', async () => {
    const emu = await startTestEmulator({ requireAppsecretProof: true });
    const user = emu.users[0]!;
    const pageId = user.pages[0]!.id;
    const base = { appId: emu.appId, appSecret: emu.appSecret, origin: emu.url, version: '25.0' };

    const userClient = new MessengerClient({ ...base, accessToken: user.shortLivedToken });
    // The library has no exchange helper; its own HTTP client (with its appsecret_proof interceptor) makes the call.
    const exchanged = await userClient.axios.get('oauth/access_token', {
      params: { grant_type: 'fb_exchange_token', client_id: emu.appId, client_secret: emu.appSecret, fb_exchange_token: user.shortLivedToken },
    });
    expect(exchanged.data).toMatchObject({ tokenType: 'bearer', expiresIn: 5_184_000 });
    const longClient = new MessengerClient({ ...base, accessToken: exchanged.data.accessToken as string });
    const accounts = await longClient.axios.get('me/accounts', { params: { access_token: exchanged.data.accessToken } });
    const pageToken = (accounts.data.data as { id: string; accessToken: string }[]).find((p) => p.id === pageId)!.accessToken;

    const pageClient = new MessengerClient({ ...base, accessToken: pageToken });
    const info = await pageClient.debugToken();
    expect(info).toMatchObject({ type: 'PAGE', isValid: true, expiresAt: 0, profileId: pageId });

    const { psid } = await emu.control.inbound(pageId, { text: 'hello from a customer' });
    const sent = await pageClient.sendText(psid, 'hello from messaging-api-messenger');
    expect(sent).toMatchObject({ recipientId: psid, messageId: expect.stringMatching(/^m_/) });
    const recorded = await emu.control.sentMessages(pageId);
    expect(recorded.at(-1)).toMatchObject({ recipientId: psid, messageId: sent.messageId, message: { text: 'hello from messaging-api-messenger' } });

    await expect(pageClient.sendText('1234567890123456', 'nobody')).rejects.toThrow(/2018001|No matching user found/);
  });
});
