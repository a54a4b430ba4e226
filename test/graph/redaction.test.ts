import { describe, expect, it } from 'vitest';
import { redactBody, redactText, redactUrl } from '../../src/graph/redact.js';

describe('redacting secrets from URLs and text', () => {
  it.each([
    ['https://g/v25.0/me?access_token=EAAB123&fields=id', 'https://g/v25.0/me?access_token=***&fields=id'],
    ['/v25.0/debug_token?input_token=abc&access_token=1%7Csecret', '/v25.0/debug_token?input_token=***&access_token=***'],
    ['/oauth/access_token?client_id=1&client_secret=s&code=c&redirect_uri=http%3A%2F%2Fx', '/oauth/access_token?client_id=1&client_secret=***&code=***&redirect_uri=http%3A%2F%2Fx'],
    ['/oauth/access_token?grant_type=fb_exchange_token&fb_exchange_token=t', '/oauth/access_token?grant_type=fb_exchange_token&fb_exchange_token=***'],
    ['/me?appsecret_proof=abc', '/me?appsecret_proof=***'],
    ['/me', '/me'],
    ['/me?a=1#access_token=EAAx', '/me?a=1'],
    ['/me?access%5Ftoken=EAAx', '/me?access%5Ftoken=***'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('scrubs token-looking strings and given secrets from free text', () => {
    expect(redactText('bad token EAAGm0PX4ZCpsBAMxyz0123456789abcd in call')).toBe('bad token *** in call');
    expect(redactText('app token 1234567890123|abcdefghijklmnop0123')).toBe('app token ***');
    expect(redactText('see ?access_token=whatever&x=1')).toBe('see ?access_token=***&x=1');
    expect(redactText('the secret is hunter2hunter2', ['hunter2hunter2'])).toBe('the secret is ***');
  });

  it('masks secret-keyed values deep inside a body', () => {
    expect(redactBody({ data: [{ id: '1', access_token: 'EAAx' }], note: 'EAAGm0PX4ZCpsBAMxyz0123456789abcd' })).toEqual({
      data: [{ id: '1', access_token: '***' }],
      note: '***',
    });
  });
});
