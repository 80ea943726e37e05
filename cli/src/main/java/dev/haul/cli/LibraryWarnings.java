package dev.haul.cli;

import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Shows the library's warnings (logged through {@code System.Logger "dev.haul"}, which the JDK
 * sends to java.util.logging) as one {@code haul: warning:} line each, through the progress
 * renderer, instead of java.util.logging's two-line default format on the raw stderr.
 */
final class LibraryWarnings implements AutoCloseable {

    private final Logger logger = Logger.getLogger("dev.haul");   // held: JUL keeps loggers weakly
    private final Handler handler;
    private final boolean usedParentHandlers;

    /**
     * @param muted the library's loggers whose warnings the CLI has already said in its own words
     */
    LibraryWarnings(ProgressRenderer out, Set<String> muted) {
        handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (!isLoggable(record) || muted.contains(record.getLoggerName())) {
                    return;
                }
                String message = getFormatter() == null ? record.getMessage()
                        : getFormatter().formatMessage(record);
                if (message != null) {
                    out.error("haul: warning: " + ProgressRenderer.oneLine(message));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setFormatter(new java.util.logging.SimpleFormatter());
        handler.setLevel(Level.WARNING);
        usedParentHandlers = logger.getUseParentHandlers();
        logger.setUseParentHandlers(false);
        logger.addHandler(handler);
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setUseParentHandlers(usedParentHandlers);
    }
}
