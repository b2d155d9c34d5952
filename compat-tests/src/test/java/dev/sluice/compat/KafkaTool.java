package dev.sluice.compat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.utils.internals.Exit;

/**
 * Runs one of Kafka's command-line tools in this JVM, through its own {@code main}, exactly as its
 * shell script would, but with {@link Exit} intercepted (so the tool cannot end the test JVM) and
 * its standard output and error captured, and no shutdown hooks left behind. Not thread-safe:
 * tools write to the process-wide {@code System.out}, so one tool runs at a time.
 */
final class KafkaTool {
    private KafkaTool() {
    }

    /** What a tool run left behind: the exit code it asked for (0 if it returned) and what it printed. */
    record Result(int exitCode, String out, String err) {
        /** Fails unless the tool exited 0, showing what it printed. */
        Result assertSuccess() {
            if (exitCode != 0) {
                throw new AssertionError("the tool exited " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err);
            }
            return this;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /** Thrown in place of the JVM exit a tool asks for, to unwind out of its main. */
    private static final class ToolExit extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ToolExit(int code) {
            super("tool exit " + code, null, false, false);
        }
    }

    /** Runs a tool with {@code --bootstrap-server bootstrap} before {@code args}. */
    static Result against(String bootstrap, String mainClass, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--bootstrap-server";
        all[1] = bootstrap;
        System.arraycopy(args, 0, all, 2, args.length);
        return run(mainClass, all);
    }

    static synchronized Result run(String mainClass, String... args) {
        AtomicReference<Integer> exitCode = new AtomicReference<>();
        Exit.setExitProcedure((code, message) -> {
            exitCode.compareAndSet(null, code);
            throw new ToolExit(code);
        });
        Exit.setHaltProcedure((code, message) -> {
            exitCode.compareAndSet(null, code);
            throw new ToolExit(code);
        });
        // Hooks a tool registers for Ctrl-C (the console consumer's) would outlive it in this JVM.
        Exit.setShutdownHookAdder((name, hook) -> { });
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            Method main = Class.forName(mainClass).getMethod("main", String[].class);
            main.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            if (!(e.getCause() instanceof ToolExit)) {
                exitCode.compareAndSet(null, -1);
                e.getCause().printStackTrace(System.err);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot run " + mainClass + " " + Arrays.toString(args), e);
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(originalOut);
            System.setErr(originalErr);
            Exit.resetExitProcedure();
            Exit.resetHaltProcedure();
            Exit.resetShutdownHookAdder();
        }
        Integer code = exitCode.get();
        return new Result(code == null ? 0 : code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
