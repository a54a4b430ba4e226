/**
 * Characters that change how the text around them is shown instead of showing themselves:
 * C0 and C1 controls (a terminal runs ESC sequences), DEL, the bidi embeddings, overrides and
 * isolates and their marks (U+202E turns "gpj.exe" into "exe.jpg"), and the line and paragraph
 * separators. Tab and newline stay.
 */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text from Facebook (Page and user names, which Page admins choose) as people should see it:
 * each character above replaced by its visible `\u{202E}`-style escape, everything else as is.
 */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`);
}
