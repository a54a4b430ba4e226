/**
 * Which sweep partition a Page belongs to: FNV-1a of its id, so every instance computes the
 * same split without coordination, and all of a Page's tokens land in one partition (the Page
 * is judged by one instance).
 */
export function partitionOf(pageId: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < pageId.length; i++) {
    h ^= pageId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}
