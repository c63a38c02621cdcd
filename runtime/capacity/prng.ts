/** A seeded pseudo-random source (mulberry32) and the distributions the model draws from: runs are repeatable. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  exponential(mean: number): number;
  /** Gamma with this mean and coefficient of variation (cv 0: the mean itself). */
  gamma(mean: number, cv: number): number;
  int(n: number): number;
}

export function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  // Marsaglia–Tsang for shape ≥ 1; shape < 1 boosted by U^(1/shape).
  const gammaShape = (k: number): number => {
    if (k < 1) return gammaShape(k + 1) * Math.pow(1 - next(), 1 / k);
    const d = k - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      if (Math.log(1 - next()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  return {
    next,
    exponential: (mean) => -mean * Math.log(1 - next()),
    gamma(mean, cv) {
      if (mean <= 0 || cv <= 0) return Math.max(0, mean);
      const k = 1 / (cv * cv);
      return (gammaShape(k) * mean) / k;
    },
    int: (n) => Math.floor(next() * n),
  };
}
