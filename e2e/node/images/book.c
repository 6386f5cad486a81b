/*
 * A book, as small as one can be: the container the book-controller deploys for an instance, answering its triggers.
 * It listens on $BDK_BOOK_PORT (8080 by default), answers every request 200 {"accepted":true} and writes one line
 * per request to stdout, which the kubelet keeps as the container's log:
 *   {"instance":"<BDK_INSTANCE_ID>","method":"POST","path":"/webhooks/zendesk","request_id":"…","body_base64":"…"}
 * so a test reads from the log what reached the Pod, byte for byte.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum { max_request = 1 << 20 };

static void stop(int signal) {
  (void)signal;
  _exit(0);
}

static void print_base64(const unsigned char *bytes, size_t length) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < length; i += 3) {
    unsigned value = (unsigned)bytes[i] << 16;
    if (i + 1 < length) value |= (unsigned)bytes[i + 1] << 8;
    if (i + 2 < length) value |= bytes[i + 2];
    putchar(alphabet[(value >> 18) & 63]);
    putchar(alphabet[(value >> 12) & 63]);
    putchar(i + 1 < length ? alphabet[(value >> 6) & 63] : '=');
    putchar(i + 2 < length ? alphabet[value & 63] : '=');
  }
}

/* The value of a header (case-insensitive name) in the head, copied into value; empty when absent. */
static void header_value(const char *head, const char *name, char *value, size_t size) {
  value[0] = '\0';
  size_t name_length = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
    const char *start = line + 2;
    if (strncasecmp(start, name, name_length) != 0 || start[name_length] != ':') continue;
    start += name_length + 1;
    while (*start == ' ') start++;
    size_t length = strcspn(start, "\r");
    if (length >= size) length = size - 1;
    /* Only what a request id is made of, so the log line stays JSON. */
    for (size_t i = 0; i < length; i++) value[i] = isalnum((unsigned char)start[i]) || start[i] == '-' ? start[i] : '_';
    value[length] = '\0';
    return;
  }
}

static void serve(int client, const char *instance, char *request) {
  size_t got = 0;
  char *body = NULL;
  size_t body_length = 0;
  for (;;) {
    ssize_t n = read(client, request + got, max_request - 1 - got);
    if (n <= 0) return;
    got += (size_t)n;
    request[got] = '\0';
    char *end = strstr(request, "\r\n\r\n");
    if (!end) {
      if (got == max_request - 1) return;
      continue;
    }
    char length_text[32];
    *end = '\0';
    header_value(request, "Content-Length", length_text, sizeof length_text);
    *end = '\r';
    body = end + 4;
    body_length = strtoul(length_text, NULL, 10);
    if (body + body_length > request + max_request - 1) return;
    if ((size_t)(request + got - body) >= body_length) break;
  }
  char method[16] = "", path[512] = "", request_id[128];
  sscanf(request, "%15s %511s", method, path);
  char *end = strstr(request, "\r\n\r\n");
  *end = '\0';
  header_value(request, "X-Request-Id", request_id, sizeof request_id);
  for (char *c = path; *c; c++) if (*c == '"' || *c == '\\') *c = '_';
  printf("{\"instance\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"request_id\":\"%s\",\"body_base64\":\"", instance, method, path, request_id);
  print_base64((const unsigned char *)body, body_length);
  printf("\"}\n");
  fflush(stdout);
  static const char response[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{\"accepted\":true}";
  (void)!write(client, response, sizeof response - 1);
}

int main(void) {
  signal(SIGTERM, stop);
  signal(SIGINT, stop);
  signal(SIGPIPE, SIG_IGN);
  const char *port_text = getenv("BDK_BOOK_PORT");
  int port = port_text ? atoi(port_text) : 8080;
  const char *instance = getenv("BDK_INSTANCE_ID");
  if (!instance) instance = "";
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (server < 0 || bind(server, (struct sockaddr *)&address, sizeof address) < 0 || listen(server, 64) < 0) {
    perror("book: listen");
    return 1;
  }
  fprintf(stderr, "book: instance %s listening on %d\n", instance, port);
  char *request = malloc(max_request);
  if (!request) return 1;
  for (;;) {
    int client = accept(server, NULL, NULL);
    if (client < 0) continue;
    serve(client, instance, request);
    close(client);
  }
}
