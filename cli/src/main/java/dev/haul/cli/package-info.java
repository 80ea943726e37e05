/**
 * The {@code haul} command: parses flags with picocli, drives the library's public API, renders
 * progress on stderr and maps failures to exit codes. It uses nothing but {@code dev.haul}.
 */
package dev.haul.cli;
