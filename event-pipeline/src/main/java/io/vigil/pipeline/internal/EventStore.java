package io.vigil.pipeline.internal;

import java.io.IOException;

/**
 * Where raw events are kept (the document's MinIO bucket): {@link S3EventStore} when {@code
 * S3_ENDPOINT} is set, else {@link LocalEventStore}.
 * Implementations are thread-safe.
 */
public interface EventStore {
    /** Stores {@code body} under a key derived from {@code eventId}; returns that key. */
    String put(String eventId, byte[] body) throws IOException;

    /**
     * Removes what {@link #put} stored under {@code key}; a key that holds nothing is no error. The compensation of a
     * request that stored its raw event and then failed to record it: no raw event is kept that no row names.
     */
    void delete(String key) throws IOException;

    /** Throws when the store cannot take writes (the health probe). */
    void probe() throws IOException;

    /** Short backend name for span attributes: {@code local}, {@code s3}. */
    String backend();
}
