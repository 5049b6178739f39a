package io.tiebreak.jobs.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Spark standalone cluster on loopback: one Master and N Workers, each its own JVM started from the test's
 * Maven classpath (org.apache.spark.deploy.master.Master and ...worker.Worker run from it). Workers launch executors as further JVMs; for that they need a SPARK_HOME holding an
 * empty RELEASE file and a jars/ folder, here links to the classpath's jars. Classes folders (target/classes) reach
 * executors through spark.executor.extraClassPath ({@link #executorClassPath()}).
 *
 * <p>Drivers run as separate JVMs too ({@link #driver}), since a JVM holds one SparkContext and the tests' local
 * session lives in this one.
 */
public final class StandaloneCluster implements AutoCloseable {
    private final Path home;
    private final List<String> classpath;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();
    private final int masterPort;
    private final int masterUiPort;

    private StandaloneCluster(Path home, List<String> classpath, Process master, int masterPort, int masterUiPort) {
        this.home = home;
        this.classpath = classpath;
        this.master = master;
        this.masterPort = masterPort;
        this.masterUiPort = masterUiPort;
    }

    /**
     * Starts a Master and workers Workers with the given cores and memory each; workerProperties are system
     * properties of every Worker JVM (e.g. spark.worker.resource.gpu.*). Returns once every Worker has registered.
     */
    public static StandaloneCluster start(int workers, int cores, String memory, Map<String, String> workerProperties)
            throws IOException, InterruptedException {
        Path home = Files.createTempDirectory("tiebreak-spark-home-");
        List<String> cp = testClassPath();
        Files.createFile(home.resolve("RELEASE"));
        Path jars = Files.createDirectories(home.resolve("jars"));
        Set<String> names = new LinkedHashSet<>();
        for (String entry : cp) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && Files.isRegularFile(p) && names.add(p.getFileName().toString())) {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p.toAbsolutePath());
            }
        }
        int port = freePort(), ui = freePort();
        Process master = launch(home, cp, "master", List.of(),
                List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                        "--webui-port", Integer.toString(ui)));
        StandaloneCluster c = new StandaloneCluster(home, cp, master, port, ui);
        try {
            for (int i = 0; i < workers; i++) c.addWorker(cores, memory, workerProperties);
            c.awaitWorkers(workers, Duration.ofSeconds(120));
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public String masterUrl() { return "spark://127.0.0.1:" + masterPort; }

    public Path home() { return home; }

    /** Starts one more Worker; it registers with the Master in the background. */
    public void addWorker(int cores, String memory, Map<String, String> properties) throws IOException {
        int n = workers.size();
        Path work = Files.createDirectories(home.resolve("work-" + n));
        List<String> props = new ArrayList<>();
        properties.forEach((k, v) -> props.add("-D" + k + "=" + v));
        workers.add(launch(home, classpath, "worker-" + n, props,
                List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", Integer.toString(cores),
                        "--memory", memory, "--work-dir", work.toString(), "--webui-port", Integer.toString(freePort()),
                        masterUrl())));
    }

    /** Kills a Worker JVM at once (SIGKILL), as a machine failure would; its executors lose their worker. */
    public void killWorker(int index) {
        workers.get(index).destroyForcibly();
    }

    /** Waits until the Master counts alive workers. */
    public void awaitWorkers(int alive, Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        Pattern p = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
        while (System.nanoTime() < deadline) {
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = p.matcher(json);
                if (m.find() && Integer.parseInt(m.group(1)) >= alive) return;
            } catch (IOException notUpYet) {
                // the Master's web UI is not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the cluster did not get " + alive + " workers in " + timeout + "; logs in " + home);
    }

    /** Folders of the classpath (compiled classes), which executors need besides SPARK_HOME/jars. */
    public String executorClassPath() {
        List<String> dirs = new ArrayList<>();
        for (String e : classpath) if (Files.isDirectory(Path.of(e))) dirs.add(Path.of(e).toAbsolutePath().toString());
        return String.join(File.pathSeparator, dirs);
    }

    /**
     * Starts a driver JVM: mainClass with args and -D system properties (spark.master, executor settings). Its
     * stdout and stderr go to the returned process's streams.
     */
    public Process driver(String mainClass, List<String> args, Map<String, String> properties) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx2g", "-cp", String.join(File.pathSeparator, classpath)));
        cmd.add("-Dspark.master=" + masterUrl());
        cmd.add("-Dspark.driver.host=127.0.0.1");
        cmd.add("-Dspark.driver.bindAddress=127.0.0.1");
        cmd.add("-Dspark.executor.extraClassPath=" + executorClassPath());
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add(mainClass);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env(home));
        return pb.start();
    }

    @Override
    public void close() {
        List<Process> all = new ArrayList<>(workers);
        all.add(master);
        for (Process p : all) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : all) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Process launch(Path home, List<String> cp, String name, List<String> props, List<String> main)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx512m", "-cp", String.join(File.pathSeparator, cp)));
        cmd.addAll(props);
        cmd.addAll(main);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env(home));
        pb.redirectErrorStream(true);
        pb.redirectOutput(home.resolve(name + ".log").toFile());
        return pb.start();
    }

    private static Map<String, String> env(Path home) {
        return Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.13", "SPARK_LOCAL_IP", "127.0.0.1");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The test classpath: surefire's, when it runs the tests through a manifest-only jar, else java.class.path. */
    static List<String> testClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) if (!e.isBlank()) out.add(e);
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Collects a process's output lines (for assertions) while echoing them. */
    public static final class Output {
        private final List<String> lines = new ArrayList<>();
        private final Thread reader;

        public Output(InputStream in, String prefix) {
            reader = new Thread(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        System.out.println(prefix + line);
                        synchronized (lines) {
                            lines.add(line);
                            lines.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, "output-" + prefix);
            reader.setDaemon(true);
            reader.start();
        }

        public List<String> lines() {
            synchronized (lines) {
                return new ArrayList<>(lines);
            }
        }

        /** Waits until some line contains text; false on timeout. */
        public boolean await(String text, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (lines) {
                while (lines.stream().noneMatch(l -> l.contains(text))) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return false;
                    lines.wait(Math.max(1, left / 1_000_000));
                }
                return true;
            }
        }

        public void join() throws InterruptedException { reader.join(); }
    }
}
