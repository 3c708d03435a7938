package org.dust4j.sim;

import java.io.IOException;

/** A dataset that cannot be read or written; the message is one line naming the file and what is wrong. */
public final class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Longer messages are cut (a manifest may quote arbitrarily long values). */
    static final int MAX_MESSAGE = 1000;

    public DatasetException(String message) {
        super(cap(message));
    }

    public DatasetException(String message, Throwable cause) {
        super(cap(message), cause);
    }

    private static String cap(String m) {
        if (m == null) return null;
        String l = m.lines().findFirst().orElse("");
        return l.length() <= MAX_MESSAGE ? l : l.substring(0, MAX_MESSAGE) + "... (" + (l.length() - MAX_MESSAGE) + " more characters)";
    }
}
