package io.tiebreak.jobs.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3-compatible server on loopback: S3Proxy (org.gaul:s3proxy, jar-with-dependencies) as its own JVM over a
 * filesystem blob store, with fresh random credentials. Its jar is copied by the jobs build to target/test-tools
 * (system property tiebreak.s3proxy.jar). A folder under {@link #root()} is a bucket.
 */
public final class S3ProxyServer implements AutoCloseable {
    private final Process process;
    private final List<String> buckets;
    private final Path root, log;
    private final int port;
    private final String accessKey, secretKey;

    private S3ProxyServer(Process process, List<String> buckets, Path root, Path log, int port, String accessKey,
                          String secretKey) {
        this.process = process;
        this.buckets = buckets;
        this.root = root;
        this.log = log;
        this.port = port;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** Starts a server and waits (up to a minute) until it answers HTTP; buckets are created empty. */
    public static S3ProxyServer start(String... buckets) throws IOException, InterruptedException {
        String jar = System.getProperty("tiebreak.s3proxy.jar", "target/test-tools/s3proxy.jar");
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("S3Proxy jar not found at " + jar + " (the jobs build copies it there)");
        }
        Path dir = Files.createTempDirectory("s3proxy-");
        Path root = Files.createDirectories(dir.resolve("blobs"));
        for (String b : buckets) Files.createDirectories(root.resolve(b));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String access = "AKIA" + random(8).toUpperCase(), secret = random(20);
        Path props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + access,
                "s3proxy.credential=" + secret,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + root) + "\n");
        Path log = dir.resolve("s3proxy.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-jar", jar, "--properties", props.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        S3ProxyServer server = new S3ProxyServer(p, List.of(buckets), root, log, port, access, secret);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!p.isAlive()) throw new IOException("S3Proxy exited with " + p.exitValue() + ": " + Files.readString(log));
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(server.endpoint() + "/").toURL().openConnection();
                c.setConnectTimeout(500);
                c.getResponseCode(); // any HTTP answer (403 without credentials) means it is up
                c.disconnect();
                return server;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    server.close();
                    throw new IOException("S3Proxy did not start within 60 s: " + Files.readString(log));
                }
                Thread.sleep(200);
            }
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public String endpoint() { return "http://127.0.0.1:" + port; }
    public String accessKey() { return accessKey; }
    public String secretKey() { return secretKey; }
    /** The blob store's folder: root()/bucket/key. */
    public Path root() { return root; }

    /** The S3A settings that reach this server (path-style access, no TLS, a fixed region), credentials included. */
    public Map<String, String> hadoopSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("fs.s3a.endpoint", endpoint());
        m.put("fs.s3a.endpoint.region", "us-east-1");
        m.put("fs.s3a.path.style.access", "true");
        m.put("fs.s3a.connection.ssl.enabled", "false");
        m.put("fs.s3a.access.key", accessKey);
        m.put("fs.s3a.secret.key", secretKey);
        m.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        m.put("fs.s3a.attempts.maximum", "2");
        m.put("fs.s3a.retry.limit", "2");
        return m;
    }

    public void configure(Configuration conf) {
        hadoopSettings().forEach(conf::set);
    }

    public String log() throws IOException { return Files.readString(log); }

    /**
     * Stops the server. Hadoop caches one S3AFileSystem per bucket and JVM: those of this server's buckets are closed
     * (which drops them from the cache), so a later server with the same bucket names is reached afresh.
     */
    @Override
    public void close() {
        Configuration conf = new Configuration();
        configure(conf);
        for (String b : buckets) {
            try {
                org.apache.hadoop.fs.FileSystem.get(URI.create("s3a://" + b + "/"), conf).close();
            } catch (IOException ignored) {
                // best effort: the server is going away anyway
            }
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
