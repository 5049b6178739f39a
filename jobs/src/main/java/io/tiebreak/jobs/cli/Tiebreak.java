package io.tiebreak.jobs.cli;

import io.tiebreak.jobs.errors.ExitCodes;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code tiebreak} command line: one subcommand per Spark job. Run through spark-submit on a cluster, or with
 * plain java on the Maven classpath for local mode (the default when no master is configured). Spark settings go
 * before the subcommand, as spark-submit users type them: {@code tiebreak --master local[2] --conf k=v sweep ...}.
 */
@Command(name = "tiebreak", mixinStandardHelpOptions = true, versionProvider = Tiebreak.Version.class,
        description = "How the MaxPool Jacobian chosen at ties changes gradients and training, as Spark jobs.",
        subcommands = {
            // Each job registers its command class here.
            io.tiebreak.jobs.ingest.IngestCommand.class,
            io.tiebreak.jobs.sweep.SweepCommand.class,
            io.tiebreak.jobs.lrsearch.LrSearchCommand.class,
            io.tiebreak.jobs.zones.ZonesCommand.class,
            io.tiebreak.jobs.sql.SqlCommand.class,
            io.tiebreak.jobs.report.ReportCommand.class,
            io.tiebreak.jobs.results.CompactCommand.class,
        })
public final class Tiebreak implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--master", paramLabel = "URL", order = 1,
            description = "Spark master: local[N], local[*] (the default), spark://host:port, yarn, k8s://...")
    void master(String url) {
        if (url.isBlank()) throw new CommandLine.ParameterException(spec.commandLine(), "--master needs a URL");
        System.setProperty("spark.master", url);
    }

    @Option(names = "--conf", paramLabel = "KEY=VALUE", order = 2,
            description = "A Spark setting, as spark-submit's --conf (e.g. spark.sql.shuffle.partitions=4); repeatable")
    void conf(List<String> settings) {
        for (String kv : settings) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--conf takes KEY=VALUE, not '" + kv + "'");
            }
            String key = kv.substring(0, eq).trim();
            if (!key.startsWith("spark.")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--conf " + key + ": Spark settings start"
                        + " with 'spark.' (Hadoop ones with 'spark.hadoop.')");
            }
            System.setProperty(key, kv.substring(eq + 1));
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The command line with every subcommand answering -V with the version. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Tiebreak());
        for (CommandLine sub : cl.getSubcommands().values()) sub.getCommandSpec().versionProvider(new Version());
        return cl;
    }

    public static void main(String[] args) {
        System.exit(ExitCodes.execute(commandLine(), args));
    }

    /** tiebreak's version (from the jar's manifest when packaged) with Spark's and Java's. */
    public static final class Version implements CommandLine.IVersionProvider {
        public static String tiebreak() {
            String v = Tiebreak.class.getPackage().getImplementationVersion();
            return v == null ? "0.1.0-SNAPSHOT" : v;
        }

        @Override
        public String[] getVersion() {
            return new String[] {"tiebreak " + tiebreak() + " (Spark " + org.apache.spark.SparkBuildInfo.spark_version()
                    + ", Iceberg " + org.apache.iceberg.IcebergBuild.version() + ", Java " + System.getProperty("java.version") + ")"};
        }
    }
}
