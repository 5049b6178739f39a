package io.tiebreak.jobs.ingest;

import io.tiebreak.jobs.fs.HadoopFs;
import java.io.IOException;
import java.io.Serializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * What the job learns by reading back one written shard: its checksum, rows, index range, exact per-channel pixel
 * sums (so means and stds do not depend on how the data was partitioned) and label counts.
 */
record ShardSummary(String path, String split, long rows, long bytes, String sha256, long firstIndex, long lastIndex,
                    int channels, int height, int width, long[] channelSum, long[] channelSumSq, long[] classCounts)
        implements Serializable {

    /** Largest shard the job reads back whole. */
    static final long MAX_SHARD_BYTES = Integer.MAX_VALUE - 8;

    static ShardSummary compute(Path file, String relativePath, Configuration conf, int classes) throws IOException {
        byte[] bytes = HadoopFs.readAll(file, conf, MAX_SHARD_BYTES);
        ShardFile.Contents c = ShardFile.read(bytes, relativePath, MAX_SHARD_BYTES);
        int per = c.pixelsPerSample(), plane = c.height() * c.width();
        long[] sum = new long[c.channels()], sumSq = new long[c.channels()], counts = new long[classes];
        long[] hist = new long[256];
        for (int i = 0; i < c.rows(); i++) {
            if (c.label()[i] < 0 || c.label()[i] >= classes) {
                throw BadInput.in(relativePath, "row " + i + " has label " + c.label()[i] + ", outside [0, " + classes + ")");
            }
            counts[c.label()[i]]++;
        }
        for (int ch = 0; ch < c.channels(); ch++) {
            java.util.Arrays.fill(hist, 0);
            for (int i = 0; i < c.rows(); i++) {
                int base = i * per + ch * plane;
                for (int k = 0; k < plane; k++) hist[c.pixels()[base + k] & 0xff]++;
            }
            for (int v = 0; v < 256; v++) {
                sum[ch] += hist[v] * v;
                sumSq[ch] += hist[v] * v * v;
            }
        }
        long first = c.rows() == 0 ? -1 : c.index()[0], last = c.rows() == 0 ? -1 : c.index()[c.rows() - 1];
        return new ShardSummary(relativePath, c.split(), c.rows(), bytes.length, sha256(bytes), first, last,
                c.channels(), c.height(), c.width(), sum, sumSq, counts);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
