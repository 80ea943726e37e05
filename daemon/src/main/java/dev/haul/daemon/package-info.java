/**
 * The daemon: the durable queue ({@code dev.haul.queue}) behind an HTTP/JSON API with live
 * events, and the web page, on one port of an embedded Jetty 12 (core handlers, no servlets),
 * which can later also upgrade {@code /jsonrpc} to WebSocket on that port. The API is described
 * in {@code docs/api.md}; {@link dev.haul.daemon.Daemon} is the entry point,
 * {@link dev.haul.daemon.DaemonCommand} the {@code haul daemon} command.
 */
package dev.haul.daemon;
