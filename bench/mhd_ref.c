/* mhd_ref: the benchmark's anchor, a small static-file server written
 * against Debian's libmicrohttpd, configured the way step03/step04 work:
 * MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL with a pool of
 * MHD_OPTION_THREAD_POOL_SIZE workers, each polling the listening socket
 * and its own connections.
 *
 *   mhd_ref --root DIR [--host 127.0.0.1] [--port 0] [--threads 2]
 *           [--timeout 15] [--mode fd|mem]
 *
 * --mode fd   (default) opens the file on every request and hands the
 *             descriptor to MHD_create_response_from_fd64 (sendfile), as
 *             the steps do;
 * --mode mem  loads every regular file directly under --root at start-up
 *             and queues the same in-memory response each time: the
 *             ceiling that a file cache buys.
 *
 * Like the steps (docs/contract.md) it prints exactly one line on stdout
 * when ready, "listening on http://127.0.0.1:PORT", and stops on SIGINT or
 * SIGTERM, so one launcher handles every server.
 *
 * Build: cc -O2 -o mhd_ref mhd_ref.c $(pkg-config --cflags --libs libmicrohttpd)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum mode { MODE_FD, MODE_MEM };

struct cached {
  char url[300];
  struct MHD_Response *response;
};

static const char *g_root = "www";
static enum mode g_mode = MODE_FD;
static struct cached g_cache[64];
static size_t g_cached = 0;
static struct MHD_Response *g_not_found, *g_forbidden, *g_not_implemented;

static const char *mime_type(const char *path) {
  const char *dot = strrchr(path, '.');
  if (!dot) return "application/octet-stream";
  if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
  if (!strcmp(dot, ".txt")) return "text/plain; charset=utf-8";
  if (!strcmp(dot, ".css")) return "text/css";
  if (!strcmp(dot, ".json")) return "application/json";
  if (!strcmp(dot, ".png")) return "image/png";
  return "application/octet-stream";
}

static struct MHD_Response *text_response(const char *text) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  return r;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls) {
  (void)cls; (void)version; (void)upload_data;
  /* The first call only announces the request. Answering in it makes
   * libmicrohttpd 0.9.75 close the connection after the response (it cannot
   * know the request's body was read), so keep-alive needs the usual
   * two-call pattern of the library's own examples. */
  static int marker;
  if (*req_cls != &marker) {
    *req_cls = &marker;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {  /* a body we do not want: discard it */
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return MHD_queue_response(connection, MHD_HTTP_NOT_IMPLEMENTED, g_not_implemented);
  if (url[0] != '/' || strstr(url, "..") != NULL)
    return MHD_queue_response(connection, MHD_HTTP_FORBIDDEN, g_forbidden);

  if (g_mode == MODE_MEM) {
    for (size_t i = 0; i < g_cached; ++i)
      if (!strcmp(g_cache[i].url, url))
        return MHD_queue_response(connection, MHD_HTTP_OK, g_cache[i].response);
    return MHD_queue_response(connection, MHD_HTTP_NOT_FOUND, g_not_found);
  }

  char path[4096];
  if (snprintf(path, sizeof path, "%s%s", g_root, url) >= (int)sizeof path)
    return MHD_queue_response(connection, MHD_HTTP_NOT_FOUND, g_not_found);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MHD_queue_response(connection, MHD_HTTP_NOT_FOUND, g_not_found);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return MHD_queue_response(connection, MHD_HTTP_FORBIDDEN, g_forbidden);
  }
  /* MHD closes fd when the response is destroyed. */
  struct MHD_Response *response = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
  if (!response) {
    close(fd);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, mime_type(path));
  enum MHD_Result ret = MHD_queue_response(connection, MHD_HTTP_OK, response);
  MHD_destroy_response(response);
  return ret;
}

static void load_cache(void) {
  DIR *dir = opendir(g_root);
  if (!dir) {
    fprintf(stderr, "mhd_ref: --root '%s': %s\n", g_root, strerror(errno));
    exit(1);
  }
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL && g_cached < sizeof g_cache / sizeof g_cache[0]) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_root, entry->d_name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char *data = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
      ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
      if (n <= 0) break;
      got += (size_t)n;
    }
    close(fd);
    struct cached *c = &g_cache[g_cached++];
    snprintf(c->url, sizeof c->url, "/%s", entry->d_name);
    c->response = MHD_create_response_from_buffer(got, data, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(c->response, MHD_HTTP_HEADER_CONTENT_TYPE, mime_type(path));
  }
  closedir(dir);
}

static int number(const char *text, long low, long high, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || *end || end == text || v < low || v > high) return 0;
  *out = v;
  return 1;
}

static void usage(FILE *to) {
  fputs("usage: mhd_ref --root DIR [--host 127.0.0.1] [--port 0] [--threads 2]\n"
        "               [--timeout 15] [--mode fd|mem]\n", to);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = 8080, threads = 2, timeout = 15;
  for (int i = 1; i < argc; ++i) {
    const char *name = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(name, "--help")) { usage(stdout); return 0; }
    if (!value) { usage(stderr); return 2; }
    ++i;
    if (!strcmp(name, "--root")) g_root = value;
    else if (!strcmp(name, "--host")) host = value;
    else if (!strcmp(name, "--port")) { if (!number(value, 0, 65535, &port)) return 2; }
    else if (!strcmp(name, "--threads")) { if (!number(value, 1, 256, &threads)) return 2; }
    else if (!strcmp(name, "--timeout")) { if (!number(value, 0, 86400, &timeout)) return 2; }
    else if (!strcmp(name, "--mode")) {
      if (!strcmp(value, "fd")) g_mode = MODE_FD;
      else if (!strcmp(value, "mem")) g_mode = MODE_MEM;
      else { usage(stderr); return 2; }
    } else { fprintf(stderr, "mhd_ref: unknown option %s\n", name); return 2; }
  }

  /* Thousands of idle connections need as many descriptors. */
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  g_not_found = text_response("404 Not Found\n");
  g_forbidden = text_response("403 Forbidden\n");
  g_not_implemented = text_response("501 Not Implemented\n");
  if (g_mode == MODE_MEM) load_cache();

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "mhd_ref: --host '%s' is not an IPv4 address\n", host);
    return 1;
  }

  /* The workers inherit this mask; only sigwait() below takes the signals. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  unsigned int connection_limit = limit.rlim_cur > 64 ? (unsigned int)(limit.rlim_cur - 32) : 32;
  struct MHD_Daemon *daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
      &answer, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)timeout,
      MHD_OPTION_CONNECTION_LIMIT, connection_limit,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)SOMAXCONN,
      MHD_OPTION_END);
  if (!daemon) {
    fprintf(stderr, "mhd_ref: MHD_start_daemon failed on %s:%ld\n", host, port);
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  printf("listening on http://%s:%u\n", host, info ? (unsigned)info->port : (unsigned)port);
  fflush(stdout);

  int signo = 0;
  sigwait(&stop, &signo);
  MHD_stop_daemon(daemon);
  return 0;
}
