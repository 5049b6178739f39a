package io.tiebreak.jobs.testing;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Collects what the logging configuration lets through (the lines a user would see) while open: messages and
 * stack traces, to check that no credential is ever logged.
 */
public final class CapturedLogs implements AutoCloseable {
    private final List<String> lines = new ArrayList<>();
    private final AbstractAppender appender;
    private final LoggerContext ctx;

    public CapturedLogs() {
        ctx = (LoggerContext) LogManager.getContext(false);
        appender = new AbstractAppender("captured-" + System.nanoTime(), null, PatternLayout.createDefaultLayout(), true,
                Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringBuilder sb = new StringBuilder(event.getLoggerName()).append(": ").append(event.getMessage().getFormattedMessage());
                for (Throwable t = event.getThrown(); t != null; t = t.getCause() == t ? null : t.getCause()) sb.append(" | ").append(t);
                synchronized (lines) {
                    lines.add(sb.toString());
                }
            }
        };
        appender.start();
        ctx.getConfiguration().getRootLogger().addAppender(appender, Level.ALL, null);
        ctx.getConfiguration().getLoggers().values().forEach(l -> l.addAppender(appender, Level.ALL, null));
        ctx.updateLoggers();
    }

    public String text() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    @Override
    public void close() {
        ctx.getConfiguration().getRootLogger().removeAppender(appender.getName());
        ctx.getConfiguration().getLoggers().values().forEach(l -> l.removeAppender(appender.getName()));
        ctx.updateLoggers();
        appender.stop();
    }
}
