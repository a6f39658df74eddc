/**
 * Sticky traffic split: a caller key hashes (FNV-1a, 32 bit) with the canary's version to a point in
 * [0, 1); keys below the canary share go to the canary. The same key always lands on the same side for
 * a given share, and as the share grows the callers already on the canary stay there. Salting with the
 * version gives each canary a different subset of callers.
 */
export function stickyPoint(key: string, salt: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x3a, 0x01000193);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // Final avalanche (murmur3 fmix32): FNV alone leaves short keys clustered.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/** Whether this request goes to the canary: sticky with a caller key, random (per request) without one. */
export function routesToCanary(share: number, canaryVersion: string, key: string | undefined): boolean {
  if (share <= 0) return false;
  const point = key === undefined ? Math.random() : stickyPoint(key, canaryVersion);
  return point < share;
}
