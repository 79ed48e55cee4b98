/*
 * isolate: a C host runs untrusted plugin functions, each call in a fresh sandbox. One plugin
 * (call_host.wasm) calls back into the host through `host::greet`, a host function written
 * here in C with user data; another (echo.wasm) has functions that misbehave: `spin` loops
 * forever and `trap` crashes. Neither a runaway nor a crash touches the next call. Every
 * event the sandboxes were allowed or denied is streamed to an audit callback, and the
 * trail each plugin kept is printed at the end.
 *
 *   isolate [REPO]    REPO: the nanoproc repository (default `.`), for the plugins' paths
 *
 * Set NANOPROC_EXAMPLE_NO_POOLING=1 to use on-demand allocation instead of the pooling
 * allocator (for valgrind, which cannot reserve the pool's address space). Exit 0 when every
 * step behaved as described.
 */
#define _GNU_SOURCE /* memmem */
#include "nanoproc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* The host function's user data. Host functions may run on any thread that calls the
 * plugin, so what they share is locked. */
struct greeter {
    const char *greeting;
    pthread_mutex_t lock;
    int calls;
};

/* host::greet: answers "<greeting>, <input>!". */
static int32_t greet(void *user_data, nanoproc_host_call *call, const uint8_t *input, size_t len) {
    struct greeter *g = user_data;
    pthread_mutex_lock(&g->lock);
    g->calls++;
    pthread_mutex_unlock(&g->lock);
    if (len == 0) {
        nanoproc_host_call_set_error(call, "greet needs a name");
        return 1;
    }
    char out[256];
    int n = snprintf(out, sizeof out, "%s, %.*s!", g->greeting, (int)len, (const char *)input);
    nanoproc_host_call_set_output(call, (const uint8_t *)out, (size_t)n);
    return 0;
}

static void greeter_free(void *user_data) {
    struct greeter *g = user_data;
    printf("host: greeter freed after %d calls\n", g->calls);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* Streams audit events (one JSON object each) as they happen. */
static void audit(void *user_data, const char *json, size_t len) {
    printf("  audit[%s] %.*s\n", (const char *)user_data, (int)len, json);
}

static nanoproc_plugin *build(nanoproc_engine *engine, const char *path, const char *name,
                              const nanoproc_policy_builder *policy, struct greeter *g) {
    nanoproc_plugin_builder *b = NULL;
    nanoproc_plugin *p = NULL;
    nanoproc_error *e = nanoproc_plugin_builder_new(engine, &b);
    if (!e) e = nanoproc_plugin_builder_wasm_file(b, path);
    if (!e) e = nanoproc_plugin_builder_name(b, name);
    if (!e) e = nanoproc_plugin_builder_policy(b, policy);
    if (!e && g) e = nanoproc_plugin_builder_host_fn(b, "host", "greet", greet, g, greeter_free);
    if (!e) e = nanoproc_plugin_builder_audit_callback(b, audit, (void *)name, NULL);
    if (!e) e = nanoproc_plugin_builder_build(b, &p);
    if (e) {
        printf("cannot build %s: %s\n", name, nanoproc_error_message(e));
        nanoproc_error_free(e);
        nanoproc_plugin_builder_free(b); /* ignored if the build consumed it */
        failures++;
        return NULL;
    }
    return p;
}

/* One untrusted call, in a fresh sandbox; `want` is the error kind expected (0: success). */
static void call(const nanoproc_plugin *p, const char *plugin, const char *function,
                 const char *input, nanoproc_error_kind want) {
    nanoproc_buf out = {0};
    nanoproc_error *e = nanoproc_plugin_call(p, function, strlen(function), (const uint8_t *)input,
                                             strlen(input), NULL, &out);
    if (e == NULL) {
        printf("%s.%s(\"%s\") = \"%.*s\"\n", plugin, function, input, (int)out.len,
               (const char *)out.data);
    } else {
        printf("%s.%s(\"%s\") failed: %s (exit code %d)\n", plugin, function, input,
               nanoproc_error_message(e), nanoproc_error_exit_code(e));
    }
    nanoproc_error_kind got = e ? nanoproc_error_get_kind(e) : 0;
    if (got != want) failures++, printf("  (expected error kind %d, got %d)\n", want, got);
    nanoproc_error_free(e);
    nanoproc_buf_free(&out);
}

int main(int argc, char **argv) {
    const char *repo = argc > 1 ? argv[1] : ".";
    const char *nopool = getenv("NANOPROC_EXAMPLE_NO_POOLING");
    uint32_t flags = NANOPROC_ENGINE_FUEL;
    if (!(nopool && strcmp(nopool, "1") == 0)) flags |= NANOPROC_ENGINE_POOLING;
    char call_host[4096], echo[4096];
    snprintf(call_host, sizeof call_host, "%s/examples/plugins/bin/call_host.wasm", repo);
    snprintf(echo, sizeof echo, "%s/examples/plugins/bin/echo.wasm", repo);

    nanoproc_engine *engine = NULL;
    nanoproc_error *e = nanoproc_engine_new(flags, NULL, &engine);
    if (e) {
        printf("engine: %s\n", nanoproc_error_message(e));
        nanoproc_error_free(e);
        return 1;
    }

    /* Untrusted code gets little: 16 MiB, 200 ms per call, and (for one) host::greet. */
    nanoproc_policy_builder *policy = nanoproc_policy_builder_new();
    nanoproc_policy_builder_max_memory(policy, 16 << 20);
    nanoproc_policy_builder_timeout_ms(policy, 200);
    nanoproc_policy_builder *greeting_policy = nanoproc_policy_builder_new();
    nanoproc_policy_builder_max_memory(greeting_policy, 16 << 20);
    nanoproc_policy_builder_timeout_ms(greeting_policy, 200);
    nanoproc_policy_builder_allow_host_fn(greeting_policy, "host::greet");

    struct greeter *g = calloc(1, sizeof *g);
    g->greeting = "hello";
    pthread_mutex_init(&g->lock, NULL);
    nanoproc_plugin *greeter = build(engine, call_host, "greeter", greeting_policy, g);
    nanoproc_plugin *tools = build(engine, echo, "tools", policy, NULL);
    nanoproc_policy_builder_free(policy);
    nanoproc_policy_builder_free(greeting_policy);
    if (!greeter || !tools) return 1;

    call(greeter, "greeter", "call_host", "alice", 0);
    call(tools, "tools", "spin", "", NANOPROC_ERROR_TIME_LIMIT);
    call(tools, "tools", "trap", "", NANOPROC_ERROR_TRAP);
    call(greeter, "greeter", "call_host", "", NANOPROC_ERROR_HOST_FUNCTION);
    call(greeter, "greeter", "call_host", "bob", 0);
    call(tools, "tools", "echo", "still answering", 0);

    /* The trail each plugin kept (JSON), as a host would ship it to its logs. */
    nanoproc_buf trail = {0};
    nanoproc_error *te = nanoproc_plugin_audit_take(greeter, &trail);
    if (te == NULL) {
        printf("greeter's kept audit trail: %.*s\n", (int)trail.len, (const char *)trail.data);
        if (!memmem(trail.data, trail.len, "host::greet", 11)) failures++;
    } else {
        failures++;
        nanoproc_error_free(te);
    }
    nanoproc_buf_free(&trail);

    nanoproc_plugin_free(greeter); /* frees the greeter's user data (greeter_free) */
    nanoproc_plugin_free(tools);
    nanoproc_engine_free(engine);
    if (nanoproc_live_objects() != 0) failures++, printf("handles left: %zu\n", nanoproc_live_objects());
    printf("isolate: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
