package io.tiebreak.jobs.ingest;

import io.tiebreak.runtime.data.ImageData;
import io.tiebreak.runtime.random.Rng;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A split read shard by shard each epoch, for datasets too large to hold (ImageNet). With shuffle, the epoch visits
 * the shards in an order drawn from the epoch's Rng and each shard's rows in an order seeded from it too (all draws
 * happen in {@link #epoch}, so the sequence depends only on the Rng's state). Shards are already class-balanced
 * (sample i is in shard i mod S), so a shard-local shuffle gives mixed batches. A background thread decodes up to
 * prefetch shards ahead; memory holds at most prefetch + 2 shards whatever the dataset size.
 */
public final class StreamingImages implements ImageData {
    /** Loads shard i of the split (the manifest's order). */
    interface ShardLoader {
        ShardFile.Contents load(int shard) throws IOException;
    }

    private final Manifest manifest;
    private final Manifest.Split split;
    private final ShardLoader loader;
    private final int prefetch;

    StreamingImages(Path dir, Manifest m, String split, Configuration conf, int prefetch) {
        this(m, split, i -> DatasetReader.readShard(dir, m, m.split(split).shards().get(i), conf), prefetch);
    }

    StreamingImages(Manifest m, String split, ShardLoader loader, int prefetch) {
        this.manifest = m;
        this.split = m.split(split);
        this.loader = loader;
        this.prefetch = prefetch;
        if (this.split.count() > Integer.MAX_VALUE) throw new IllegalArgumentException("split too large: " + this.split.count());
    }

    @Override public int size() { return (int) split.count(); }
    @Override public int channels() { return manifest.channels(); }
    @Override public int height() { return manifest.height(); }
    @Override public int width() { return manifest.width(); }
    @Override public List<String> classNames() { return manifest.classes(); }

    @Override
    public EpochReader epoch(Rng rng, boolean shuffle) {
        int n = split.shards().size();
        int[] order = shuffle ? rng.permutation(n) : identity(n);
        long[] seeds = new long[n];
        if (shuffle) for (int i = 0; i < n; i++) seeds[i] = rng.nextLong();
        return new Epoch(order, shuffle ? seeds : null);
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    /** A loaded shard and the order its rows are served in, or the loader's failure, or the end. */
    private record Loaded(ShardFile.Contents contents, int[] rows, Throwable failure) {
        static final Loaded END = new Loaded(null, null, null);
    }

    private final class Epoch implements EpochReader {
        private final BlockingQueue<Loaded> queue = new ArrayBlockingQueue<>(prefetch);
        private final Thread thread;
        private volatile boolean closed;
        private Loaded current;
        private int pos;

        Epoch(int[] order, long[] seeds) {
            thread = new Thread(() -> produce(order, seeds), "shard-prefetch");
            thread.setDaemon(true);
            thread.start();
        }

        private void produce(int[] order, long[] seeds) {
            try {
                for (int i = 0; i < order.length && !closed; i++) {
                    ShardFile.Contents c = loader.load(order[i]);
                    int[] rows = seeds == null ? null : Rng.of(seeds[i], "shard rows").permutation(c.rows());
                    if (!deliver(new Loaded(c, rows, null))) return;
                }
                deliver(Loaded.END);
            } catch (Throwable t) {
                if (!closed) deliver(new Loaded(null, null, t));
            }
        }

        /** Puts l in the queue when there is room; false once the reader is closed. */
        private boolean deliver(Loaded l) {
            try {
                while (!closed) {
                    if (queue.offer(l, 100, TimeUnit.MILLISECONDS)) return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        @Override
        public int next(byte[] pixels, int[] labels, int max) {
            if (closed) throw new IllegalStateException("epoch reader is closed");
            int done = 0;
            while (done < max) {
                if (current == null || pos == current.contents().rows()) {
                    Loaded l = take();
                    if (l == Loaded.END) {
                        current = null;
                        break;
                    }
                    current = l;
                    pos = 0;
                    continue;
                }
                ShardFile.Contents c = current.contents();
                int per = c.pixelsPerSample();
                int k = Math.min(max - done, c.rows() - pos);
                for (int j = 0; j < k; j++, pos++, done++) {
                    int r = current.rows() == null ? pos : current.rows()[pos];
                    System.arraycopy(c.pixels(), r * per, pixels, done * per, per);
                    labels[done] = c.label()[r];
                }
            }
            return done;
        }

        private Loaded take() {
            Loaded l;
            try {
                l = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a shard", e);
            }
            if (l.failure() != null) {
                queue.offer(l); // later calls fail the same way
                if (l.failure() instanceof RuntimeException re) throw re;
                throw new IllegalStateException("reading a shard failed: " + l.failure().getMessage(), l.failure());
            }
            if (l == Loaded.END) queue.offer(l);
            return l;
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
            queue.clear();
            current = null;
        }
    }
}
