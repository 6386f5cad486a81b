/*
 * The test Pods' container: an HTTP/1.0 server on port 8080, static, so that its image is this one file.
 *   GET /ready  200, or 503 when the environment says READY=false; counts its calls (the kubelet's probes)
 *   GET /       {"hostname":…,"uid":…,"probes":…}: the Pod's host name (its own UTS namespace), its uid, the count
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void stop(int signal) {
  (void)signal;
  _exit(0);
}

static void answer(int client, const char *status, const char *type, const char *body) {
  char response[1024];
  int length = snprintf(response, sizeof response, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                        status, type, strlen(body), body);
  if (length > 0) (void)!write(client, response, (size_t)length);
}

int main(void) {
  signal(SIGTERM, stop);
  signal(SIGINT, stop);
  signal(SIGPIPE, SIG_IGN);
  const char *ready_env = getenv("READY");
  int ready = !(ready_env && strcmp(ready_env, "false") == 0);
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(8080), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (server < 0 || bind(server, (struct sockaddr *)&address, sizeof address) < 0 || listen(server, 16) < 0) {
    perror("probe-server: listen on 8080");
    return 1;
  }
  fprintf(stderr, "probe-server: listening on 8080 (ready: %s)\n", ready ? "yes" : "no");
  unsigned long probes = 0;
  for (;;) {
    int client = accept(server, NULL, NULL);
    if (client < 0) continue;
    char request[2048];
    ssize_t got = read(client, request, sizeof request - 1);
    request[got > 0 ? got : 0] = '\0';
    if (strncmp(request, "GET /ready ", 11) == 0) {
      probes += 1;
      answer(client, ready ? "200 OK" : "503 Service Unavailable", "text/plain", ready ? "ready" : "not ready");
    } else if (strncmp(request, "GET / ", 6) == 0) {
      char hostname[256] = "";
      gethostname(hostname, sizeof hostname - 1);
      char body[512];
      snprintf(body, sizeof body, "{\"hostname\":\"%s\",\"uid\":%u,\"probes\":%lu}", hostname, (unsigned)getuid(), probes);
      answer(client, "200 OK", "application/json", body);
    } else {
      answer(client, "404 Not Found", "text/plain", "not found");
    }
    close(client);
  }
}
