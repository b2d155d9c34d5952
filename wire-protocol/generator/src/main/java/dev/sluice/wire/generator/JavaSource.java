package dev.sluice.wire.generator;

/** A Java source file being written: lines with block indentation. */
final class JavaSource {
    private final StringBuilder text = new StringBuilder();
    private int depth;

    /** Writes one line at the current indentation. */
    JavaSource line(String line) {
        if (!line.isEmpty()) {
            text.append("    ".repeat(depth)).append(line);
        }
        text.append('\n');
        return this;
    }

    /** Writes {@code head + " {"} and indents what follows. */
    JavaSource open(String head) {
        line(head.isEmpty() ? "{" : head + " {");
        depth++;
        return this;
    }

    /** Closes the innermost block, optionally followed by more text on the same line ({@code "} else {"}). */
    JavaSource close() {
        depth--;
        return line("}");
    }

    /** Closes a block and opens the next one on the same line: {@code } else {}. */
    JavaSource reopen(String head) {
        depth--;
        line("} " + head + " {");
        depth++;
        return this;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
