/*
 * A small test harness for the C ABI tests: no framework, plain C11.
 *
 * A test is `TEST(name) { ... }`, listed in `tests[]` in tests.c. CHECK(...) records a failed
 * assertion and goes on; the helpers below check nanoproc's error objects and free them. The
 * runner (main in tests.c) checks after every test that nanoproc_live_objects() is back
 * where it was, and ends with the line `N passed, N failed`.
 */
#ifndef NANOPROC_TEST_HARNESS_H
#define NANOPROC_TEST_HARNESS_H

#include "nanoproc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Failed assertions of the test running now. */
extern int h_failures;
/* Why the test running now was skipped (NULL: it was not). */
extern const char *h_skipped;

/* Marks the test as skipped (then return from it). Counted neither passed nor failed. */
#define SKIP(why) (h_skipped = (why))

void h_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                              \
    do {                                                         \
        if (!(cond)) h_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                       \
    do {                                                                         \
        long long h_a = (long long)(a), h_b = (long long)(b);                    \
        if (h_a != h_b)                                                          \
            h_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, h_a, h_b); \
    } while (0)

#define CHECK_STR(a, b)                                                            \
    do {                                                                           \
        const char *h_a = (a), *h_b = (b);                                         \
        if (h_a == NULL || h_b == NULL || strcmp(h_a, h_b) != 0)                  \
            h_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,       \
                   h_a ? h_a : "(null)", h_b ? h_b : "(null)");                    \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                 \
    do {                                                                            \
        const char *h_h = (hay), *h_n = (needle);                                   \
        if (h_h == NULL || strstr(h_h, h_n) == NULL)                                \
            h_fail(__FILE__, __LINE__, "%s contains \"%s\": \"%s\"", #hay, h_n,     \
                   h_h ? h_h : "(null)");                                           \
    } while (0)

/* The call returned NULL (success); else the failure names the call and the error. */
#define OK(call) h_ok((call), #call, __FILE__, __LINE__)
/* The call failed with `kind` and a message containing `phrase` (NULL: any); frees it. */
#define ERR(call, kind, phrase) h_err((call), (kind), (phrase), #call, __FILE__, __LINE__)

bool h_ok(nanoproc_error *e, const char *what, const char *file, int line);
bool h_err(nanoproc_error *e, nanoproc_error_kind kind, const char *phrase, const char *what,
           const char *file, int line);

#define TEST(name) static void test_##name(void)
#define ENTRY(name) { #name, test_##name }

struct h_test {
    const char *name;
    void (*run)(void);
};

/* The name of an error kind, for messages. */
const char *h_kind_name(nanoproc_error_kind kind);

#endif
