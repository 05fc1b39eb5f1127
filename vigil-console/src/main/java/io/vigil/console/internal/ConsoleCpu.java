package io.vigil.console.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of the console's own threads (named {@code vigil-console-…}: the ingest thread that converts and stores, the
 * HTTP threads that receive and answer queries), so an embedded console's cost to its host stays visible. Threads that
 * ended keep counting with their last reading, so the total never goes down.
 */
public final class ConsoleCpu {
    /** The prefix of every thread the console starts. */
    public static final String THREAD_PREFIX = "vigil-console-";

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private Map<Long, Long> last = new HashMap<>();
    private long retired;

    /** Total CPU nanoseconds of the console's threads so far; 0 when the JVM does not measure thread CPU time. */
    public synchronized long nanos() {
        if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
            return 0;
        }
        Map<Long, Long> now = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
            if (info != null && info.getThreadName().startsWith(THREAD_PREFIX)) {
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                if (cpu >= 0) {
                    now.put(info.getThreadId(), cpu);
                }
            }
        }
        long total = retired;
        for (Map.Entry<Long, Long> e : last.entrySet()) {
            if (!now.containsKey(e.getKey())) {
                retired += e.getValue();
                total += e.getValue();
            }
        }
        for (long cpu : now.values()) {
            total += cpu;
        }
        last = now;
        return total;
    }
}
