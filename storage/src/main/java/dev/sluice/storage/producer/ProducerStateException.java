package dev.sluice.storage.producer;

import dev.sluice.wire.message.ErrorCode;

/** A produced batch breaks its producer's sequence or epoch rules; carries the error to answer with. */
public final class ProducerStateException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode error;

    public ProducerStateException(ErrorCode error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public ErrorCode error() {
        return error;
    }
}
