import { generateSessions } from './ecommerce';

const collect = (seed: number, users = 400) => [...generateSessions({ users, seed })];

describe(generateSessions.name, () => {
  const data = collect(42);

  it('is a pure function of its seed', () => {
    expect(collect(42)).toEqual(data);
    expect(collect(43)[0]).not.toEqual(data[0]);
  });

  it('has a realistic purchase rate, time-ordered events and purchases only from the cart', () => {
    const rate = data.filter((d) => d.session.purchased).length / data.length;
    expect(rate).toBeGreaterThan(0.08);
    expect(rate).toBeLessThan(0.3);
    for (const { events, session } of data) {
      const times = events.map((e) => Date.parse(e.event_time));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(events.some((e) => e.event_type === 'purchase')).toBe(session.purchased);
      if (session.purchased) expect(session.n_carts).toBeGreaterThan(0);
    }
  });

  it('computes session features only from events before any purchase', () => {
    for (const { events, session } of data) {
      const beforePurchase = events.filter((e) => e.event_type !== 'purchase');
      expect(session.n_views).toBe(beforePurchase.filter((e) => e.event_type === 'view').length);
      expect(session.n_carts).toBe(beforePurchase.filter((e) => e.event_type === 'cart').length);
    }
  });

  it('lets latent purchase power drive conversion and the prices users look at', () => {
    const sorted = [...data].sort((a, b) => a.purchasePower - b.purchasePower);
    const low = sorted.slice(0, sorted.length / 4);
    const high = sorted.slice((3 * sorted.length) / 4);
    const rate = (xs: typeof data) => xs.filter((d) => d.session.purchased).length / xs.length;
    const price = (xs: typeof data) => xs.reduce((a, d) => a + d.session.mean_viewed_price, 0) / xs.length;
    expect(rate(high)).toBeGreaterThan(2 * rate(low));
    expect(price(high)).toBeGreaterThan(1.5 * price(low));
  });
});
