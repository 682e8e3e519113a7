// Ledgerline plugin ABI v1: the only types that cross between the server and a plugin.
// Everything else is JSON bytes. See ARCHITECTURE.md §7.
#ifndef LEDGERLINE_PLUGIN_ABI_H
#define LEDGERLINE_PLUGIN_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The ABI version this header describes; `plugin_abi_version()` returns it.
#define LEDGERLINE_PLUGIN_ABI_VERSION 1

/// Completion of an asynchronous operation. `status` 0: `bytes` is the JSON result;
/// non-zero: `bytes` is an error object `{"code": "...", "message": "..."}`. The bytes are only
/// valid during the call: the receiver copies them.
typedef void (*plugin_done_fn)(void *ctx, int32_t status, const uint8_t *bytes, long len);

/// Log levels for `host_v1.log`, most to least verbose.
enum {
    PLUGIN_LOG_TRACE = 0,
    PLUGIN_LOG_DEBUG = 1,
    PLUGIN_LOG_INFO = 2,
    PLUGIN_LOG_NOTICE = 3,
    PLUGIN_LOG_WARNING = 4,
    PLUGIN_LOG_ERROR = 5
};

/// Capabilities the host lends a plugin at create. The table and its `context` stay valid for
/// the life of the process (plugins are never unloaded).
typedef struct host_v1 {
    /// Opaque host state; pass it back as the first argument of every function below.
    void *context;
    /// Writes one UTF-8 message to the host's log.
    void (*log)(void *context, int32_t level, const uint8_t *message, long len);
    /// Performs an HTTP request described by JSON (`{"method","url","headers":[{"name","value"}],
    /// "bodyBase64","timeoutSeconds"}`) and completes once through `done` with the response JSON
    /// (`{"status","headers","bodyBase64"}`) or an error object.
    void (*http)(void *context, const uint8_t *request, long len, plugin_done_fn done, void *ctx);
} host_v1;

/// The five symbols every plugin exports (and nothing else).
typedef uint32_t (*plugin_abi_version_fn)(void);
typedef const char *(*plugin_v1_manifest_fn)(void);
typedef void *(*plugin_v1_create_fn)(const uint8_t *config_json, long len, const host_v1 *host);
typedef void (*plugin_v1_call_fn)(void *handle, const char *method, const uint8_t *params, long len,
                                  plugin_done_fn done, void *ctx);
typedef void (*plugin_v1_destroy_fn)(void *handle);

#ifdef __cplusplus
}
#endif

#endif
