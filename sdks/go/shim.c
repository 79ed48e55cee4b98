// shim.c: C helpers of the Go SDK; see shim.h.
#include <string.h>
#include "shim.h"
#include "_cgo_export.h"

static char *np_strdup(const char *s) {
  if (s == NULL) {
    s = "";
  }
  size_t n = strlen(s);
  char *copy = malloc(n + 1);
  if (copy != NULL) {
    memcpy(copy, s, n + 1);
  }
  return copy;
}

void np_take_error(nanoproc_error *err, np_error_info *info) {
  info->kind = (int32_t)nanoproc_error_get_kind(err);
  info->exit_code = nanoproc_error_exit_code(err);
  info->message = np_strdup(nanoproc_error_message(err));
  info->detail = np_strdup(nanoproc_error_detail(err));
  nanoproc_error_free(err);
}

static int32_t np_host_trampoline(void *user_data, nanoproc_host_call *call, const uint8_t *input,
                                  size_t input_len) {
  return nanoprocGoHostFn((uintptr_t)user_data, call, (uint8_t *)input, input_len);
}

static void np_free_handle(void *user_data) { nanoprocGoDeleteHandle((uintptr_t)user_data); }

static void np_audit_trampoline(void *user_data, const char *json, size_t json_len) {
  nanoprocGoAudit((uintptr_t)user_data, (char *)json, json_len);
}

nanoproc_error *np_builder_host_fn(nanoproc_plugin_builder *builder, const char *ns,
                                   const char *name, uintptr_t handle) {
  return nanoproc_plugin_builder_host_fn(builder, ns, name, np_host_trampoline, (void *)handle,
                                         np_free_handle);
}

nanoproc_error *np_builder_audit_fn(nanoproc_plugin_builder *builder, uintptr_t handle) {
  return nanoproc_plugin_builder_audit_callback(builder, np_audit_trampoline, (void *)handle,
                                                np_free_handle);
}

nanoproc_error *np_instance_call(const nanoproc_instance *instance, const char *function,
                                 size_t function_len, const uint8_t *input, size_t input_len,
                                 int use_options, uintptr_t scratch) {
  np_scratch *s = (np_scratch *)scratch;
  return nanoproc_instance_call(instance, function, function_len, input, input_len,
                                use_options ? &s->options : NULL, &s->out);
}
