package io.tiebreak.jobs.grid;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed, type-checked grid: the values of each axis (where each was written), the overrides, and the limits.
 * {@link Planner} turns it into runs once the datasets are known.
 */
public final class Grid {

    /** One value of an axis and where the grid wrote it. */
    public record Choice(Object value, Position at) {}

    /**
     * For the points whose values match every entry of when, replace the listed axes by set's values (a list
     * multiplies those points). Applied in file order, each to the points as earlier overrides left them.
     */
    public record Override(Position at, Map<Axis<?>, Choice> when, Map<Axis<?>, List<Choice>> set) {}

    /** How many checkpoints a run keeps: the newest only, or one per epoch (for zones along training). */
    public enum Checkpoints { LAST, ALL }

    private final String name;
    private final String file;
    private final Map<Axis<?>, List<Choice>> axes;
    private final List<Override> overrides;
    private final int maxRuns;
    private final Checkpoints checkpoints;
    private final LrSearchSettings lrSearch;
    private final ZoneAxes zones;

    Grid(String name, String file, Map<Axis<?>, List<Choice>> axes, List<Override> overrides, int maxRuns,
         Checkpoints checkpoints, LrSearchSettings lrSearch, ZoneAxes zones) {
        this.name = name;
        this.file = file;
        this.axes = new LinkedHashMap<>(axes);
        this.overrides = List.copyOf(overrides);
        this.maxRuns = maxRuns;
        this.checkpoints = checkpoints;
        this.lrSearch = lrSearch;
        this.zones = zones;
    }

    public String name() { return name; }
    public String file() { return file; }
    public List<Choice> values(Axis<?> axis) { return axes.get(axis); }
    public List<Override> overrides() { return overrides; }
    /** Runs above which planning refuses the grid unless forced. */
    public int maxRuns() { return maxRuns; }
    public Checkpoints checkpoints() { return checkpoints; }
    public LrSearchSettings lrSearch() { return lrSearch; }
    /** The zone keys of a grid read for the zones job, else null. */
    public ZoneAxes zones() { return zones; }

    /** Whether any run may want a GPU (device gpu or auto, in the axis or an override). */
    public boolean mentions(Device device) {
        return choices(Axis.DEVICE).anyMatch(c -> c.value() == device);
    }

    /** The most devices any run of the grid trains on (devices_per_run, in the axis or an override). */
    public int maxDevicesPerRun() {
        return choices(Axis.DEVICES_PER_RUN).mapToInt(c -> Axis.DEVICES_PER_RUN.of(c)).max().orElse(1);
    }

    /** Every value an axis takes, in the grid's axes and in its overrides. */
    private java.util.stream.Stream<Choice> choices(Axis<?> axis) {
        return java.util.stream.Stream.concat(axes.get(axis).stream(),
                overrides.stream().flatMap(o -> o.set().getOrDefault(axis, List.of()).stream()));
    }
}
