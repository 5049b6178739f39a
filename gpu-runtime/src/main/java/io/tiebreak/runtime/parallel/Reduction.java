package io.tiebreak.runtime.parallel;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One device's side of the sums over a step's micro-batches (docs/design.md, "Data parallelism"): weight and bias
 * gradients, batch-norm statistics and their backward sums, the loss, counts. Each micro-batch's partial is kept in
 * the accumulation precision; the partials are added in {@link MicroBatchTree}'s order, then rounded once.
 *
 * <p>Across devices: each device adds the largest subtrees whose micro-batches it holds, in place; the exchange hands
 * those subtree sums to every device; every device then adds the rest of the tree itself, the same additions in the
 * same order on the same values, so all end with the same bits, whatever the device count.
 */
public final class Reduction {
    private final Backend backend;
    private final Exchange exchange;
    /** Spare tensors for imported and cross-device nodes, by shape and precision. */
    private final Map<String, ArrayDeque<Tensor>> spare = new HashMap<>();

    public Reduction(Backend backend, Exchange exchange) {
        this.backend = backend;
        this.exchange = exchange;
    }

    /** The reduction of a run on one device. */
    public static Reduction solo(Backend backend) {
        return new Reduction(backend, Exchange.SOLO);
    }

    /**
     * dst = the sum over the step's micro-batches of their partials, rounded once to {@code format}.
     *
     * @param partials this device's micro-batches' partials, in order, in dst's accumulation precision and shape
     *                 (overwritten: subtree sums are formed in place)
     * @param format   what the sum is rounded to: a conv or linear gradient's matmul format, or the accumulation
     *                 format for batch-norm statistics; it must fit in dst's storage
     */
    public void sum(Share share, Tensor[] partials, Tensor dst, Format format) {
        requireShare(share, partials.length);
        Precision acc = dst.precision().accumulation();
        for (Tensor p : partials) {
            if (p.precision() != acc || !p.hasShape(dst.shape())) {
                throw new IllegalArgumentException("micro-batch partial " + p + " does not match " + dst + " in "
                        + acc.id());
            }
        }
        List<Tensor> borrowed = new ArrayList<>();
        try {
            Map<Integer, Tensor> mine = new HashMap<>(); // lo -> this device's largest subtrees, summed in place
            collect(share, 0, share.microBatches(), share.rank(), (lo, n) -> mine.put(lo, local(share, partials, lo, n)));
            Tensor[] root = new Tensor[1];
            if (share.replicas() == 1) {
                root[0] = mine.get(0);
            } else {
                Map<Integer, Object> exported = new HashMap<>();
                mine.forEach((lo, t) -> exported.put(lo, backend.exportValues(t)));
                exchange.allGather(exported, all -> root[0] = across(share, mine, all, 0, share.microBatches(), dst, borrowed));
            }
            round(root[0], dst, format, borrowed);
        } finally {
            for (Tensor t : borrowed) spare.computeIfAbsent(key(t), k -> new ArrayDeque<>()).push(t);
        }
    }

    /**
     * The tree sum of one value per micro-batch over the step's micro-batches, each addition in {@code arithmetic}.
     *
     * @param partials this device's micro-batches' values, in order
     */
    public double sum(Share share, double[] partials, Format arithmetic) {
        requireShare(share, partials.length);
        if (share.replicas() == 1) return MicroBatchTree.sum(partials, arithmetic);
        double[] all = new double[share.microBatches()];
        exchange.allGather(partials, each -> {
            int at = 0;
            for (Object o : each) {
                double[] v = (double[]) o;
                System.arraycopy(v, 0, all, at, v.length);
                at += v.length;
            }
        });
        return MicroBatchTree.sum(all, arithmetic);
    }

