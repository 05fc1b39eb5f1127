package io.vigil.core;

/** Format of log lines on standard output. */
public enum LogFormat {
    /** One JSON object per line, the contract's log schema. */
    JSON,
    /** Readable, colourless text. */
    TEXT
}
