package dev.haul.internal.jdkhttp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * Whether the JDK client may send Basic proxy credentials on the {@code CONNECT} of an https
 * tunnel. It may not by default: {@code jdk.http.auth.tunneling.disabledSchemes} is
 * {@code Basic} in the JDK's {@code conf/net.properties}, and a system property of the same name
 * overrides it ({@code -Djdk.http.auth.tunneling.disabledSchemes=} allows Basic).
 */
final class BasicTunneling {
    static final String PROPERTY = "jdk.http.auth.tunneling.disabledSchemes";
    static final String HINT = "the JDK HTTP client does not send Basic proxy credentials"
            + " through an https tunnel unless the JVM is started with -D" + PROPERTY
            + "= (Haul's own transport, the default, has no such limit)";

    private BasicTunneling() {
    }

    /** True when the JDK client will not answer a proxy's Basic challenge on a CONNECT. */
    static boolean disabled() {
        String schemes = System.getProperty(PROPERTY);
        if (schemes == null) {
            schemes = fromNetProperties();
        }
        for (String scheme : schemes.split(",", -1)) {
            if (scheme.trim().toLowerCase(Locale.ROOT).equals("basic")) {
                return true;
            }
        }
        return false;
    }

    /** The JDK's default; {@code Basic} when the file cannot be read, as every JDK ships it. */
    private static String fromNetProperties() {
        Path file = Path.of(System.getProperty("java.home"), "conf", "net.properties");
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException | RuntimeException e) {
            return "Basic";
        }
        return p.getProperty(PROPERTY, "");
    }
}