    /** The sum over devices of a count (ties, correct predictions): exact, so in any order. */
    public long count(Share share, long local) {
        if (share.replicas() == 1) return local;
        requireShare(share, share.count());
        long[] total = new long[1];
        exchange.allGather(local, each -> {
            for (Object o : each) total[0] += (Long) o;
        });
        return total[0];
    }

    private void requireShare(Share share, int partials) {
        if (share.replicas() != 1 && (share.replicas() != exchange.replicas() || share.rank() != exchange.rank())) {
            throw new IllegalArgumentException("micro-batches of device " + share.rank() + " of " + share.replicas()
                    + " reduced on device " + exchange.rank() + " of " + exchange.replicas());
        }
        if (partials != share.count()) {
            throw new IllegalArgumentException("expected " + share.count() + " micro-batch partials, got " + partials);
        }
    }

    private interface NodeVisitor { void visit(int lo, int n); }

    /** Visits the largest subtrees of the tree node [lo, lo+n) whose micro-batches device `owner` holds, in order. */
    private static void collect(Share share, int lo, int n, int owner, NodeVisitor v) {
        int o = share.owner(lo, n);
        if (o == owner) {
            v.visit(lo, n);
        } else if (o < 0) {
            int h = MicroBatchTree.leftSize(n);
            collect(share, lo, h, owner, v);
            collect(share, lo + h, n - h, owner, v);
        }
    }

    /** The node [lo, lo+n) of this device's micro-batches, summed into its first partial. */
    private Tensor local(Share share, Tensor[] partials, int lo, int n) {
        if (n == 1) return partials[lo - share.first()];
        int h = MicroBatchTree.leftSize(n);
        Tensor a = local(share, partials, lo, h), b = local(share, partials, lo + h, n - h);
        backend.add(a, b, a);
        return a;
    }

    /** The node [lo, lo+n) from every device's subtree sums: own ones as they are, the others' imported. */
    @SuppressWarnings("unchecked")
    private Tensor across(Share share, Map<Integer, Tensor> mine, Object[] all, int lo, int n, Tensor like,
                          List<Tensor> borrowed) {
        int o = share.owner(lo, n);
        if (o == share.rank()) return mine.get(lo);
        if (o >= 0) {
            Tensor t = borrow(like, borrowed);
            backend.importValues(((Map<Integer, Object>) all[o]).get(lo), t);
            return t;
        }
        int h = MicroBatchTree.leftSize(n);
        Tensor a = across(share, mine, all, lo, h, like, borrowed), b = across(share, mine, all, lo + h, n - h, like, borrowed);
        Tensor out = borrow(like, borrowed);
        backend.add(a, b, out);
        return out;
    }

    /**
     * dst = sum rounded once to format; binary16 values stored in binary32 (mixed precision's conv and linear
     * gradients) are rounded through a binary16 tensor.
     */
    private void round(Tensor sum, Tensor dst, Format format, List<Tensor> borrowed) {
        Format stored = dst.precision().valueFormat();
        if (format == stored) {
            backend.convert(sum, dst);
        } else if (format == Format.HALF && stored == Format.SINGLE) {
            Tensor t = borrow(Precision.FP16, dst.shape(), borrowed);
            backend.convert(sum, t);
            backend.convert(t, dst);
        } else {
            throw new IllegalArgumentException(dst + " cannot hold a sum rounded to " + format);
        }
    }

    private Tensor borrow(Tensor like, List<Tensor> borrowed) {
        return borrow(like.precision().accumulation(), like.shape(), borrowed);
    }

    private Tensor borrow(Precision p, int[] shape, List<Tensor> borrowed) {
        ArrayDeque<Tensor> free = spare.get(key(p, shape));
        Tensor t = free == null || free.isEmpty() ? backend.zeros(p, shape) : free.pop();
        borrowed.add(t);
        return t;
    }

    private static String key(Tensor t) { return key(t.precision(), t.shape()); }

    private static String key(Precision p, int[] shape) { return p.id() + java.util.Arrays.toString(shape); }
}
