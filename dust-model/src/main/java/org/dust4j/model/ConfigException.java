package org.dust4j.model;

/** A config.json that cannot be used: unknown key, wrong type, or impossible sizes. The message is one line. */
public final class ConfigException extends IllegalArgumentException {
    /** Longer messages are cut (a config may quote arbitrarily long keys or values). */
    static final int MAX_MESSAGE = 1000;

    public ConfigException(String message) {
        super(cap(message));
    }

    public ConfigException(String message, Throwable cause) {
        super(cap(message), cause);
    }

    private static String cap(String m) {
        if (m == null || m.length() <= MAX_MESSAGE) return m;
        return m.substring(0, MAX_MESSAGE) + "... (" + (m.length() - MAX_MESSAGE) + " more characters)";
    }
}
