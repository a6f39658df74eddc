import { seededRandom } from '../../libs/common/random';

/** Seeded draws used by the generator; one stream per generator run, so the output is a pure function of the seed. */
export class Draw {
  private readonly u: () => number;

  constructor(seed: number) {
    this.u = seededRandom(seed);
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.u();
  }

  /** Standard normal by Box-Muller. */
  normal(mean = 0, sd = 1): number {
    const u1 = Math.max(this.u(), 1e-12);
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.u());
  }

  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Knuth's method: fine for the small rates used here. */
  poisson(lambda: number): number {
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = this.u(); p > limit; p *= this.u()) k++;
    return k;
  }

  bernoulli(p: number): boolean {
    return this.u() < p;
  }

  pick<T>(items: readonly T[], weights?: readonly number[]): T {
    if (!weights) return items[Math.floor(this.u() * items.length)];
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.u() * total;
    for (let i = 0; i < items.length; i++) if ((r -= weights[i]) < 0) return items[i];
    return items[items.length - 1];
  }
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
