/*
 * Per-call cost of plugin calls through nanoproc's C ABI, on examples/plugins/bin/echo.wasm
 * with a pooling engine and the default (deny-everything) policy:
 *
 *   warm_noop       nanoproc_instance_call "noop" (nothing in, nothing out), one instance kept
 *   warm_echo_64k   nanoproc_instance_call "echo" with 64 KiB in (64 KiB out, then freed)
 *   fresh_noop      nanoproc_plugin_call "noop": a fresh sandbox per call
 *   fresh_echo_64k  nanoproc_plugin_call "echo" with 64 KiB
 *
 * Method (the same as every language's bench in benches/sdk): calls are timed in batches
 * lasting at least ~1 ms; the per-call time of each batch is one sample; 200 samples per
 * case; median and p99 of the samples. Prints a table, one machine line per case,
 * `RESULT c <case> <median_ns> <p99_ns>`, and the goal line for the warm no-op.
 *
 *   bench [REPO]      REPO: the repository root (default `.`)
 *
 * Built -O2 against the release static library by run.sh.
 */
#define _POSIX_C_SOURCE 199309L
#include "nanoproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SAMPLES = 200 };
static const long MIN_BATCH_NS = 1000 * 1000;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, nanoproc_error *e) {
    fprintf(stderr, "bench: %s: %s\n", what, e ? nanoproc_error_message(e) : "wrong result");
    exit(1);
}

struct bench_case {
    const nanoproc_plugin *plugin;     /* fresh cases */
    const nanoproc_instance *instance; /* warm cases */
    const char *function;
    const uint8_t *input;
    size_t input_len;
};

static void one_call(const struct bench_case *c) {
    nanoproc_buf out;
    nanoproc_error *e =
        c->instance ? nanoproc_instance_call(c->instance, c->function, strlen(c->function),
                                             c->input, c->input_len, NULL, &out)
                    : nanoproc_plugin_call(c->plugin, c->function, strlen(c->function),
                                           c->input, c->input_len, NULL, &out);
    if (e || out.len != (c->input ? c->input_len : 0)) die(c->function, e);
    nanoproc_buf_free(&out);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void measure(const struct bench_case *c, double *median, double *p99) {
    long n = 1;
    for (;;) { /* warm up and size the batch */
        long long t = now_ns();
        for (long i = 0; i < n; i++) one_call(c);
        if (now_ns() - t >= MIN_BATCH_NS) break;
        n *= 2;
    }
    static double per_call[SAMPLES];
    for (int s = 0; s < SAMPLES; s++) {
        long long t = now_ns();
        for (long i = 0; i < n; i++) one_call(c);
        per_call[s] = (double)(now_ns() - t) / (double)n;
    }
    qsort(per_call, SAMPLES, sizeof per_call[0], by_value);
    *median = per_call[(int)((SAMPLES - 1) * 0.5 + 0.5)];
    *p99 = per_call[(int)((SAMPLES - 1) * 0.99 + 0.5)];
}

static const char *fmt(double ns, char *buf, size_t size) {
    if (ns < 10000) snprintf(buf, size, "%.0f ns", ns);
    else if (ns < 10000000) snprintf(buf, size, "%.1f us", ns / 1000);
    else snprintf(buf, size, "%.2f ms", ns / 1e6);
    return buf;
}

int main(int argc, char **argv) {
    const char *repo = argc > 1 ? argv[1] : ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/plugins/bin/echo.wasm", repo);

    nanoproc_engine *engine = NULL;
    nanoproc_plugin_builder *b = NULL;
    nanoproc_plugin *plugin = NULL;
    nanoproc_instance *instance = NULL;
    nanoproc_error *e;
    if ((e = nanoproc_engine_new(NANOPROC_ENGINE_POOLING, NULL, &engine))) die("engine", e);
    if ((e = nanoproc_plugin_builder_new(engine, &b))) die("builder", e);
    if ((e = nanoproc_plugin_builder_wasm_file(b, path))) die(path, e);
    if ((e = nanoproc_plugin_builder_build(b, &plugin))) die("build", e);
    if ((e = nanoproc_plugin_instance(plugin, &instance))) die("instance", e);

    size_t len = 64 << 10;
    uint8_t *input = malloc(len);
    memset(input, 'x', len);
    /* Correctness first: the same bytes back. */
    nanoproc_buf out;
    if ((e = nanoproc_plugin_call(plugin, "echo", 4, input, len, NULL, &out))) die("echo", e);
    if (out.len != len || memcmp(out.data, input, len) != 0) die("echo", NULL);
    nanoproc_buf_free(&out);

    struct {
        const char *name;
        struct bench_case c;
        double median, p99;
    } cases[] = {
        {"warm_noop", {NULL, instance, "noop", NULL, 0}, 0, 0},
        {"warm_echo_64k", {NULL, instance, "echo", input, len}, 0, 0},
        {"fresh_noop", {plugin, NULL, "noop", NULL, 0}, 0, 0},
        {"fresh_echo_64k", {plugin, NULL, "echo", input, len}, 0, 0},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    for (int i = 0; i < N; i++) measure(&cases[i].c, &cases[i].median, &cases[i].p99);

    char m[32], p[32];
    printf("%-16s %12s %12s\n", "case (C ABI)", "median", "p99");
    for (int i = 0; i < N; i++)
        printf("%-16s %12s %12s\n", cases[i].name, fmt(cases[i].median, m, sizeof m),
               fmt(cases[i].p99, p, sizeof p));
    for (int i = 0; i < N; i++)
        printf("RESULT c %s %.0f %.0f\n", cases[i].name, cases[i].median, cases[i].p99);
    printf("goal: warm no-op <= 200 ns: %s\n", cases[0].median <= 200 ? "yes" : "no");

    nanoproc_instance_free(instance);
    nanoproc_plugin_free(plugin);
    nanoproc_engine_free(engine);
    free(input);
    return nanoproc_live_objects() == 0 ? 0 : 1;
}
