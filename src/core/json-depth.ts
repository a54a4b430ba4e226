/**
 * Deepest nesting of arrays and objects accepted in a JSON body from outside (a Send API body,
 * a webhook). Real Messenger templates nest fewer than 10 levels; JSON.stringify and recursive
 * validators overflow the stack somewhere past several thousand, so a hostile body must be
 * refused before either sees it.
 */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests arrays and objects more than `max` levels deep. Iterative: never overflows. */
export function nestedDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
