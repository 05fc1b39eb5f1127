#!/bin/sh
# Renders the Alertmanager configuration (alertmanager.yml) and the notification templates
# (templates/*.tmpl) from the environment and the secret files, then, when given arguments, runs
# Alertmanager with them: compose.yaml uses it as the alertmanager entrypoint.
#
# In the source files:
#   ${NAME} or ${NAME:-default}   the environment variable NAME (non-secret settings)
#   ${secret:NAME}                the content of the secret file $SECRETS_DIR/NAME (only where
#                                 Alertmanager 0.25 has no *_file field: the Discord webhook URL)
#   #@ if NAME... / #@ end        lines kept only when every NAME is set: a non-empty variable or a
#                                 non-empty secret file; blocks nest
# So a channel whose secret is not set is left out, and its receiver notifies the channels that are
# (a receiver with none is valid and notifies nobody). Every other secret is read by Alertmanager
# itself from its file (*_file fields) and is never copied. The rendered files are private to the
# container (umask 077, RENDER_DIR on a tmpfs).
#
#   SOURCE_DIR    alertmanager.yml and templates/ (default: this script's directory)
#   RENDER_DIR    where the rendered files go (default /tmp/alertmanager)
#   SECRETS_DIR   the secret files (default /run/secrets)
#   ALERTMANAGER  the binary to run (default /bin/alertmanager)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=${SOURCE_DIR:-$here}
RENDER_DIR=${RENDER_DIR:-/tmp/alertmanager}
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
export RENDER_DIR SECRETS_DIR
umask 077

# POSIX awk (busybox's in the prom/alertmanager image). mode "yaml": values go inside single
# quotes ('' doubles a quote); mode "tmpl": inside Go template string literals (no " or \ allowed).
program='
function fail(msg) { print "render.sh: " FILENAME ":" FNR ": " msg > "/dev/stderr"; failed = 1; exit 1 }
function secret(name,   f, line, v, n) {
    if (name !~ /^[A-Za-z0-9_.-]+$/) fail("bad secret name " name)
    f = secrets "/" name; v = ""; n = 0
    while ((getline line < f) > 0) { sub(/\r$/, "", line); v = (n++ ? v "\n" line : line) }
    close(f)
    # Line ends and trailing blanks are not part of a secret: a file saved with CRLF ends, or with an empty last
    # line, gave a Discord URL ending in a carriage return (copied as is; Alertmanager trims its *_file values).
    sub(/[ \t\r\n]+$/, "", v)
    return v
}
function isset(name) { return ((name in ENVIRON) && ENVIRON[name] != "") || secret(name) != "" }
function skipping(   k) { for (k = 1; k <= depth; k++) if (!cond[k]) return 1; return 0 }
function quoted(v, name,   r, k) {
    if (index(v, "\n")) fail(name " spans several lines")
    if (mode == "tmpl" && (index(v, "\"") || index(v, "\\"))) fail(name " holds a quote or backslash")
    if (mode == "yaml") { r = ""; while ((k = index(v, "\047")) > 0) { r = r substr(v, 1, k) "\047"; v = substr(v, k + 1) }; v = r v }
    return v
}
function subst(s,   out, i, j, expr, name, def, p, v) {
    out = ""
    while ((i = index(s, "${")) > 0) {
        out = out substr(s, 1, i - 1); s = substr(s, i + 2)
        j = index(s, "}"); if (j == 0) fail("unclosed ${")
        expr = substr(s, 1, j - 1); s = substr(s, j + 1)
        if (substr(expr, 1, 7) == "secret:") { name = substr(expr, 8); v = secret(name) }
        else {
            p = index(expr, ":-")
            if (p > 0) { name = substr(expr, 1, p - 1); def = substr(expr, p + 2) } else { name = expr; def = "" }
            v = (name in ENVIRON) ? ENVIRON[name] : ""
            if (v == "") v = def
        }
        out = out quoted(v, name)
    }
    return out s
}
/^[ \t]*#@ if / { n = split($0, w, " "); ok = n > 2; for (k = 3; k <= n; k++) if (!isset(w[k])) ok = 0; cond[++depth] = ok; next }
/^[ \t]*#@ end/ { if (depth == 0) fail("#@ end without #@ if"); depth--; next }
{ if (!skipping()) print subst($0) }
END { if (!failed && depth != 0) { FNR = "end"; fail("#@ if without #@ end") } if (failed) exit 1 }
'

mkdir -p "$RENDER_DIR/templates"
rm -f "$RENDER_DIR"/templates/*.tmpl
awk -v mode=yaml -v secrets="$SECRETS_DIR" "$program" "$SOURCE_DIR/alertmanager.yml" >"$RENDER_DIR/alertmanager.yml.new"
mv "$RENDER_DIR/alertmanager.yml.new" "$RENDER_DIR/alertmanager.yml"
for t in "$SOURCE_DIR"/templates/*.tmpl; do
    [ -e "$t" ] || continue
    awk -v mode=tmpl -v secrets="$SECRETS_DIR" "$program" "$t" >"$RENDER_DIR/templates/$(basename "$t")"
done

if [ $# -gt 0 ]; then
    exec "${ALERTMANAGER:-/bin/alertmanager}" "$@"
fi
