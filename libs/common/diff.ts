export interface Change {
  path: string;
  from: unknown;
  to: unknown;
}

/**
 * Leaf-by-leaf differences between two JSON values, with dotted paths (`metrics.rocAuc`,
 * `files.weights\\.bin.sha256`, `gates.0.value`). Values equal in both are left out.
 */
export function diffObjects(a: unknown, b: unknown, path = ''): Change[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffObjects(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
      diffObjects(a[i], b[i], `${path}.${i}`),
    ).flat();
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path, from: a ?? null, to: b ?? null }];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
