package io.tiebreak.jobs.results;

import io.tiebreak.jobs.grid.ZoneSpec;
import io.tiebreak.runtime.zones.Zone;
import io.tiebreak.runtime.zones.ZoneMeasurement;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One minibatch of a zones configuration, as the zones table stores it: the zone (decided over the reals), the
 * bitwise fp64 verdict and how many gradient coordinates the exact test found different, the norms of g_A - g_B at the
 * working precision and (when recomputed) at fp64, the tie counts of each MaxPool layer at both precisions, and
 * each layer's share of the L1 difference (a layer's weight and bias together, in construction order, so the first
 * layers with a share show where a difference starts). seconds and device say how the measurement ran; every other
 * field depends only on the configuration and the minibatch index.
 */
public record ZoneRow(String grid, ZoneSpec spec, int minibatch, Zone zone, Zone zoneFp64, Long realsDiffering,
                      double l1, double linf, Double l1Fp64,
                      Double linfFp64, double loss, List<String> pools, List<Long> ties, List<Long> tiesFp64,
                      List<String> layers, List<Double> layerShare, double seconds, String device)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Columns that describe how a row was measured, not what: they differ between two runs of the same grid. */
    public static final List<String> MEASUREMENT_COLUMNS = List.of("grid", "seconds", "device_used");

    public ZoneRow {
        pools = List.copyOf(pools);
        ties = List.copyOf(ties);
        tiesFp64 = List.copyOf(tiesFp64);
        layers = List.copyOf(layers);
        layerShare = List.copyOf(layerShare);
    }

    public static ZoneRow of(String grid, ZoneSpec spec, int minibatch, ZoneMeasurement m, double seconds,
                             String device) {
        boolean recomputed = m.zone() != Zone.AGREE; // fp64 norms exist only where the working precision differed
        Map<String, Double> byLayer = new LinkedHashMap<>();
        for (int i = 0; i < m.parameters().size(); i++) byLayer.merge(layer(m.parameters().get(i)), m.layerShare()[i], Double::sum);
        return new ZoneRow(grid, spec, minibatch, m.zone(), m.zoneFp64(),
                m.realsDiffering() < 0 ? null : m.realsDiffering(), m.l1(), m.linf(), recomputed ? m.l1Fp64() : null,
                recomputed ? m.linfFp64() : null, m.loss(), m.pools(), boxed(m.ties()), boxed(m.tiesFp64()),
                new ArrayList<>(byLayer.keySet()), new ArrayList<>(byLayer.values()), seconds, device);
    }

    /** The layer a parameter belongs to: its name without the last part (features.3.weight: features.3). */
    static String layer(String parameter) {
        int dot = parameter.lastIndexOf('.');
        return dot < 0 ? parameter : parameter.substring(0, dot);
    }

    public String zoneId() { return spec.zoneId(); }

    public long tiesTotal() { return ties.stream().mapToLong(Long::longValue).sum(); }

    public long tiesFp64Total() { return tiesFp64.stream().mapToLong(Long::longValue).sum(); }

    private static List<Long> boxed(long[] v) {
        List<Long> out = new ArrayList<>(v.length);
        for (long x : v) out.add(x);
        return out;
    }
}
