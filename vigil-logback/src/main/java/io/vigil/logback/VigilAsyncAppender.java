package io.vigil.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands events to its attached appenders on one background thread through a bounded queue. The
 * calling thread waits at most {@link #setMaxBlockMillis(long) maxBlockMillis} for room; past that
 * the event is dropped, counted ({@link #droppedCount()}) and reported by one WARN line once the
 * queue has drained — never silently, never an unbounded wait.
 *
 * <p>Logback's own {@code AsyncAppender} either blocks without bound ({@code neverBlock=false}) or
 * drops without counting, and by default discards INFO and below when 80% full; this one treats all
 * levels alike and bounds the wait instead.
 *
 * <p>Under steady traffic the background thread lets events gather for up to {@link
 * #setLingerMillis(long) lingerMillis} after each batch instead of being woken by every event: a
 * wake-up (an {@code unpark}, a system call) on the logging thread per event was the largest part
 * of a hand-off's cost on the request path. A lone event after a quiet spell still wakes the thread
 * at once; a queue found full wakes it too.
 */
public class VigilAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
        implements AppenderAttachable<ILoggingEvent> {
    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private int queueSize = 8192;
    private long maxBlockMillis = 20;
    private long maxFlushMillis = 2000;
    // 20 ms, not the 2 ms it was: at a service's rate (an access-log line every few hundred µs) 2 ms gathered one to
    // three events per batch, and each batch's fixed cost — the wake-up, the timed park, the write(2) of the stdout
    // writer, the queue's locks — came to 16–22 µs of the background thread's CPU per event; at 20 ms 8 µs
    // (bench/README, "The hand-off's linger"). Lines reach stdout at most 20 ms late, and stop() still drains them.
    private long lingerNanos = TimeUnit.MILLISECONDS.toNanos(20);
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private volatile Thread worker;
    private volatile boolean running;
    private long reportedDrops;

    /** Capacity of the hand-off queue (default 8192 events). */
    public void setQueueSize(int queueSize) {
        if (queueSize < 1) {
            throw new IllegalArgumentException("queueSize must be positive");
        }
        this.queueSize = queueSize;
    }

    /** Longest a logging thread waits for room before the event is dropped (default 20 ms). */
    public void setMaxBlockMillis(long maxBlockMillis) {
        this.maxBlockMillis = Math.max(0, maxBlockMillis);
    }

    /** Longest {@link #stop()} waits for queued events to reach the appenders (default 2000 ms). */
    public void setMaxFlushMillis(long maxFlushMillis) {
        this.maxFlushMillis = Math.max(0, maxFlushMillis);
    }

    /**
     * How long the background thread lets events gather after delivering a batch before it takes
     * the next (default 20 ms; 0 wakes it for every event). Events are delayed by at most this long.
     */
    public void setLingerMillis(long lingerMillis) {
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, lingerMillis));
    }

    /** Events dropped because the queue stayed full for longer than the bound. */
    public long droppedCount() {
        return dropped.sum();
    }

    /** Events handed to the attached appenders. */
    public long deliveredCount() {
        return delivered.sum();
    }

    /** Events waiting in the queue. */
    public int queued() {
        ArrayBlockingQueue<ILoggingEvent> q = queue;
        return q == null ? 0 : q.size();
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        running = true;
        Thread t = new Thread(this::run, "vigil-log-" + (getName() == null ? "async" : getName()));
        t.setDaemon(true);
        worker = t;
        super.start();
        t.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (Thread.currentThread() == worker) {
            // An attached appender logging about itself: deliver in place, never wait on our own queue.
            deliver(event);
            return;
        }
        event.prepareForDeferredProcessing(); // freezes message, MDC, key-value pairs, thread name
        if (queue.offer(event)) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                // A warning or error does not wait for the linger: it may be the last line of a process about to die.
                LockSupport.unpark(worker);
            }
            return;
        }
        LockSupport.unpark(worker); // lingering with a full queue: take it now
        boolean accepted = false;
        if (maxBlockMillis > 0) {
            try {
                accepted = queue.offer(event, maxBlockMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!accepted) {
            dropped.increment();
        }
    }

    private void run() {
        List<ILoggingEvent> batch = new ArrayList<>(256);
        while (running || !queue.isEmpty()) {
            try {
                ILoggingEvent first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    reportDrops();
                    flushAttached();
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 255);
                boolean full = batch.size() == 256;
                for (ILoggingEvent e : batch) {
                    deliver(e);
                }
                batch.clear();
                if (queue.isEmpty()) {
                    reportDrops();
                }
                flushAttached();
                if (!full && running && lingerNanos > 0) {
                    // Not waiting on the queue, so the next events are queued without waking this thread.
                    LockSupport.parkNanos(this, lingerNanos);
                }
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            }
        }
        // Whatever is left when stop() gave up waiting is dropped, counted, reported.
        int left = queue.size();
        if (left > 0) {
            queue.clear();
            dropped.add(left);
        }
        reportDrops();
    }

    /**
     * Flushes attached stream appenders that do not flush per event ({@code immediateFlush=false}): a
     * batch's lines leave in one write instead of one per line. Only this thread writes to them.
     */
    private void flushAttached() {
        for (Iterator<Appender<ILoggingEvent>> it = appenders.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out && !out.isImmediateFlush()) {
                OutputStream stream = out.getOutputStream();
                if (stream != null) {
                    try {
                        stream.flush();
                    } catch (IOException | RuntimeException ex) {
                        addError("flushing " + out.getName() + " failed", ex);
                    }
                }
            }
        }
    }

    private void deliver(ILoggingEvent e) {
        try {
            appenders.appendLoopOnAppenders(e);
            delivered.increment();
        } catch (RuntimeException ex) {
            addError("appender failed", ex);
        }
    }

    /** One WARN line per overflow episode, written straight to the attached appenders. */
    private void reportDrops() {
        long total = dropped.sum();
        if (total == reportedDrops) {
            return;
        }
        long since = total - reportedDrops;
        reportedDrops = total;
        String message = since + " log events were dropped because the log hand-off queue (" + queueSize
                + " events) stayed full for more than " + maxBlockMillis + " ms; " + total + " dropped in total";
        addWarn(message);
        if (getContext() instanceof LoggerContext lc) {
            Logger logger = lc.getLogger(VigilAsyncAppender.class);
            LoggingEvent event = new LoggingEvent(Logger.FQCN, logger, Level.WARN, message, null, null);
            event.addKeyValuePair(new org.slf4j.event.KeyValuePair("dropped_events", since));
            deliver(event);
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop(); // refuse new events first, so none is queued after the worker has gone
        running = false;
        Thread t = worker;
        LockSupport.unpark(t);
        try {
            t.join(maxFlushMillis);
            if (t.isAlive()) {
                t.interrupt();
                t.join(500);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> newAppender) {
        appenders.addAppender(newAppender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> appender) {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> appender) {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }
}
