package io.tiebreak.jobs.lrsearch;

import io.tiebreak.jobs.grid.LrSearchSettings;
import io.tiebreak.runtime.random.Rng;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How lr-search proposes the learning rate of trial k of a configuration. Both draw from a stream named by the
 * configuration and k, so a search resumed after a crash proposes exactly what it would have.
 */
public final class Samplers {
    private Samplers() {}

    /** Candidates TPE draws from the good trials' density before keeping the best ratio (Optuna's default). */
    static final int TPE_CANDIDATES = 24;

    public static double propose(LrSearchSettings s, String configId, int k, List<Observation> history) {
        Rng rng = Rng.of(s.seed(), "lr-search/" + configId + "/" + k);
        if (s.sampler() == LrSearchSettings.Sampler.RANDOM || history.size() < s.startupTrials()) {
            return logUniform(rng, s.low(), s.high());
        }
        return tpe(rng, s.low(), s.high(), history);
    }

    static double logUniform(Rng rng, double low, double high) {
        return Math.exp(rng.uniform(Math.log(low), Math.log(high)));
    }

    /**
     * Tree-structured Parzen estimator over log(lr), as Optuna's univariate TPE: the best gamma(n) = min(ceil(n/10),
     * 25) trials form the "good" density l, the rest the "bad" density g (Gaussian kernels on each point plus a
     * prior over the whole range); of the candidates drawn from l, the one with the largest l/g wins.
     */
    static double tpe(Rng rng, double low, double high, List<Observation> history) {
        double lo = Math.log(low), hi = Math.log(high);
        List<Observation> sorted = new ArrayList<>(history);
        // Higher accuracy is better; NaN (diverged) is worst.
        sorted.sort(Comparator.comparingDouble((Observation o) -> Double.isNaN(o.objective()) ? Double.NEGATIVE_INFINITY
                : o.objective()).reversed());
        int nGood = Math.min((int) Math.ceil(0.1 * sorted.size()), 25);
        nGood = Math.max(1, nGood);
        Parzen good = new Parzen(xs(sorted.subList(0, nGood)), lo, hi);
        Parzen bad = new Parzen(xs(sorted.subList(nGood, sorted.size())), lo, hi);
        double best = Double.NaN, bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < TPE_CANDIDATES; i++) {
            double x = good.sample(rng);
            double score = good.logDensity(x) - bad.logDensity(x);
            if (score > bestScore) {
                bestScore = score;
                best = x;
            }
        }
        return Math.exp(best);
    }

    private static double[] xs(List<Observation> obs) {
        return obs.stream().mapToDouble(o -> Math.log(o.lr())).toArray();
    }

    /** A mixture of truncated Gaussians on [lo, hi]: one per point and a wide prior centred on the range. */
    static final class Parzen {
        final double[] mu, sigma;
        final double lo, hi;

        Parzen(double[] points, double lo, double hi) {
            this.lo = lo;
            this.hi = hi;
            int n = points.length;
            double[] sorted = points.clone();
            java.util.Arrays.sort(sorted);
            mu = new double[n + 1];
            sigma = new double[n + 1];
            double range = hi - lo;
            double minSigma = range / Math.min(100.0, 1.0 + n);
            for (int i = 0; i < n; i++) {
                int pos = java.util.Arrays.binarySearch(sorted, points[i]);
                double left = pos > 0 ? sorted[pos] - sorted[pos - 1] : points[i] - lo;
                double right = pos < n - 1 ? sorted[pos + 1] - sorted[pos] : hi - points[i];
                mu[i] = points[i];
                sigma[i] = Math.min(range, Math.max(minSigma, Math.max(left, right)));
            }
            mu[n] = (lo + hi) / 2;
            sigma[n] = range;
        }

        double sample(Rng rng) {
            int k = rng.nextInt(mu.length);
            for (int tries = 0; tries < 1000; tries++) {
                double x = mu[k] + sigma[k] * rng.normal();
                if (x >= lo && x <= hi) return x;
            }
            return Math.min(hi, Math.max(lo, mu[k]));
        }

        double logDensity(double x) {
            double sum = 0;
            for (int i = 0; i < mu.length; i++) {
                double z = (x - mu[i]) / sigma[i];
                double mass = phi((hi - mu[i]) / sigma[i]) - phi((lo - mu[i]) / sigma[i]);
                sum += Math.exp(-0.5 * z * z) / (sigma[i] * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
            }
            return Math.log(sum / mu.length);
        }

        /** Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf; error below 1.5e-7). */
        static double phi(double z) {
            double t = 1 / (1 + 0.3275911 * Math.abs(z) / Math.sqrt(2));
            double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                    + 0.254829592) * t * Math.exp(-z * z / 2);
            return 0.5 * (1 + Math.signum(z) * erf);
        }
    }
}
