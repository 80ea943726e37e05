/**
 * One download from admission to the committed result: the {@link
 * dev.haul.internal.transfer.Transfer} state machine, the checks each response must pass before
 * its body is stored, redirects, and the progress and events it reports.
 */
package dev.haul.internal.transfer;
