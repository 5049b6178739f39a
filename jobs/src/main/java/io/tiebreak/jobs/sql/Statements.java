package io.tiebreak.jobs.sql;

import io.tiebreak.jobs.errors.ExitCodes;
import io.tiebreak.jobs.errors.UserError;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** SQL text cut into statements at ';' (not inside quotes or comments), and the interactive prompt. */
final class Statements {
    private Statements() {}

    /** What the prompt runs for each statement. */
    interface Runner {
        void run(String statement) throws IOException;
    }

    /** The statements of a text, trimmed, empty ones dropped. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                cur.append(c);
                if (c == '\\' && i + 1 < text.length()) cur.append(text.charAt(++i));
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
                cur.append(c);
            } else if (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') {
                while (i < text.length() && text.charAt(i) != '\n') i++;
                cur.append('\n');
            } else if (c == ';') {
                add(out, cur);
            } else {
                cur.append(c);
            }
        }
        add(out, cur);
        return out;
    }

    private static void add(List<String> out, StringBuilder cur) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) out.add(s);
        cur.setLength(0);
    }

    /** A statement on one line, shortened, for headings. */
    static String oneLine(String statement) {
        String s = statement.replaceAll("\\s+", " ");
        return s.length() > 100 ? s.substring(0, 99) + "…" : s;
    }

    /**
     * Reads statements (ending with ';') until end of input or "quit"; each is run as soon as it is complete. An
     * error is printed and the session goes on. Returns the exit code: 0, or 2 when reading a script (no terminal)
     * and a statement failed.
     */
    static int interactive(InputStream in, PrintStream out, boolean terminal, Runner runner) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        if (terminal) out.println("tiebreak sql: statements end with ';', quit with 'quit' or Ctrl-D");
        StringBuilder pending = new StringBuilder();
        int exit = 0;
        while (true) {
            if (terminal) {
                out.print(pending.toString().isBlank() ? "sql> " : "  -> ");
                out.flush();
            }
            String line = r.readLine();
            if (line == null) break;
            if (pending.toString().isBlank() && List.of("quit", "exit", "quit;", "exit;").contains(line.strip())) break;
            pending.append(line).append('\n');
            if (!line.strip().endsWith(";")) continue;
            for (String statement : split(pending.toString())) {
                try {
                    runner.run(statement);
                } catch (UserError e) {
                    out.println("error: " + e.getMessage());
                    if (!terminal) exit = ExitCodes.USER_ERROR;
                }
            }
            pending.setLength(0);
        }
        for (String statement : split(pending.toString())) runner.run(statement);
        return exit;
    }
}
