package dev.sluice.compat;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test opened (clients, processes, brokers), closed in reverse order when the test ends:
 * declare {@code @AutoClose final Closer closer = new Closer();} and {@link #add} as things open.
 * The first failure to close is thrown once everything has been tried.
 */
final class Closer implements AutoCloseable {
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    <T extends AutoCloseable> T add(T resource) {
        opened.push(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
