package io.tiebreak.jobs.grid;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

/** Where a grid value was written: file, 1-based line and column (as editors count them). */
public record Position(String file, int line, int column) {

    static Position of(String file, Mark mark) {
        return mark == null ? new Position(file, 1, 1) : new Position(file, mark.getLine() + 1, mark.getColumn() + 1);
    }

    static Position of(String file, Node node) {
        return of(file, node.getStartMark());
    }

    @Override
    public String toString() { return file + ":" + line + ":" + column; }
}
