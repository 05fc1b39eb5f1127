package io.vigil.jdbc.internal;

import java.util.Locale;

/**
 * The operation (SQL verb) and main table of a statement, for bounded metric labels: {@code
 * SELECT ... FROM users} is {@code (select, users)}, {@code INSERT INTO s.notes} is {@code (insert,
 * notes)}. Only the statement's own level counts (sub-queries and CTE bodies are skipped); a
 * statement without a table (e.g. {@code SELECT 1}) has table {@value #NO_TABLE}. A lexer, not a
 * parser: it reads tokens until it knows both values, skipping literals and comments, and never
 * fails — an unrecognised statement is {@code (its first keyword, none)}.
 */
public record SqlSummary(String operation, String table) {
    /** The table label of a statement that names none. */
    public static final String NO_TABLE = "none";

    /** Summarises {@code sql}; never throws. */
    public static SqlSummary of(String sql) {
        if (sql == null) {
            return new SqlSummary("unknown", NO_TABLE);
        }
        Lexer lexer = new Lexer(sql);
        String verb = null;
        String expect = null; // the keyword after which the table comes, once the verb is known
        boolean tableNext = false;
        boolean inWith = false;
        String token;
        while ((token = lexer.next()) != null) {
            if (tableNext && token.equals("(")) {
                return new SqlSummary(verb, NO_TABLE); // FROM (sub-query): no table of its own
            }
            if (lexer.depth > 0) {
                continue; // sub-queries, CTE bodies, column lists
            }
            String word = token.toLowerCase(Locale.ROOT);
            if (verb == null) {
                if (word.equals("with")) {
                    inWith = true; // the verb comes after the common table expressions
                } else if (isWord(word) && (!inWith || isVerb(word))) {
                    verb = word;
                    switch (word) {
                        case "select", "delete" -> expect = "from";
                        case "insert", "merge" -> expect = "into";
                        case "update" -> tableNext = true;
                        default -> {
                            return new SqlSummary(word, NO_TABLE);
                        }
                    }
                }
                continue;
            }
            if (tableNext) {
                if (word.equals("only")) {
                    continue; // UPDATE ONLY t / DELETE FROM ONLY t (PostgreSQL)
                }
                return new SqlSummary(verb, isWord(word) ? lexer.identifier(token) : NO_TABLE);
            }
            if (word.equals(expect)) {
                tableNext = true;
            }
        }
        return new SqlSummary(verb == null ? "unknown" : verb, NO_TABLE);
    }

    private static boolean isVerb(String word) {
        return switch (word) {
            case "select", "insert", "update", "delete", "merge" -> true;
            default -> false;
        };
    }

    private static boolean isWord(String token) {
        char c = token.charAt(0);
        return Character.isLetter(c) || c == '_' || c == '"' || c == '`' || c == '[';
    }

    /** Tokens of SQL text: words (qualified names in one piece), punctuation; no literals or comments. */
    private static final class Lexer {
        private final String s;
        private int i;
        int depth;

        Lexer(String s) {
            this.s = s;
        }

        String next() {
            int n = s.length();
            while (i < n) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
                    int eol = s.indexOf('\n', i);
                    i = eol < 0 ? n : eol + 1;
                } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                    int end = s.indexOf("*/", i + 2);
                    i = end < 0 ? n : end + 2;
                } else if (c == '\'') {
                    skipQuoted('\'');
                } else if (c == '(') {
                    i++;
                    depth++;
                    if (depth == 1) {
                        return "(";
                    }
                } else if (c == ')') {
                    i++;
                    depth = Math.max(0, depth - 1);
                } else if (Character.isLetter(c) || c == '_' || c == '"' || c == '`' || c == '[') {
                    int start = i;
                    while (i < n) {
                        char d = s.charAt(i);
                        if (d == '"' || d == '`') {
                            skipQuoted(d);
                        } else if (d == '[') {
                            int end = s.indexOf(']', i);
                            i = end < 0 ? n : end + 1;
                        } else if (Character.isLetterOrDigit(d) || d == '_' || d == '$' || d == '.') {
                            i++;
                        } else {
                            break;
                        }
                    }
                    return s.substring(start, i);
                } else {
                    i++;
                    return String.valueOf(c);
                }
            }
            return null;
        }

        private void skipQuoted(char quote) {
            int n = s.length();
            i++;
            while (i < n) {
                if (s.charAt(i) == quote) {
                    if (i + 1 < n && s.charAt(i + 1) == quote) {
                        i += 2; // doubled quote inside the literal
                        continue;
                    }
                    i++;
                    return;
                }
                i++;
            }
        }

        /** The last part of a qualified name, unquoted; unquoted names fold to lower case. */
        String identifier(String token) {
            String last = token;
            int dot = lastDotOutsideQuotes(token);
            if (dot >= 0) {
                last = token.substring(dot + 1);
            }
            if (last.length() >= 2 && (last.charAt(0) == '"' || last.charAt(0) == '`' || last.charAt(0) == '[')) {
                return last.substring(1, last.length() - 1);
            }
            return last.toLowerCase(Locale.ROOT);
        }

        private static int lastDotOutsideQuotes(String token) {
            int dot = -1;
            boolean quoted = false;
            for (int k = 0; k < token.length(); k++) {
                char c = token.charAt(k);
                if (c == '"' || c == '`') {
                    quoted = !quoted;
                } else if (c == '.' && !quoted) {
                    dot = k;
                }
            }
            return dot;
        }
    }
}
