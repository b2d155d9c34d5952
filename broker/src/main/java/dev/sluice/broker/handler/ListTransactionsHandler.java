package dev.sluice.broker.handler;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.sluice.broker.security.acl.AclOperation;
import dev.sluice.broker.security.acl.AclResourceType;
import dev.sluice.broker.txn.TransactionCoordinator;
import dev.sluice.broker.txn.TransactionMetadata;
import dev.sluice.broker.txn.TransactionState;
import dev.sluice.wire.message.ApiKey;
import dev.sluice.wire.message.ErrorCode;
import dev.sluice.wire.message.ListTransactionsRequest;
import dev.sluice.wire.message.ListTransactionsResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * ListTransactions (key 66), v0-2: the transactional ids this broker coordinates, filtered by
 * state names (unknown names are listed in {@code unknown_state_filters} and match nothing), by
 * producer ids, from v1 by how long the open transaction has run ({@code duration_filter} ms,
 * KIP-994), and from v2 by a regular expression over the id (matched with RE2J, so a client's
 * pattern cannot take exponential time). COORDINATOR_LOAD_IN_PROGRESS while a partition loads;
 * INVALID_REGULAR_EXPRESSION for a pattern that does not compile.
 */
public final class ListTransactionsHandler extends ApiHandler<ListTransactionsRequest, ListTransactionsResponse> {
    private final TransactionCoordinator coordinator;

    public ListTransactionsHandler(TransactionCoordinator coordinator) {
        super(ApiKey.LIST_TRANSACTIONS, 0, 2);
        this.coordinator = coordinator;
    }

    @Override
    protected boolean authorizesItself() {
        return true;
    }

    @Override
    public CompletableFuture<ListTransactionsResponse> handle(RequestContext context, ListTransactionsRequest request) {
        Set<TransactionState> states = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String name : request.stateFilters()) {
            TransactionState.forName(name).ifPresentOrElse(states::add, () -> unknown.add(name));
        }
        Set<Long> producerIds = new HashSet<>(request.producerIdFilters());
        long duration = context.version() >= 1 ? request.durationFilter() : -1;
        Pattern pattern = null;
        if (context.version() >= 2 && request.transactionalIdPattern() != null
            && !request.transactionalIdPattern().isEmpty()) {
            try {
                pattern = Pattern.compile(request.transactionalIdPattern());
            } catch (PatternSyntaxException e) {
                return CompletableFuture.completedFuture(errorResponse(request, ErrorCode.INVALID_REGULAR_EXPRESSION));
            }
        }
        long now = System.currentTimeMillis();
        Pattern idPattern = pattern;
        Predicate<TransactionMetadata> filter = m -> (request.stateFilters().isEmpty() || states.contains(m.state()))
            && (producerIds.isEmpty() || producerIds.contains(m.producerId()))
            && (duration < 0 || m.state() == TransactionState.ONGOING && m.startTimestamp() >= 0
                && now - m.startTimestamp() >= duration)
            && (idPattern == null || idPattern.matches(m.transactionalId()))
            // Only transactions the principal may describe are listed, as in Kafka.
            && context.allowed(AclOperation.DESCRIBE, AclResourceType.TRANSACTIONAL_ID, m.transactionalId());
        return coordinator.list(filter).thenApply(found -> new ListTransactionsResponse()
            .setErrorCode(found.getKey().code()).setUnknownStateFilters(unknown)
            .setTransactionStates(found.getValue().stream().map(m -> new ListTransactionsResponse.TransactionState()
                .setTransactionalId(m.transactionalId()).setProducerId(m.producerId())
                .setTransactionState(m.state().displayName())).toList()));
    }

    @Override
    public ListTransactionsResponse errorResponse(ListTransactionsRequest request, ErrorCode error) {
        return new ListTransactionsResponse().setErrorCode(error.code()).setUnknownStateFilters(List.of())
            .setTransactionStates(List.of());
    }
}
