package io.keyward.testing;

import org.jboss.logmanager.ExtLogRecord;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures every log record that reaches the root logger (in tests the JBoss LogManager is the JUL log manager,
 * so everything Quarkus, Vert.x and keyward log arrives here), rendered in full: formatted message, raw message,
 * each parameter, MDC and NDC, and the thrown exception with causes and suppressed ones.
 */
public final class LogCapture extends Handler implements AutoCloseable {

    /** One record, rendered to text once, when it was published. */
    public record Captured(String logger, Level level, String text) {
    }

    private final List<Captured> records = new ArrayList<>();
    private final Logger root = Logger.getLogger("");

    private LogCapture() {
        setLevel(Level.ALL);
    }

    public static LogCapture install() {
        LogCapture c = new LogCapture();
        c.root.addHandler(c);
        return c;
    }

    @Override
    public void publish(LogRecord r) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.getMessage()).append('\n');
        if (r instanceof ExtLogRecord ext) {
            sb.append(ext.getFormattedMessage()).append('\n');
            ext.getMdcCopy().forEach((k, v) -> sb.append("mdc ").append(k).append('=').append(v).append('\n'));
            if (ext.getNdc() != null) {
                sb.append("ndc ").append(ext.getNdc()).append('\n');
            }
        } else {
            sb.append(new java.util.logging.SimpleFormatter().formatMessage(r)).append('\n');
        }
        if (r.getParameters() != null) {
            for (Object p : r.getParameters()) {
                sb.append("param ").append(p).append('\n');
            }
        }
        if (r.getThrown() != null) {
            StringWriter w = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(w));
            sb.append(w);
        }
        synchronized (records) {
            records.add(new Captured(r.getLoggerName(), r.getLevel(), sb.toString()));
        }
    }

    public List<Captured> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
    }
}
