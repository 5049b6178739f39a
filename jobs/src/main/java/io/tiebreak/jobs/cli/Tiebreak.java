package io.tiebreak.jobs.cli;

import io.tiebreak.jobs.errors.ExitCodes;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tiebreak} command line: one subcommand per Spark job. Run through spark-submit on a cluster, or with
 * plain java on the Maven classpath for local mode (the default when no master is configured).
 */
@Command(name = "tiebreak", mixinStandardHelpOptions = true, version = "tiebreak 0.1.0",
        description = "How the MaxPool Jacobian chosen at ties changes gradients and training, as Spark jobs.",
        subcommands = {
            // Each job registers its command class here.
            io.tiebreak.jobs.ingest.IngestCommand.class,
            io.tiebreak.jobs.ingest.DitherCommand.class,
            io.tiebreak.jobs.sweep.SweepCommand.class,
            io.tiebreak.jobs.lrsearch.LrSearchCommand.class,
            io.tiebreak.jobs.zones.ZonesCommand.class,
            io.tiebreak.jobs.sql.SqlCommand.class,
            io.tiebreak.jobs.report.ReportCommand.class,
        })
public final class Tiebreak implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(ExitCodes.execute(new CommandLine(new Tiebreak()), args));
    }
}
