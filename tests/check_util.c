/* Test plumbing: the capability probe, namespace children and the kernel
   measurements the test files share. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_tcpq.h"

struct tq_caps tq_caps;
static int skipped;

/* ---- files --------------------------------------------------------------- */

int tq_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(text);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = write(fd, text, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

long tq_read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long value = -1;

    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld", &value) != 1)
        value = -1;
    fclose(f);
    return value;
}

/* ---- namespaces ---------------------------------------------------------- */

static int write_id_map(const char *path, unsigned long id)
{
    char line[64];
    snprintf(line, sizeof line, "0 %lu 1\n", id);
    return tq_write_file(path, line);
}

static int enter_user_ns(void)
{
    unsigned long uid = (unsigned long)getuid();
    unsigned long gid = (unsigned long)getgid();

    if (unshare(CLONE_NEWUSER) < 0)
        return -1;
    if (write_id_map("/proc/self/uid_map", uid) < 0)
        return -1;
    tq_write_file("/proc/self/setgroups", "deny");
    return write_id_map("/proc/self/gid_map", gid);
}

static int loopback_up(void)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = -1;

    if (fd < 0)
        return -1;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    close(fd);
    return rc;
}

/* Enters the namespaces; 0 or -1 with a reason. */
static int enter_namespaces(unsigned ns, char *why, size_t cap)
{
    int flags = 0;

    if (ns & TQ_NS_NET)
        flags |= CLONE_NEWNET;
    if (ns & TQ_NS_MOUNT)
        flags |= CLONE_NEWNS;
    if ((ns & TQ_NS_USER) || (flags != 0 && unshare(flags) < 0)) {
        if (enter_user_ns() < 0 || (flags != 0 && unshare(flags) < 0)) {
            snprintf(why, cap, "unshare: %s", strerror(errno));
            return -1;
        }
    }
    if ((ns & TQ_NS_MOUNT) &&
        mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
        snprintf(why, cap, "mount --make-rprivate /: %s", strerror(errno));
        return -1;
    }
    if ((ns & TQ_NS_NET) && loopback_up() < 0) {
        snprintf(why, cap, "ip link set lo up: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Runs fn in a child; *why gets the reason; returns the child's status:
   0 ok, 1 failed, 2 could not enter the namespaces, 3 died. */
static int run_child(unsigned ns, tq_child_fn fn, void *arg, char *why,
                     size_t cap)
{
    int pipefd[2];
    pid_t pid;
    int status = 0;
    ssize_t n;
    size_t used = 0;

    why[0] = '\0';
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(why, cap, "pipe: %s", strerror(errno));
        return 3;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(why, cap, "fork: %s", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return 3;
    }
    if (pid == 0) {
        char text[512] = "";
        int rc;
        close(pipefd[0]);
        if (enter_namespaces(ns, text, sizeof text) < 0)
            rc = 2;
        else
            rc = fn(arg, text, sizeof text) == 0 ? 0 : 1;
        if (write(pipefd[1], text, strlen(text)) < 0)
            rc = 3;
        _exit(rc);
    }
    close(pipefd[1]);
    while (used + 1 < cap &&
           ((n = read(pipefd[0], why + used, cap - 1 - used)) > 0 ||
            (n < 0 && errno == EINTR)))
        if (n > 0)
            used += (size_t)n;
    why[used] = '\0';
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status)) {
        snprintf(why, cap, "child died (signal %d)",
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return 3;
    }
    return WEXITSTATUS(status);
}

void tq_run_in_child(unsigned ns, tq_child_fn fn, void *arg)
{
    char why[512];
    int rc = run_child(ns, fn, arg, why, sizeof why);

    ck_assert_msg(rc == 0, "%s: %s",
                  rc == 2   ? "namespace setup"
                  : rc == 3 ? "child"
                            : "in namespace",
                  why);
}

static int probe_ok(void *arg, char *why, size_t cap)
{
    (void)arg;
    (void)why;
    (void)cap;
    return 0;
}

/* Runs the shell command in arg; fails when it does. */
static int probe_command(void *arg, char *why, size_t cap)
{
    TQ_REQUIRE(system(arg) == 0, "%s failed", (const char *)arg);
    return 0;
}

void tq_probe(void)
{
    char why[512];

    tq_caps.netns = run_child(TQ_NS_NET, probe_ok, NULL, why, sizeof why) == 0;
    tq_caps.userns =
        run_child(TQ_NS_USER, probe_ok, NULL, why, sizeof why) == 0;
    tq_caps.mountns = run_child(TQ_NS_NET | TQ_NS_MOUNT, probe_ok, NULL, why,
                                sizeof why) == 0;
    tq_caps.have_ss = run_child(0, probe_command, "ss -ltn >/dev/null 2>&1",
                                why, sizeof why) == 0;
    tq_caps.have_nft =
        tq_caps.netns &&
        run_child(TQ_NS_NET, probe_command, "nft list ruleset >/dev/null 2>&1",
                  why, sizeof why) == 0;
    tq_caps.veth =
        tq_caps.netns && run_child(TQ_NS_NET, probe_command,
                                   "ip link add tqprobe0 type veth peer name "
                                   "tqprobe1 >/dev/null 2>&1",
                                   why, sizeof why) == 0;
}

TCase *tq_tcase_if(Suite *s, const char *name, int ok, int n, const char *why)
{
    TCase *tc;

    if (!ok) {
        printf("SKIP %s (%d tests): %s\n", name, n, why);
        skipped += n;
        return NULL;
    }
    tc = tcase_create(name);
    suite_add_tcase(s, tc);
    return tc;
}

int tq_skipped(void)
{
    return skipped;
}

/* ---- measurements -------------------------------------------------------- */

int tq_open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *entry;
    int count = 0;

    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL)
        if (entry->d_name[0] != '.')
            count++;
    closedir(dir);
    return count - 1; /* the directory's own descriptor */
}

