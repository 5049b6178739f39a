package io.tiebreak.runtime.cli;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.optim.OptimizerSpec;
import io.tiebreak.runtime.optim.Schedule;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Value types of numeric flags, for {@code @Option(converter = ...)}: a value out of range fails while picocli parses
 * the command line, so the message names the flag ("Invalid value for option '--batch': must be at least 1, got
 * '0'") and the run never starts. Used by every command of both command lines.
 */
public final class Flags {
    private Flags() {}

    /** A whole number >= 1 (sizes, counts, epochs). */
    public static final class Positive implements ITypeConverter<Integer> {
        @Override public Integer convert(String s) { return atLeast(s, 1); }
    }

    /** A whole number >= 0. */
    public static final class NonNegative implements ITypeConverter<Integer> {
        @Override public Integer convert(String s) { return atLeast(s, 0); }
    }

    /** A finite number > 0 (learning rates, intervals). */
    public static final class PositiveReal implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            double v = real(s);
            if (!(v > 0)) throw new TypeConversionException("must be a positive number, got '" + s + "'");
            return v;
        }
    }

    /** Any finite number. */
    public static final class FiniteReal implements ITypeConverter<Double> {
        @Override public Double convert(String s) { return real(s); }
    }

    /** fp16, fp32, fp64, mixed. */
    public static final class PrecisionName implements ITypeConverter<Precision> {
        @Override public Precision convert(String s) { return parsed(s, Precision::parse); }
    }

    /** lenet5, vgg11, ... */
    public static final class NetworkName implements ITypeConverter<ModelSpec.Network> {
        @Override public ModelSpec.Network convert(String s) { return parsed(s, ModelSpec.Network::parse); }
    }

    /** first, last, min-norm, all, beta:B (kept as written: its form is another flag). */
    public static final class PolicyName implements ITypeConverter<String> {
        @Override public String convert(String s) { return parsed(s, p -> {
            PoolPolicy.parse(p);
            return p;
        }); }
    }

    /** exact or composite. */
    public static final class FormName implements ITypeConverter<PoolPolicy.Form> {
        @Override public PoolPolicy.Form convert(String s) { return parsed(s, PoolPolicy.Form::parse); }
    }

    /** sgd or adam. */
    public static final class OptimizerName implements ITypeConverter<OptimizerSpec.Kind> {
        @Override public OptimizerSpec.Kind convert(String s) { return parsed(s, OptimizerSpec.Kind::parse); }
    }

    /** constant, cosine or step. */
    public static final class ScheduleName implements ITypeConverter<Schedule.Kind> {
        @Override public Schedule.Kind convert(String s) { return parsed(s, Schedule.Kind::parse); }
    }

    /** host or portable. */
    public static final class ReproducibilityName implements ITypeConverter<Reproducibility> {
        @Override public Reproducibility convert(String s) { return parsed(s, Reproducibility::parse); }
    }

    /** The runtime's own parser, its message (which says what was expected) becoming picocli's. */
    private static <T> T parsed(String s, Function<String, T> parse) {
        try {
            return parse.apply(s);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    private static int atLeast(String s, int min) {
        int v;
        try {
            v = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + s + "' is not a whole number");
        }
        if (v < min) throw new TypeConversionException("must be at least " + min + ", got '" + s + "'");
        return v;
    }

    private static double real(String s) {
        double v;
        try {
            v = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + s + "' is not a number");
        }
        if (!Double.isFinite(v)) throw new TypeConversionException("must be finite, got '" + s + "'");
        return v;
    }
}
