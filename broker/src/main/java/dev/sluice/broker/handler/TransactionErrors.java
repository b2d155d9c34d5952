package dev.sluice.broker.handler;

import dev.sluice.wire.message.ErrorCode;

/** Error codes of the transaction APIs as each version knows them. */
final class TransactionErrors {
    private TransactionErrors() {
    }

    /**
     * PRODUCER_FENCED exists from {@code fencedSince} of each API on (KIP-588); older versions
     * get INVALID_PRODUCER_EPOCH, which their clients treat the same way.
     */
    static ErrorCode forVersion(ErrorCode error, short version, int fencedSince) {
        return error == ErrorCode.PRODUCER_FENCED && version < fencedSince ? ErrorCode.INVALID_PRODUCER_EPOCH : error;
    }
}
