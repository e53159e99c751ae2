/* Linux: the TCP listeners of a port, or all, read through sock_diag. */
#include "tcpq_info.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define LINUX_TCP_LISTEN 10 /* include/net/tcp_states.h, a stable ABI */
#define NETLINK_TIMEOUT_MS 2000
#define NETLINK_MAX_RECEIVES 4096 /* per dump; a dump needs a few */

/* One listener from an inet_diag message, added to list when on `port`
   (0: any). */
static void add_listener(const struct inet_diag_msg *message, int port,
                         struct listener *list, size_t capacity, size_t *count,
                         size_t *left_out)
{
    struct listener *listener;
    struct sockaddr_storage address;
    socklen_t address_length;

    if (message->idiag_state != LINUX_TCP_LISTEN ||
        (port != 0 && ntohs(message->id.idiag_sport) != port)) {
        return;
    }
    if (*count >= capacity) {
        (*left_out)++;
        return;
    }
    listener = &list[(*count)++];
    memset(listener, 0, sizeof *listener);
    memset(&address, 0, sizeof address);
    listener->family = message->idiag_family;
    listener->port = ntohs(message->id.idiag_sport);
    listener->inode = message->idiag_inode;
    listener->queue_len = (int)message->idiag_rqueue;
    listener->queue_limit = (int)message->idiag_wqueue;
    if (message->idiag_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = message->id.idiag_sport;
        memcpy(&in6->sin6_addr, message->id.idiag_src, 16);
        if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
            in6->sin6_scope_id = message->id.idiag_if;
        memcpy(listener->address, message->id.idiag_src, 16);
        address_length = sizeof *in6;
    } else {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&address;

        in4->sin_family = AF_INET;
        in4->sin_port = message->id.idiag_sport;
        memcpy(&in4->sin_addr, message->id.idiag_src, 4);
        memcpy(listener->address, message->id.idiag_src, 4);
        address_length = sizeof *in4;
    }
    format_address((struct sockaddr *)&address, address_length, listener->text,
                   sizeof listener->text, "address");
    format_host((struct sockaddr *)&address, address_length, listener->host,
                sizeof listener->host, "address");
}

/* One sock_diag dump of the TCP listeners of one family. The kernel
   answers with messages ending in NLMSG_DONE, or with NLMSG_ERROR; each
   receive waits at most NETLINK_TIMEOUT_MS (SO_RCVTIMEO), the whole dump
   at most NETLINK_MAX_RECEIVES receives. Returns 0, or -1 with errno (and
   *step naming what failed). */
static int dump_listeners(int netlink_fd, int family, unsigned sequence,
                          int port, struct listener *list, size_t capacity,
                          size_t *count, size_t *left_out, const char **step)
{
    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
    } query;
    struct sockaddr_nl kernel;
    long buffer[8192]; /* 64 KiB, aligned for struct nlmsghdr */
    int receives;

    memset(&query, 0, sizeof query);
    query.header.nlmsg_len = NLMSG_LENGTH(sizeof query.request);
    query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    query.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    query.header.nlmsg_seq = sequence;
    query.request.sdiag_family = (__u8)family;
    query.request.sdiag_protocol = IPPROTO_TCP;
    query.request.idiag_states = 1u << LINUX_TCP_LISTEN;
    /* With a source port set the kernel skips other listeners (0: it
       skips none): only an optimisation, the port is checked again in
       add_listener. */
    query.request.id.idiag_sport = htons((unsigned short)port);
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;

    *step = "netlink send";
    if (sendto(netlink_fd, &query, query.header.nlmsg_len, 0,
               (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        return -1;
    }
    for (receives = 0; receives < NETLINK_MAX_RECEIVES; receives++) {
        struct iovec vector;
        struct msghdr reply;
        ssize_t received;
        size_t offset = 0;

        memset(&reply, 0, sizeof reply);
        vector.iov_base = buffer;
        vector.iov_len = sizeof buffer;
        reply.msg_iov = &vector;
        reply.msg_iovlen = 1;
        *step = "netlink receive";
        received = recvmsg(netlink_fd, &reply, 0);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                errno = ETIMEDOUT;
            return -1;
        }
        if (reply.msg_flags & MSG_TRUNC) {
            errno = EMSGSIZE;
            return -1;
        }
        while (offset + sizeof(struct nlmsghdr) <= (size_t)received) {
            const struct nlmsghdr *header =
                (const struct nlmsghdr *)((const char *)buffer + offset);
            const size_t length = header->nlmsg_len;

            *step = "netlink reply";
            if (length < sizeof *header || length > (size_t)received - offset) {
                errno = EPROTO;
                return -1;
            }
            offset +=
                (length + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);
            if (header->nlmsg_seq != sequence)
                continue; /* a stale answer */
            if (header->nlmsg_type == NLMSG_DONE)
                return 0;
            if (header->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *error = NLMSG_DATA(header);

                if (length < NLMSG_LENGTH(sizeof *error)) {
                    errno = EPROTO;
                    return -1;
                }
                if (error->error == 0)
                    continue; /* an acknowledgement */
                *step = "sock_diag";
                errno = -error->error;
                return -1;
            }
            if (header->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
                length >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
                add_listener(NLMSG_DATA(header), port, list, capacity, count,
                             left_out);
            }
        }
    }
    *step = "netlink reply";
    errno = EPROTO; /* no NLMSG_DONE after so many receives */
    return -1;
}

int listener_source_open(struct listener_source *source)
{
    const struct timeval receive_timeout = {
        NETLINK_TIMEOUT_MS / 1000,
        (suseconds_t)(NETLINK_TIMEOUT_MS % 1000) * 1000};

    source->sequence = 0;
    source->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (source->fd < 0) {
        fprintf(stderr, PROGRAM_NAME ": netlink socket (sock_diag): %s\n",
                strerror(errno));
        return -1;
    }
    if (setsockopt(source->fd, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout,
                   sizeof receive_timeout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": setsockopt SO_RCVTIMEO: %s\n",
                strerror(errno));
        close(source->fd);
        return -1;
    }
    return 0;
}

int listener_source_list(struct listener_source *source, int port,
                         struct listener *list, size_t capacity, size_t *count,
                         size_t *left_out)
{
    static const int families[] = {AF_INET, AF_INET6};
    size_t i;

    for (i = 0; i < sizeof families / sizeof families[0]; i++) {
        const char *step = "";

        if (dump_listeners(source->fd, families[i], ++source->sequence, port,
                           list, capacity, count, left_out, &step) != 0) {
            if (families[i] == AF_INET6 &&
                (errno == ENOENT || errno == EAFNOSUPPORT))
                continue; /* no IPv6 in this kernel */
            fprintf(stderr, PROGRAM_NAME ": %s (%s listeners): %s\n", step,
                    families[i] == AF_INET ? "IPv4" : "IPv6", strerror(errno));
            return -1;
        }
    }
    return 0;
}

void listener_source_close(struct listener_source *source)
{
    close(source->fd);
    source->fd = -1;
}
