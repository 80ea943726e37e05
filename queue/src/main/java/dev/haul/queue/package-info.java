/**
 * A durable download queue on Haul's public API: jobs that survive crashes and restarts.
 *
 * <p>{@link dev.haul.queue.DownloadQueue} runs the jobs of a {@link dev.haul.queue.JobStore}
 * (by default {@link dev.haul.queue.SqliteJobStore}, an embedded SQLite database) with a
 * {@link dev.haul.DownloadManager}: it claims queued jobs, downloads each to its file through the
 * engine's {@code .part} files, and records progress and outcomes. A {@code kill -9} at any moment
 * loses no job and runs none twice: every state change is one committed transaction, and on restart
 * the interrupted downloads continue from their {@code .part} files.
 */
package dev.haul.queue;
