/**
 * Safe local file names for bodies whose name came from the network.
 *
 * <p>Every name a server suggests, in a URL path or a {@code Content-Disposition} header, is
 * untrusted (fault catalogue S-a). {@link dev.haul.internal.name.ContentDisposition} only parses;
 * {@link dev.haul.internal.name.FileNames} turns any string into one plain file name and resolves
 * it to a path that is a direct child of the chosen directory, so no name can reach a file outside
 * it.
 */
package dev.haul.internal.name;
