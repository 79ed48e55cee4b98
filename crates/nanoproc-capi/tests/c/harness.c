/* The assertion helpers of harness.h. */
#include "harness.h"

#include <stdarg.h>

int h_failures;
const char *h_skipped;

void h_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("    %s:%d: ", file, line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    h_failures++;
}

const char *h_kind_name(nanoproc_error_kind kind) {
    switch (kind) {
    case NANOPROC_ERROR_INVALID_MODULE: return "INVALID_MODULE";
    case NANOPROC_ERROR_INVALID_POLICY: return "INVALID_POLICY";
    case NANOPROC_ERROR_INVALID_INPUT: return "INVALID_INPUT";
    case NANOPROC_ERROR_MEMORY_LIMIT: return "MEMORY_LIMIT";
    case NANOPROC_ERROR_OUTPUT_LIMIT: return "OUTPUT_LIMIT";
    case NANOPROC_ERROR_TIME_LIMIT: return "TIME_LIMIT";
    case NANOPROC_ERROR_FUEL_LIMIT: return "FUEL_LIMIT";
    case NANOPROC_ERROR_TRAP: return "TRAP";
    case NANOPROC_ERROR_ABI_VIOLATION: return "ABI_VIOLATION";
    case NANOPROC_ERROR_HOST_FUNCTION: return "HOST_FUNCTION";
    case NANOPROC_ERROR_PLUGIN: return "PLUGIN";
    case NANOPROC_ERROR_CANCELLED: return "CANCELLED";
    case NANOPROC_ERROR_DENIED: return "DENIED";
    case NANOPROC_ERROR_IO: return "IO";
    case NANOPROC_ERROR_HOST_EXHAUSTED: return "HOST_EXHAUSTED";
    case NANOPROC_ERROR_INTERNAL: return "INTERNAL";
    case NANOPROC_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case NANOPROC_ERROR_INTEGRITY: return "INTEGRITY";
    }
    return "(unknown kind)";
}

bool h_ok(nanoproc_error *e, const char *what, const char *file, int line) {
    if (e == NULL) return true;
    h_fail(file, line, "%s failed: %s: %s", what, h_kind_name(nanoproc_error_get_kind(e)),
           nanoproc_error_message(e));
    nanoproc_error_free(e);
    return false;
}

bool h_err(nanoproc_error *e, nanoproc_error_kind kind, const char *phrase, const char *what,
           const char *file, int line) {
    if (e == NULL) {
        h_fail(file, line, "%s succeeded; expected %s", what, h_kind_name(kind));
        return false;
    }
    bool ok = true;
    nanoproc_error_kind got = nanoproc_error_get_kind(e);
    const char *msg = nanoproc_error_message(e);
    const char *detail = nanoproc_error_detail(e);
    if (got != kind) {
        h_fail(file, line, "%s: expected %s, got %s: %s", what, h_kind_name(kind),
               h_kind_name(got), msg ? msg : "(null)");
        ok = false;
    } else if (phrase != NULL && (msg == NULL || strstr(msg, phrase) == NULL)) {
        h_fail(file, line, "%s: message lacks \"%s\": %s", what, phrase, msg ? msg : "(null)");
        ok = false;
    }
    /* Every message is one line, "kind: detail". */
    if (msg == NULL || detail == NULL || strchr(msg, '\n') != NULL ||
        strlen(msg) <= strlen(detail) || strcmp(msg + strlen(msg) - strlen(detail), detail) != 0 ||
        strncmp(msg + strlen(msg) - strlen(detail) - 2, ": ", 2) != 0) {
        h_fail(file, line, "%s: message is not one line `kind: detail`: %s", what,
               msg ? msg : "(null)");
        ok = false;
    }
    nanoproc_error_free(e);
    return ok;
}
