package io.vigil.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.vigil.logback.internal.JsonLineWriter;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The stdout writer {@link VigilLogging} installs: an {@link OutputStreamAppender} that, with {@link
 * VigilJsonEncoder} itself as its encoder, writes each line from the renderer's per-thread buffer
 * instead of the copy Logback's {@code Encoder.encode} contract makes — one array of the line's size
 * per event less, the same bytes in the same single {@code write} call. Any other encoder (the text
 * one, a subclass) goes through {@code encode} as before.
 */
final class RenderedLineAppender extends OutputStreamAppender<ILoggingEvent> {
    @Override
    protected void writeOut(ILoggingEvent event) throws IOException {
        if (encoder == null || encoder.getClass() != VigilJsonEncoder.class) {
            super.writeOut(event);
            return;
        }
        JsonLineWriter line = ((VigilJsonEncoder) encoder).renderer().writeJson(event);
        streamWriteLock.lock();
        try {
            if (isStarted()) {
                OutputStream out = getOutputStream();
                out.write(line.buffer(), 0, line.length());
                if (isImmediateFlush()) {
                    out.flush();
                }
            }
        } finally {
            streamWriteLock.unlock();
        }
    }
}
