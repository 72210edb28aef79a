/* The control socket: a UNIX stream socket on which vigilctl sends one JSON
 * request line and reads one JSON answer (docs/status-json.md). The server
 * lives in the daemon's event loop and never blocks it: slow or silent
 * clients are cut off after a deadline, requests and answers are bounded. */
#ifndef VIGIL_API_H
#define VIGIL_API_H

#include <jansson.h>
#include <systemd/sd-event.h>

struct api_server;

/* Answers one request; returns a new JSON reference (an object with an
 * "error" key for a failure). `command` is the request's "command" string. */
typedef json_t *(*api_handler)(const char *command, json_t *request, void *userdata);

/* Bind the socket at `path` (mode 0600; its directory is created), refusing
 * when another daemon answers there. */
int api_server_open(struct api_server **out, sd_event *ev, const char *path, api_handler handler,
                    void *userdata);
void api_server_close(struct api_server *s);

/* Build {"error": "..."} */
json_t *api_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
