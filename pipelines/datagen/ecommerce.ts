import { Draw, sigmoid } from './distributions';

/** One behaviour event, in the REES46 event-log schema (`../shared/datasets/rees46_events_sample`). */
export interface EventRow {
  event_time: string;
  event_type: 'view' | 'cart' | 'purchase';
  product_id: number;
  category_code: string;
  brand: string;
  price: number;
  user_id: number;
  user_session: string;
}

/** One session for purchase-intent training: features from the events before any purchase, label `purchased`. */
export interface SessionRow {
  session_id: string;
  user_id: number;
  n_views: number;
  n_carts: number;
  n_distinct_categories: number;
  session_duration_s: number;
  mean_viewed_price: number;
  max_viewed_price: number;
  hour_of_day: number;
  weekday: number;
  device: string;
  traffic_source: string;
  region: string;
  age_band: string;
  visitor_type: 'new' | 'returning';
  previous_sessions: number;
  previous_purchases: number;
  purchased: boolean;
}

const CATEGORIES = [
  ['electronics.smartphone', 320],
  ['electronics.audio.headphone', 90],
  ['computers.notebook', 650],
  ['appliances.kitchen.kettle', 35],
  ['apparel.shoes', 70],
  ['apparel.jacket', 110],
  ['home.furniture.chair', 140],
  ['beauty.skincare', 25],
  ['sport.bicycle', 480],
  ['kids.toys', 30],
] as const;
const BRANDS = ['acme', 'nordic', 'kumo', 'vela', 'orbit', 'lumen', 'terra', 'zeno'];
const DEVICES = ['mobile', 'desktop', 'tablet'];
const SOURCES = ['direct', 'search', 'social', 'email', 'ads'];
const SOURCE_EFFECT: Record<string, number> = { direct: 0.3, search: 0.2, social: -0.4, email: 0.5, ads: -0.3 };
const REGIONS = ['north', 'south', 'east', 'west', 'central'];
const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55+'];
const HOUR_WEIGHTS = [
  1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2, 2.2, 2.3, 2.5, 2.8, 2.6, 2.4, 2.4, 2.6, 3, 3.5, 4, 4.2, 3.8, 2.8, 1.8,
];

export interface GeneratorOptions {
  users: number;
  seed: number;
  /** First day of the simulated period (UTC). */
  start?: Date;
  days?: number;
}

/**
 * Simulates an online shop: each user has a latent purchase power (log-normal) that raises how often
 * they visit, how pricey the items they look at are, and how likely a view becomes a cart and a cart a
 * purchase; device, traffic source and history shift conversion too, with noise, so a good model
 * reaches a high but not perfect ROC-AUC. Deterministic for a seed.
 */
