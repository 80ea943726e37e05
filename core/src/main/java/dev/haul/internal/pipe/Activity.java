package dev.haul.internal.pipe;

/**
 * What a stall watch observes of a copy loop: when bytes last arrived, and whether the target is
 * busy (a slow disk or a slow chunk callback is not a stalled network).
 */
public interface Activity {
    /** Bytes arrived just now. */
    void arrived();

    /** The target started ({@code true}) or finished ({@code false}) taking a buffer. */
    void targetBusy(boolean busy);

    /**
     * The copy loop started ({@code true}) or finished ({@code false}) waiting for a bandwidth
     * limit: a throttled download is not a stalled one.
     */
    default void throttled(boolean waiting) {
        targetBusy(waiting);
    }
}
