package org.dust4j.model;

/** A config.json that cannot be used: unknown key, wrong type, or impossible sizes. The message is one line. */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
