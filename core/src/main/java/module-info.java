/**
 * Haul: a download engine on the JDK's HTTP client. Only {@code dev.haul} is public API.
 */
module dev.haul {
    requires transitive java.net.http;
    exports dev.haul;
}
