/**
 * What a manager shares between its downloads: the {@link dev.haul.internal.session.Sessions
 * session} (one transport and its keep-alive connections), the
 * {@link dev.haul.internal.session.HostLimiter} of downloads and connections, and the
 * {@link dev.haul.internal.session.Threads} it owns.
 */
package dev.haul.internal.session;
