/**
 * One body over several connections: the {@link dev.haul.internal.segment.SegmentTable} of who
 * fetches which range, the {@link dev.haul.internal.segment.ConnectionController} that decides how
 * many connections run, the {@link dev.haul.internal.segment.ReorderBuffer} that puts ranges back
 * in order for a stream, and {@link dev.haul.internal.segment.SegmentedBody}, which runs them all
 * and validates every range.
 */
package dev.haul.internal.segment;
