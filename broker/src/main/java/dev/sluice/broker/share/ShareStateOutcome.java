package dev.sluice.broker.share;

import dev.sluice.wire.message.ErrorCode;

/** What the share coordinator answers for one share-partition: the error, and the state it acted on (null if none). */
public record ShareStateOutcome(ErrorCode error, String message, ShareState state) {
    static ShareStateOutcome ok(ShareState state) {
        return new ShareStateOutcome(ErrorCode.NONE, null, state);
    }

    static ShareStateOutcome failed(ErrorCode error, String message) {
        return new ShareStateOutcome(error, message, null);
    }
}
