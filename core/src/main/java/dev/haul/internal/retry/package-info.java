/**
 * Why an attempt failed ({@link dev.haul.internal.retry.Failures}) and whether, when and how it is
 * tried again ({@link dev.haul.internal.retry.RetryRules}, one commented line per rule).
 */
package dev.haul.internal.retry;
