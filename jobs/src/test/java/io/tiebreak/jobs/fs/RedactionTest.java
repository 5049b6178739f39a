package io.tiebreak.jobs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class RedactionTest {
    private static Configuration conf() {
        Configuration c = new Configuration(false);
        c.set("fs.s3a.access.key", "AKIAEXAMPLEKEY01");
        c.set("fs.s3a.secret.key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        c.set("fs.s3a.bucket.results.secret.key", "another-bucket-secret-123");
        c.set("fs.s3a.session.token", "FwoGZXIvYXdzEJr//////////token");
        c.set("fs.s3a.endpoint", "http://127.0.0.1:9000");
        return c;
    }

    @Test
    void valuesOfSensitiveKeysAreMaskedWhereverTheyAppear() {
        String text = "failed with key AKIAEXAMPLEKEY01 and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY on http://127.0.0.1:9000"
                + " (bucket secret another-bucket-secret-123, token FwoGZXIvYXdzEJr//////////token)";
        String r = Redaction.redact(text, conf());
        assertEquals("failed with key <redacted> and <redacted> on http://127.0.0.1:9000 (bucket secret <redacted>,"
                + " token <redacted>)", r);
    }

    @Test
    void sensitiveKeysAreHadoopsListPlusS3aAccessKeys() {
        Configuration c = conf();
        assertTrue(Redaction.isSensitive("fs.s3a.secret.key", c));
        assertTrue(Redaction.isSensitive("fs.s3a.bucket.results.access.key", c));
        assertTrue(Redaction.isSensitive("fs.azure.account.key.acct.blob.core.windows.net", c));
        assertFalse(Redaction.isSensitive("fs.s3a.endpoint", c));
        assertEquals(4, Redaction.secretValues(c).size());
    }

    @Test
    void credentialsInUrisAndKeyValuePairsAreMaskedWithoutAConfiguration() {
        assertEquals("s3a://<redacted>@bucket/data", Redaction.redactPatterns("s3a://AKIA123:se%2Fcret@bucket/data"));
        assertEquals("s3a://bucket/data", Redaction.uri("s3a://AKIA123:secret@bucket/data"));
        assertEquals("--conf spark.hadoop.fs.s3a.secret.key=<redacted> --x",
                Redaction.redactPatterns("--conf spark.hadoop.fs.s3a.secret.key=abc/def+ghi --x"));
        assertEquals("password: <redacted>", Redaction.redactPatterns("password: hunter2"));
        assertEquals("file:/data/mnist", Redaction.uri("file:/data/mnist"));
    }
}
