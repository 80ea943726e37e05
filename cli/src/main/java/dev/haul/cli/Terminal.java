package dev.haul.cli;

import java.io.Console;

/**
 * What the CLI knows about where stderr goes. The launcher tells it ({@code -Dhaul.tty} from
 * {@code [ -t 2 ]}, {@code -Dhaul.columns} from {@code tput cols}), because on JDK 17
 * {@code System.console()} looks at stdin and stdout, not at stderr.
 *
 * @param tty     whether stderr is a terminal, so live bars can be drawn
 * @param columns the terminal width
 */
record Terminal(boolean tty, int columns) {

    static final Terminal NONE = new Terminal(false, 80);

    static Terminal detect() {
        String tty = System.getProperty("haul.tty");
        boolean isTty = tty != null ? Boolean.parseBoolean(tty) : interactiveConsole() != null;
        int columns =
                parse(System.getProperty("haul.columns"), parse(System.getenv("COLUMNS"), 80));
        return new Terminal(isTty, columns);
    }

    /**
     * The JVM's console if it is interactive, else null. On JDK 22 to 24 {@code System.console()}
     * is never null, so there {@code Console.isTerminal()} (new in 22, called reflectively because
     * this code compiles for 17) decides.
     */
    @SuppressWarnings("SystemConsoleNull") // null is the answer on 17 to 21 and 25; 22 to 24 ask
    static Console interactiveConsole() {
        Console console = System.console();
        if (console == null || Runtime.version().feature() < 22) {
            return console;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console) ? console : null;
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    private static int parse(String s, int fallback) {
        try {
            return s == null || s.isBlank() ? fallback : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
