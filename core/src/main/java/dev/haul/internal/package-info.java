/**
 * The engine behind {@code dev.haul}: not exported. {@link dev.haul.internal.Engine} is what a
 * {@code DownloadManager} holds; the path of a download continues in {@code transfer} (the state
 * machine), {@code http} (the transport seam) and {@code http1}/{@code jdkhttp} (the wire), and its
 * bytes flow through {@code pipe} into a {@code sink}. {@code resume}, {@code retry} and
 * {@code session} hold what the transfer decides with and shares.
 */
package dev.haul.internal;
