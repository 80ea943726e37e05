package dev.haul.cli;

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
        boolean isTty = tty != null ? Boolean.parseBoolean(tty) : System.console() != null;
        int columns = parse(System.getProperty("haul.columns"), parse(System.getenv("COLUMNS"), 80));
        return new Terminal(isTty, columns);
    }

    private static int parse(String s, int fallback) {
        try {
            return s == null || s.isBlank() ? fallback : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
