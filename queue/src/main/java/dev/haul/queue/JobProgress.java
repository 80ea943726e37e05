package dev.haul.queue;

/**
 * What a daemon reports for a job it runs: bytes held and the total (-1 unknown).
 *
 * @param id the job's id
 * @param bytesDone bytes of the body held
 * @param totalBytes the body's length, or -1
 */
public record JobProgress(long id, long bytesDone, long totalBytes) {
}