export function* generateSessions(o: GeneratorOptions): Generator<{
  session: SessionRow;
  events: EventRow[];
  /** ground truth, never written to the files */ purchasePower: number;
}> {
  const draw = new Draw(o.seed);
  const start = (o.start ?? new Date(Date.UTC(2026, 0, 1))).getTime();
  const days = o.days ?? 90;
  for (let userId = 1; userId <= o.users; userId++) {
    const power = draw.lognormal(0, 0.6);
    const user = {
      device: draw.pick(DEVICES, [0.6, 0.32, 0.08]),
      source: draw.pick(SOURCES, [0.25, 0.3, 0.15, 0.1, 0.2]),
      region: draw.pick(REGIONS),
      age: draw.pick(AGE_BANDS, [0.18, 0.3, 0.25, 0.15, 0.12]),
      favourites: [draw.pick(CATEGORIES), draw.pick(CATEGORIES)],
    };
    const visits = Math.min(1 + draw.poisson(1.5 + 2 * power), 30);
    const times = Array.from({ length: visits }, () => start + Math.floor(draw.uniform(0, days)) * 86_400_000)
      .map(
        (day) =>
          day +
          draw.pick(
            HOUR_WEIGHTS.map((_, h) => h),
            HOUR_WEIGHTS,
          ) *
            3_600_000 +
          Math.floor(draw.uniform(0, 3_600_000)),
      )
      .sort((a, b) => a - b);
    let previousPurchases = 0;
    for (let s = 0; s < visits; s++) {
      const sessionId = `u${userId}-s${s + 1}`;
      const events: EventRow[] = [];
      let t = times[s];
      const views = 1 + draw.poisson(2 + 1.5 * Math.sqrt(power));
      const intent =
        -2.6 +
        0.9 * Math.log(power) +
        SOURCE_EFFECT[user.source] +
        (user.device === 'desktop' ? 0.3 : 0) +
        0.25 * Math.min(previousPurchases, 3) +
        draw.normal(0, 0.6);
      const categories = new Set<string>();
      let carts = 0;
      let cartValue = 0;
      for (let v = 0; v < views; v++) {
        const [category, basePrice] = draw.bernoulli(0.7) ? draw.pick(user.favourites) : draw.pick(CATEGORIES);
        const price = Math.round(basePrice * draw.lognormal(0, 0.35) * (0.6 + 0.4 * Math.min(power, 3)) * 100) / 100;
        const product = {
          product_id:
            1_000_000 + CATEGORIES.findIndex((c) => c[0] === category) * 1000 + Math.floor(draw.uniform(0, 1000)),
          category_code: category,
          brand: draw.pick(BRANDS),
          price,
        };
        t += Math.floor(draw.lognormal(3.5, 0.8) * 1000);
        categories.add(category);
        events.push({ event_time: iso(t), event_type: 'view', ...product, user_id: userId, user_session: sessionId });
        if (draw.bernoulli(sigmoid(intent + 0.4 - 0.002 * price))) {
          t += Math.floor(draw.lognormal(2.5, 0.6) * 1000);
          carts++;
          cartValue += price;
          events.push({ event_time: iso(t), event_type: 'cart', ...product, user_id: userId, user_session: sessionId });
        }
      }
      const viewed = events.filter((e) => e.event_type === 'view').map((e) => e.price);
      const session: SessionRow = {
        session_id: sessionId,
        user_id: userId,
        n_views: viewed.length,
        n_carts: carts,
        n_distinct_categories: categories.size,
        session_duration_s: Math.round((t - times[s]) / 1000),
        mean_viewed_price: Math.round((viewed.reduce((a, b) => a + b, 0) / viewed.length) * 100) / 100,
        max_viewed_price: Math.max(...viewed),
        hour_of_day: new Date(times[s]).getUTCHours(),
        weekday: new Date(times[s]).getUTCDay(),
        device: user.device,
        traffic_source: user.source,
        region: user.region,
        age_band: user.age,
        visitor_type: s === 0 ? 'new' : 'returning',
        previous_sessions: s,
        previous_purchases: previousPurchases,
        purchased: false,
      };
      // Purchase happens at the end, from the cart: the features above never see it. Its odds are not
      // linear in the features (a rushed or endless session rarely buys; a basket far above what the
      // user's viewed prices suggest they can afford stalls; email brings back buyers, social on mobile
      // browses), which is what a deep model can learn and a logistic baseline cannot.
      const minutes = Math.max(session.session_duration_s, 1) / 60;
      const affordability = cartValue / Math.max(carts, 1) / Math.max(session.mean_viewed_price, 1);
      const odds =
        intent +
        1.6 +
        0.4 * (carts - 1) -
        1.1 * Math.log(minutes / 4) ** 2 -
        1.5 * Math.max(0, affordability - 1.3) +
        (user.source === 'email' && s > 0 ? 1.0 : 0) -
        (user.source === 'social' && user.device === 'mobile' ? 1.0 : 0);
      if (carts > 0 && draw.bernoulli(sigmoid(odds))) {
        session.purchased = true;
        previousPurchases++;
        for (const cart of events.filter((e) => e.event_type === 'cart')) {
          t += Math.floor(draw.lognormal(3, 0.5) * 1000);
          events.push({ ...cart, event_type: 'purchase', event_time: iso(t) });
        }
      }
      yield { session, events, purchasePower: power };
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
