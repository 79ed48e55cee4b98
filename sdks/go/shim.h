/* shim.h: small C helpers of the Go SDK (compiled by cgo from shim.c). Not part of the API. */
#ifndef NANOPROC_GO_SHIM_H
#define NANOPROC_GO_SHIM_H

#include <stdint.h>
#include <stdlib.h>
#include "nanoproc.h"

/* An error object read in one crossing: kind, exit code, and copies of its texts (free them
 * with free()). The error itself is freed. */
typedef struct np_error_info {
  int32_t kind;
  int32_t exit_code;
  char *message;
  char *detail;
} np_error_info;

void np_take_error(nanoproc_error *err, np_error_info *info);

/* Registers a Go host function: `handle` is a runtime/cgo.Handle, deleted when nanoproc frees
 * the user data. */
nanoproc_error *np_builder_host_fn(nanoproc_plugin_builder *builder, const char *ns,
                                   const char *name, uintptr_t handle);

/* Streams audit events to a Go function (a runtime/cgo.Handle). */
nanoproc_error *np_builder_audit_fn(nanoproc_plugin_builder *builder, uintptr_t handle);

/* Per-call scratch in C memory, so a warm call allocates nothing on the Go heap. */
typedef struct np_scratch {
  nanoproc_buf out;
  nanoproc_call_options options;
} np_scratch;

/* nanoproc_instance_call with the output buffer (and, if use_options, the options) of the
 * scratch at address `scratch` (C memory, passed as an integer so cgo has no Go pointer to
 * check). */
nanoproc_error *np_instance_call(const nanoproc_instance *instance, const char *function,
                                 size_t function_len, const uint8_t *input, size_t input_len,
                                 int use_options, uintptr_t scratch);

#endif
