package dev.sluice.broker.coordinator;

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
 * @param records   what to append, as one batch; empty: nothing to write, answered at once
 * @param response  the answer once the records are written
 * @param apply     the state change the records stand for, run on the executor after the write
 * @param onFailure the answer when the write failed, or null to fail the answer itself
 */
public record CoordinatorResult<T>(List<CoordinatorRecord> records, T response, Runnable apply,
                                   Function<CoordinatorException, T> onFailure) {
    private static final Runnable NOTHING = () -> { };

    public CoordinatorResult {
        records = List.copyOf(records);
        Objects.requireNonNull(apply);
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
        return new CoordinatorResult<>(records, response, apply, answer);
    }
}
