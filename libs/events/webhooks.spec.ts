import { createHmac } from 'node:crypto';
import { signPayload, verifySignature } from './webhooks';

describe('webhook signatures', () => {
  const secret = 'whsec_test-only';
  const body = JSON.stringify({ id: 'evt_1', type: 'run.promoted', model: 'm' });
  const now = 1_800_000_000;

  it('signs `${timestamp}.${body}` with HMAC-SHA256, hex', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signPayload(secret, now, body)).toBe(expected);
    expect(signPayload(secret, String(now), body)).toBe(expected);
  });

  it('accepts the header form and the bare hex, from a string or the raw bytes', () => {
    const sig = signPayload(secret, now, body);
    expect(verifySignature(secret, String(now), body, `sha256=${sig}`, { nowSeconds: now })).toBe(true);
    expect(verifySignature(secret, now, Buffer.from(body), sig, { nowSeconds: now + 10 })).toBe(true);
  });

  it('refuses a tampered body, another secret, another timestamp, a malformed or missing signature', () => {
    const sig = `sha256=${signPayload(secret, now, body)}`;
    const opts = { nowSeconds: now };
    expect(verifySignature(secret, now, body.replace('promoted', 'rejected'), sig, opts)).toBe(false);
    expect(verifySignature('whsec_other', now, body, sig, opts)).toBe(false);
    expect(verifySignature(secret, now + 1, body, sig, opts)).toBe(false);
    expect(verifySignature(secret, now, body, 'sha256=abc', opts)).toBe(false);
    expect(verifySignature(secret, now, body, 'sha256=zz', opts)).toBe(false);
    expect(verifySignature(secret, now, body, undefined, opts)).toBe(false);
    expect(verifySignature(secret, 'yesterday', body, sig, opts)).toBe(false);
  });

  it('refuses a delivery older or newer than the tolerance (replayed captures)', () => {
    const sig = signPayload(secret, now, body);
    expect(verifySignature(secret, now, body, sig, { nowSeconds: now + 301 })).toBe(false);
    expect(verifySignature(secret, now, body, sig, { nowSeconds: now - 301 })).toBe(false);
    expect(verifySignature(secret, now, body, sig, { nowSeconds: now + 3600, toleranceSeconds: 7200 })).toBe(true);
  });
});
