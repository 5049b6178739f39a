package io.tiebreak.jobs.errors;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Value types of the jobs' numeric flags, for {@code @Option(converter = ...)}: a value out of range fails while
 * picocli parses the command line, so the message names the flag ("Invalid value for option '--wave-runs': must be
 * at least 1, got '0'") and nothing starts. (The runtime's command line has its own, in the same words.)
 */
public final class Flags {
    private Flags() {}

    /** A whole number >= 1 (sizes, counts). */
    public static final class Positive implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            int v;
            try {
                v = Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + s + "' is not a whole number");
            }
            if (v < 1) throw new TypeConversionException("must be at least 1, got '" + s + "'");
            return v;
        }
    }

    /** A finite number > 0 (intervals). */
    public static final class PositiveReal implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            double v;
            try {
                v = Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + s + "' is not a number");
            }
            if (!(v > 0) || Double.isInfinite(v)) throw new TypeConversionException("must be a positive number, got '" + s + "'");
            return v;
        }
    }
}
