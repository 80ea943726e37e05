/**
 * Haul's public API: a {@link dev.haul.DownloadManager} runs {@link dev.haul.DownloadRequest}s to
 * a {@link dev.haul.Destination} and hands back a {@link dev.haul.Download} whose future completes
 * with a {@link dev.haul.DownloadResult} or fails with a {@link dev.haul.DownloadException}.
 * Everything else in the module is internal and may change without notice.
 */
package dev.haul;
