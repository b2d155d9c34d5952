package dev.sluice.broker.coordinator;

import dev.sluice.wire.record.RecordBatch;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * What an operation decided: the records to append, the answer to give once they are written,
 * and the change to the state machine that the records stand for.
 *
 * <p>The runtime applies {@code apply} and completes the answer only after the append succeeded,
 * so nothing is acknowledged, and no later operation sees a change, that a restart could lose. A
 * failed append applies nothing: the answer is {@code onFailure} of the failure when the operation
 * gave one, else the answer fails with the {@link CoordinatorException}.
 *
 * <p>A result of a transactional producer ({@link #transactional}) is appended as that producer's
 * transactional batch: its records count only once a COMMIT marker for the producer follows them
 * in the log, so {@code apply} should keep them pending until the runtime reports the marker
 * ({@link CoordinatorStateMachine#replayEndTransaction}).
 *
 * @param records       what to append, as one batch; empty: nothing to write, answered at once
 * @param response      the answer once the records are written
 * @param apply         the state change the records stand for, run on the executor after the write
 * @param onFailure     the answer when the write failed, or null to fail the answer itself
 * @param producerId    the transactional producer the batch is written for, or
 *                      {@link RecordBatch#NO_PRODUCER_ID} for the coordinator's own plain batch
 * @param producerEpoch that producer's epoch, -1 without a producer
 */
public record CoordinatorResult<T>(List<CoordinatorRecord> records, T response, Runnable apply,
                                   Function<CoordinatorException, T> onFailure, long producerId, short producerEpoch) {
    private static final Runnable NOTHING = () -> { };

    public CoordinatorResult {
        records = List.copyOf(records);
        Objects.requireNonNull(apply);
    }

    public CoordinatorResult(List<CoordinatorRecord> records, T response, Runnable apply,
                             Function<CoordinatorException, T> onFailure) {
        this(records, response, apply, onFailure, RecordBatch.NO_PRODUCER_ID, (short) -1);
    }

    /** An answer with nothing to write (a read, or a request refused before any change). */
    public static <T> CoordinatorResult<T> answer(T response) {
        return new CoordinatorResult<>(List.of(), response, NOTHING, null);
    }

    /** Writes {@code records}, then runs {@code apply} and answers {@code response}. */
    public static <T> CoordinatorResult<T> write(List<CoordinatorRecord> records, T response, Runnable apply) {
        return new CoordinatorResult<>(records, response, apply, null);
    }

    /** This result, answering {@code onFailure} of the failure when the write fails. */
    public CoordinatorResult<T> orOnFailure(Function<CoordinatorException, T> answer) {
        return new CoordinatorResult<>(records, response, apply, answer, producerId, producerEpoch);
    }

    /** This result, written as a transactional batch of {@code producerId} at {@code producerEpoch}. */
    public CoordinatorResult<T> transactional(long producerId, short producerEpoch) {
        if (producerId < 0) {
            throw new IllegalArgumentException("a transactional write needs a producer id, not " + producerId);
        }
        return new CoordinatorResult<>(records, response, apply, onFailure, producerId, producerEpoch);
    }

    /** Whether the records are a transactional producer's. */
    public boolean isTransactional() {
        return producerId != RecordBatch.NO_PRODUCER_ID;
    }
}
