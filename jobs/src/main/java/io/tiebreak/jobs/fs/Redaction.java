package io.tiebreak.jobs.fs;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.ConfigRedactor;
import org.apache.hadoop.conf.Configuration;

/**
 * Keeps credentials out of messages, logs and result files. Sensitive configuration keys are those Hadoop's
 * {@code hadoop.security.sensitive-config-keys} names (secret keys, session tokens, encryption keys, ...) plus S3A
 * access key ids; their values are masked wherever they appear in a text, as are credentials in URIs and
 * {@code key=value} pairs for sensitive keys.
 */
public final class Redaction {
    private Redaction() {}

    public static final String MASK = "<redacted>";
    /** S3A credentials, also when the configuration lacks Hadoop's list (per-bucket forms included). */
    private static final Pattern S3A_CREDENTIAL = Pattern.compile("fs\\.s3a\\.(bucket\\.[^.]+\\.)?"
            + "(access\\.key|secret\\.key|session\\.token|session\\.key|encryption\\.key|server-side-encryption\\.key)");
    /** user:password@ (or user@) in the authority of a URI. */
    private static final Pattern URI_USERINFO = Pattern.compile("(?<=[a-zA-Z][a-zA-Z0-9+.-]{0,20}://)[^/@\\s]+@");
    /** key=value or key: value where the key names a secret. */
    private static final Pattern KEY_VALUE = Pattern.compile(
            "((?:[\\w.-]*(?:secret|password|session\\.token|access\\.key|encryption\\.key|credential)[\\w.-]*)\\s*[=:]\\s*)"
                    + "([^\\s,;&\"'}]+)", Pattern.CASE_INSENSITIVE);

    /** Whether a configuration key holds a credential. */
    public static boolean isSensitive(String key, Configuration conf) {
        if (S3A_CREDENTIAL.matcher(key).matches()) return true;
        String probe = "x";
        return !probe.equals(new ConfigRedactor(conf).redact(key, probe));
    }

    /** The values of every sensitive key set in conf (at least 4 characters, longest first). */
    public static List<String> secretValues(Configuration conf) {
        ConfigRedactor redactor = new ConfigRedactor(conf);
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, String> e : conf) {
            String v = e.getValue();
            if (v == null || v.length() < 4) continue;
            if (S3A_CREDENTIAL.matcher(e.getKey()).matches() || !v.equals(redactor.redact(e.getKey(), v))) values.add(v);
        }
        values.sort(Comparator.comparingInt(String::length).reversed());
        return values;
    }

    /** text with every credential masked: values of sensitive keys in conf, URI user info, secret key=value pairs. */
    public static String redact(String text, Configuration conf) {
        if (text == null) return null;
        String out = text;
        if (conf != null) for (String v : secretValues(conf)) out = out.replace(v, MASK);
        return redactPatterns(out);
    }

    /** text with credentials in URIs and secret key=value pairs masked (no configuration at hand). */
    public static String redactPatterns(String text) {
        if (text == null) return null;
        String out = URI_USERINFO.matcher(text).replaceAll(Matcher.quoteReplacement(MASK + "@"));
        return KEY_VALUE.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
    }

    /** A path or URI fit to print: user info (user:secret@) removed. */
    public static String uri(String uri) {
        try {
            URI u = new URI(uri);
            if (u.getRawUserInfo() == null) return uri;
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment()).toString();
        } catch (Exception e) {
            return redactPatterns(uri);
        }
    }
}