int tq_tcpi_listen(int fd, int *queued, int *backlog)
{
    struct tcp_info info;
    socklen_t len = sizeof info;

    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        return -1;
    if (queued != NULL)
        *queued = (int)info.tcpi_unacked;
    if (backlog != NULL)
        *backlog = (int)info.tcpi_sacked;
    return 0;
}

int tq_ss_listen(int port, int *recv_q, int *send_q)
{
    char cmd[128], line[512], state[32], local[128];
    FILE *p;
    int found = -1;

    snprintf(cmd, sizeof cmd, "ss -Hltn 'sport = :%d' 2>/dev/null", port);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (fgets(line, sizeof line, p) != NULL) {
        int rq, sq;
        if (sscanf(line, "%31s %d %d %127s", state, &rq, &sq, local) == 4 &&
            strcmp(state, "LISTEN") == 0) {
            *recv_q = rq;
            *send_q = sq;
            found = 0;
        }
    }
    pclose(p);
    return found;
}

struct tcpq_options tq_mode_options(enum tcpq_mode mode, int timeout_ms)
{
    struct tcpq_options opt;

    memset(&opt, 0, sizeof opt);
    opt.mode = mode;
    opt.timeout_ms = timeout_ms;
    return opt;
}

int tq_ss_count(const char *filter)
{
    char cmd[192], line[256];
    FILE *p;
    int count = 0;

    snprintf(cmd, sizeof cmd, "ss -Htn %s 2>/dev/null", filter);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (fgets(line, sizeof line, p) != NULL)
        count++;
    return pclose(p) == 0 ? count : -1;
}

int tq_port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int tq_connect_nb(int port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

int tq_connected_pair(int *client, int *server, int *listener)
{
    struct pollfd pfd;
    int lfd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
    int cfd, sfd;

    if (lfd < 0)
        return -1;
    cfd = tq_connect_nb(tq_port_of(lfd));
    if (cfd < 0) {
        close(lfd);
        return -1;
    }
    pfd.fd = cfd;
    pfd.events = POLLOUT;
    poll(&pfd, 1, 2000);
    fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) & ~O_NONBLOCK);
    sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (sfd < 0) {
        close(cfd);
        close(lfd);
        return -1;
    }
    *client = cfd;
    *server = sfd;
    if (listener != NULL)
        *listener = lfd;
    else
        close(lfd);
    return 0;
}

int tq_getsockopt_int(int fd, int level, int name)
{
    int value = -1;
    socklen_t len = sizeof value;

    if (getsockopt(fd, level, name, &value, &len) < 0)
        return -1;
    return value;
}

