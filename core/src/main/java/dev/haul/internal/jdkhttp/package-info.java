/**
 * The transport over the JDK's {@code java.net.http.HttpClient}, for HTTP/2 and as a fallback:
 * its asynchronous exchanges made blocking behind the seam of {@code dev.haul.internal.http}.
 */
package dev.haul.internal.jdkhttp;
