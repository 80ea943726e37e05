/**
 * The network plumbing users expect from a curl-compatible tool, as small pure building blocks:
 * proxy selection from the environment ({@link dev.haul.internal.net.ProxyEnvironment},
 * {@link dev.haul.internal.net.NoProxy}, {@link dev.haul.internal.net.ProxyUrl}), {@code .netrc}
 * credentials ({@link dev.haul.internal.net.Netrc}), the Netscape cookie jar
 * ({@link dev.haul.internal.net.CookieJar}) and bandwidth limits
 * ({@link dev.haul.internal.net.TokenBucket}, {@link dev.haul.internal.net.Rates}).
 *
 * <p>Each class follows curl's documented behaviour and source, and says in its comment where it
 * deliberately differs. None of them opens a connection, resolves a name or reads the clock or
 * the environment on its own: the clock and the environment are injected, so tests run without
 * sleeping and without a network. Secrets (proxy and netrc passwords, cookie values) never
 * appear in {@code toString()} or in exception messages.
 */
package dev.haul.internal.net;
