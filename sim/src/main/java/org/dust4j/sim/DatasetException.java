package org.dust4j.sim;

import java.io.IOException;

/** A dataset that cannot be read or written; the message is one line naming the file and what is wrong. */
public final class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
