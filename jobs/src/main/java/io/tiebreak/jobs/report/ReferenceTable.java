package io.tiebreak.jobs.report;

import io.tiebreak.jobs.errors.UserError;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The reference study's final test accuracies (mean and std over its repeats), as in paper-final-accuracy.csv:
 * dataset, network, batch_norm, optimizer, bits, beta, epochs, runs, final_test_acc_mean, final_test_acc_std.
 * Looked up with our names: lenet5 is the study's "lenet", first is B = 0 and min-norm B = 1 (the composite form
 * B * minpool + (1 - B) * maxpool gives exactly those Jacobians there).
 */
public final class ReferenceTable {
    /** One reference row. */
    public record Entry(int epochs, int runs, double mean, double std) {}

    record Key(String dataset, String network, boolean batchNorm, String optimizer, int bits, long beta) {}

    static final String HEADER = "dataset,network,batch_norm,optimizer,bits,beta,epochs,runs,final_test_acc_mean,final_test_acc_std";

    private final Map<Key, Entry> entries;
    private final String source;

    private ReferenceTable(Map<Key, Entry> entries, String source) {
        this.entries = entries;
        this.source = source;
    }

    /** The reference shipped with tiebreak. */
    public static ReferenceTable bundled() {
        try (InputStream in = ReferenceTable.class.getResourceAsStream("paper-final-accuracy.csv")) {
            return parse(in, "paper-final-accuracy.csv (bundled)");
        } catch (IOException e) {
            throw new IllegalStateException("the bundled reference table cannot be read", e);
        }
    }

    public static ReferenceTable read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        }
    }

    static ReferenceTable parse(InputStream in, String source) throws IOException {
        Map<Key, Entry> map = new HashMap<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String header = r.readLine();
        if (header == null || !header.trim().equals(HEADER)) {
            throw new UserError(source + ":1: expected the header " + HEADER);
        }
        int lineNo = 1;
        for (String line; (line = r.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) continue;
            String[] f = line.split(",", -1);
            if (f.length != 10) throw new UserError(source + ":" + lineNo + ": expected 10 fields, got " + f.length);
            try {
                map.put(new Key(f[0], f[1], Boolean.parseBoolean(f[2].trim().toLowerCase(Locale.ROOT)), f[3],
                                Integer.parseInt(f[4]), Long.parseLong(f[5])),
                        new Entry(Integer.parseInt(f[6]), Integer.parseInt(f[7]), Double.parseDouble(f[8]),
                                Double.parseDouble(f[9])));
            } catch (NumberFormatException e) {
                throw new UserError(source + ":" + lineNo + ": " + e.getMessage());
            }
        }
        return new ReferenceTable(map, source);
    }

    public String source() { return source; }

    /** The study's B for one of our pool policies, if the study has that Jacobian. */
    static Optional<Long> studyBeta(String pool, Double beta) {
        if (beta != null) return beta == Math.rint(beta) ? Optional.of(beta.longValue()) : Optional.empty();
        return switch (pool) {
            case "first" -> Optional.of(0L);
            case "min-norm" -> Optional.of(1L);
            default -> Optional.empty();
        };
    }

    /** The reference for one of our configurations (our dataset and network names, bits 16/32/24). */
    public Optional<Entry> find(String dataset, String network, boolean batchNorm, String optimizer, int bits,
                                String pool, Double beta) {
        String net = network.equals("lenet5") ? "lenet" : network;
        return studyBeta(pool, beta).map(b -> entries.get(new Key(dataset, net, batchNorm, optimizer, bits, b)));
    }

    public List<Map.Entry<Key, Entry>> all() { return List.copyOf(entries.entrySet()); }
}
