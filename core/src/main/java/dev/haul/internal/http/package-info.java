/**
 * The transport seam: {@link dev.haul.internal.http.HttpTransport} turns requests into blocking
 * {@link dev.haul.internal.http.Exchange exchanges}. Implementations live in {@code http1} (Haul's
 * own HTTP/1.1 client) and {@code jdkhttp} (the JDK client, for HTTP/2).
 */
package dev.haul.internal.http;
