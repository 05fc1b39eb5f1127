package io.vigil.console;

/**
 * A snapshot of what the console holds and what it refused.
 *
 * @param spans spans stored now
 * @param logs log records stored now
 * @param points metric data points stored now
 * @param traces distinct traces stored now
 * @param storedBytes estimated heap bytes of the stored records (an upper bound)
 * @param maxBytes the byte bound
 * @param evicted records evicted (oldest first) to stay within the bound
 * @param acceptedRequests export requests accepted
 * @param droppedRequests export requests refused with a retryable status because ingest was overloaded
 * @param diskBytes bytes in the data directory (0 without persistence)
 * @param tracesPerSecond the in-process exporters' trace rate before sampling (0 = everything kept)
 * @param keptTraceFraction the fraction of traces the in-process exporters keep now (1 below the rate)
 * @param skippedSpans spans the in-process exporters did not keep (above the rate)
 * @param skippedLogs log records the in-process exporters did not keep (above the rate)
 */
public record ConsoleStats(
        long spans,
        long logs,
        long points,
        long traces,
        long storedBytes,
        long maxBytes,
        long evicted,
        long acceptedRequests,
        long droppedRequests,
        long diskBytes,
        int tracesPerSecond,
        double keptTraceFraction,
        long skippedSpans,
        long skippedLogs) {}
