package dev.sluice.wire.codec;

/**
 * A message cannot be written (or read) at the requested version: the version is outside the
 * schema's valid range, or a field that the version lacks holds a non-default value and is not
 * marked ignorable in the schema.
 */
public class UnsupportedVersionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsupportedVersionException(String message) {
        super(message);
    }
}
