import { describe, expect, it } from 'vitest';
import { mergeUsage, parseUsageHeaders, regainAccessMs } from '../../src/graph/usage.js';

describe('reading rate-limit usage headers', () => {
  it('parses all three headers', () => {
    const u = parseUsageHeaders(
      {
        'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":25}',
        'x-business-use-case-usage': '{"112233":[{"type":"pages","call_count":97,"total_cputime":23,"total_time":23,"estimated_time_to_regain_access":0}],"445566":[{"type":"messenger","call_count":100,"total_cputime":1,"total_time":2,"estimated_time_to_regain_access":12}]}',
        'x-page-usage': '{"call_count":855,"total_cputime":202,"total_time":911}',
      },
      1000,
    );
    expect(u).toEqual({
      app: { callCount: 28, totalTime: 25, totalCputime: 25 },
      pages: {
        '112233': [{ type: 'pages', callCount: 97, totalTime: 23, totalCputime: 23, estimatedTimeToRegainAccessMinutes: 0 }],
        '445566': [{ type: 'messenger', callCount: 100, totalTime: 2, totalCputime: 1, estimatedTimeToRegainAccessMinutes: 12 }],
      },
      page: { callCount: 855, totalTime: 911, totalCputime: 202 },
      at: 1000,
    });
    expect(regainAccessMs(u)).toBe(12 * 60_000);
    expect(regainAccessMs(u, '112233')).toBeNull();
  });

  it('reads absent headers as low usage', () => {
    expect(parseUsageHeaders({}, 5)).toEqual({ app: null, pages: {}, page: null, at: 5 });
  });

  it.each([
    ['not json', '{call_count:1'],
    ['a number', '42'],
    ['null', 'null'],
    ['an array', '[1,2]'],
    ['wrong field types', '{"call_count":"lots","total_time":{}}'],
    ['empty', ''],
  ])('ignores garbage (%s) without throwing', (_name, value) => {
    const u = parseUsageHeaders({ 'x-app-usage': value, 'x-business-use-case-usage': value, 'x-page-usage': value }, 0);
    expect(u.app).toBeNull();
    expect(u.page).toBeNull();
    expect(u.pages).toEqual({});
  });

  it('keeps the good entries of a partly broken business header', () => {
    const u = parseUsageHeaders({ 'x-business-use-case-usage': '{"1":"x","2":[null,{"call_count":5}],"3":[{"type":"pages","call_count":"9","estimated_time_to_regain_access":-3}]}' }, 0);
    expect(u.pages).toEqual({
      '2': [{ type: 'unknown', callCount: 5, totalTime: 0, totalCputime: 0, estimatedTimeToRegainAccessMinutes: 0 }],
      '3': [{ type: 'pages', callCount: 9, totalTime: 0, totalCputime: 0, estimatedTimeToRegainAccessMinutes: 0 }],
    });
  });

  it('folds newer reports in, id by id', () => {
    const a = parseUsageHeaders({ 'x-app-usage': '{"call_count":1,"total_time":1,"total_cputime":1}', 'x-business-use-case-usage': '{"1":[{"type":"pages","call_count":10}]}' }, 1);
    const b = parseUsageHeaders({ 'x-business-use-case-usage': '{"2":[{"type":"pages","call_count":20}]}' }, 2);
    const m = mergeUsage(a, b);
    expect(m.app?.callCount).toBe(1);
    expect(Object.keys(m.pages).sort()).toEqual(['1', '2']);
    expect(m.at).toBe(2);
  });
});
