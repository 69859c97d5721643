// Densities of ERT's prior distributions (the `function` tags of the API), for drawing
// over a parameter's histogram. ERT samples a standard normal and transforms it; each
// density below is that transform's. Discrete priors (ert_duniform, ert_derf) have none.

export type Prior = { function: string } & Record<string, unknown>;

const SQRT2PI = Math.sqrt(2 * Math.PI);
const phi = (z: number) => Math.exp(-0.5 * z * z) / SQRT2PI;
const num = (p: Prior, key: string) => Number(p[key]);

/** Acklam's rational approximation of the standard normal quantile (|error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface PriorCurve {
  /** density at x; null for a prior without one */
  pdf: ((x: number) => number) | null;
  /** a point mass (const) */
  at?: number;
  /** where the density lives, to widen the plot's range */
  support: [number, number];
  describe: string;
}

export function priorCurve(p: Prior): PriorCurve | null {
  const fields = Object.entries(p)
    .filter(([k]) => k !== "function")
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const describe = `${p.function}(${fields})`;
  switch (p.function) {
    case "const":
      return { pdf: null, at: num(p, "value"), support: [num(p, "value"), num(p, "value")], describe };
    case "normal":
    case "stdnormal": {
      const mean = p.function === "normal" ? num(p, "mean") : 0;
      const std = p.function === "normal" ? num(p, "std") : 1;
      return { pdf: (x) => phi((x - mean) / std) / std, support: [mean - 3.5 * std, mean + 3.5 * std], describe };
    }
    case "lognormal": {
      // ERT: exp(N(mean, std)): mean and std are those of log(x)
      const mean = num(p, "mean");
      const std = num(p, "std");
      return {
        pdf: (x) => (x > 0 ? phi((Math.log(x) - mean) / std) / (x * std) : 0),
        support: [Math.exp(mean - 3 * std), Math.exp(mean + 3 * std)],
        describe,
      };
    }
    case "ert_truncnormal": {
      // ERT clips N(mean, std) to [min, max]: the normal density inside, point masses at the ends
      const mean = num(p, "mean"), std = num(p, "std"), min = num(p, "min"), max = num(p, "max");
      return { pdf: (x) => (x < min || x > max ? 0 : phi((x - mean) / std) / std), support: [min, max], describe };
    }
    case "uniform": {
      const min = num(p, "min"), max = num(p, "max");
      return { pdf: (x) => (x < min || x > max ? 0 : 1 / (max - min)), support: [min, max], describe };
    }
    case "loguniform": {
      const min = num(p, "min"), max = num(p, "max");
      return { pdf: (x) => (x < min || x > max ? 0 : 1 / (x * Math.log(max / min))), support: [min, max], describe };
    }
    case "trig": {
      const min = num(p, "min"), max = num(p, "max"), mode = num(p, "mode");
      return {
        pdf: (x) =>
          x < min || x > max ? 0 : x <= mode ? (2 * (x - min)) / ((max - min) * (mode - min || 1)) : (2 * (max - x)) / ((max - min) * (max - mode || 1)),
        support: [min, max],
        describe,
      };
    }
    case "ert_erf": {
      // ERT: min + (max - min) * Phi((z + skewness) / width), z standard normal
      const min = num(p, "min"), max = num(p, "max"), skew = num(p, "skewness"), width = num(p, "width");
      return {
        pdf: (x) => {
          if (x <= min || x >= max) return 0;
          const w = normalQuantile((x - min) / (max - min));
          return (phi(width * w - skew) * width) / (phi(w) * (max - min));
        },
        support: [min, max],
        describe,
      };
    }
    case "ert_duniform":
    case "ert_derf":
      return { pdf: null, support: [num(p, "min"), num(p, "max")], describe: `${describe} (discrete)` };
    default:
      return null;
  }
}