/* nstat as the independent witness: an absolute counter, -1 on failure */
long long tq_nstat(const char *name)
{
    char cmd[128], line[256], found[64];
    long long value = -1, v;
    FILE *p;

    snprintf(cmd, sizeof cmd, "nstat -asz %s 2>/dev/null", name);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (fgets(line, sizeof line, p) != NULL)
        if (sscanf(line, "%63s %lld", found, &v) == 2 &&
            strcmp(found, name) == 0)
            value = v;
    pclose(p);
    return value;
}

int tq_linux_before(int major, int minor)
{
    struct utsname uts;
    int have_major = 0, have_minor = 0;

    if (uname(&uts) < 0 ||
        sscanf(uts.release, "%d.%d", &have_major, &have_minor) != 2)
        return 0;
    return have_major < major || (have_major == major && have_minor < minor);
}

double tq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int tq_burst(int listen_fd, int n, int *out)
{
    int port = tq_port_of(listen_fd);
    int i, queued = -1, last = -1;
    double start, stable_since;

    for (i = 0; i < n; i++)
        out[i] = tq_connect_nb(port);
    /* bounded wait: until the queue length has not changed for 300 ms,
       at most 5 s */
    start = stable_since = tq_now_ms();
    while (tq_now_ms() - start < 5000) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        if (tq_tcpi_listen(listen_fd, &queued, NULL) < 0)
            return -1;
        if (queued != last) {
            last = queued;
            stable_since = tq_now_ms();
        } else if (tq_now_ms() - stable_since >= 300) {
            break;
        }
        nanosleep(&pause, NULL);
    }
    return queued;
}

void tq_sleep_ms(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int tq_blackhole(int *filler)
{
    int lfd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
    int queued = 0, i;

    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    *filler = tq_connect_nb(tq_port_of(lfd));
    for (i = 0; i < 100 && queued < 1; i++) {
        tq_sleep_ms(5);
        tq_tcpi_listen(lfd, &queued, NULL);
    }
    ck_assert_int_eq(queued, 1);
    return lfd;
}

int tq_shell(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    int n, status;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd)
        return -1;
    status = system(cmd);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* A temporary file holding text, bind-mounted over target. */
static int mount_text_over(const char *text, const char *target, char *why,
                           size_t cap)
{
    char path[] = "/tmp/tcpq-etc-XXXXXX";
    int tmp = mkstemp(path);
    size_t len = strlen(text);
    int rc = 0;

    if (tmp < 0) {
        snprintf(why, cap, "mkstemp: %s", strerror(errno));
        return -1;
    }
    if (write(tmp, text, len) != (ssize_t)len) {
        snprintf(why, cap, "write %s: %s", path, strerror(errno));
        rc = -1;
    } else if (mount(path, target, "none", MS_BIND, NULL) < 0) {
        snprintf(why, cap, "bind mount %s: %s", target, strerror(errno));
        rc = -1;
    }
    close(tmp);
    unlink(path);
    return rc;
}

int tq_private_resolver(const char *resolv_conf, char *why, size_t cap)
{
    if (mount_text_over("hosts: dns\nservices: files\n", "/etc/nsswitch.conf",
                        why, cap) < 0)
        return -1;
    return mount_text_over(resolv_conf, "/etc/resolv.conf", why, cap);
}

int tq_private_hosts(const char *hosts, char *why, size_t cap)
{
    if (mount_text_over("hosts: files\nservices: files\n", "/etc/nsswitch.conf",
                        why, cap) < 0)
        return -1;
    return mount_text_over(hosts, "/etc/hosts", why, cap);
}

/* ---- a signal storm ------------------------------------------------------ */

static volatile sig_atomic_t alarms_caught;

static void on_alarm(int sig)
{
    (void)sig;
    alarms_caught++;
}

static void *storm_run(void *arg)
{
    struct tq_storm *s = arg;
    int i;

    for (i = 0; i < 10000 && !s->stop; i++) { /* bounded: 10 s at most */
        pthread_kill(s->target, SIGALRM);
        tq_sleep_ms(1);
    }
    return NULL;
}

void tq_storm_start(struct tq_storm *s)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = 0; /* no SA_RESTART: every wait sees EINTR */
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGALRM, &sa, &s->previous), 0);
    alarms_caught = 0;
    s->stop = 0;
    s->target = pthread_self();
    ck_assert_int_eq(pthread_create(&s->thread, NULL, storm_run, s), 0);
}

int tq_storm_stop(struct tq_storm *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    sigaction(SIGALRM, &s->previous, NULL);
    return (int)alarms_caught;
}
