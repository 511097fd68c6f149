#define _GNU_SOURCE
#include "tied_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Between fork and exec only async-signal-safe calls: plain syscalls, no malloc. */
static void fail(int report, int code) {
    ssize_t ignored = write(report, &code, sizeof code);
    (void)ignored;
    _exit(127);
}

static void close_above_stdio_except(int keep) {
    if (keep > 3) syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u);
    syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u);
}

int orch_tied_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                    const char *directory, int in, int out, int err) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int code = errno;
        close(report[0]);
        close(report[1]);
        return code;
    }
    if (child == 0) {
        close(report[0]);
        if (setpgid(0, 0) != 0) fail(report[1], errno);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(report[1], errno);
        /* The host may have died between fork and prctl: then nobody is left to signal us. */
        if (getppid() != parent) fail(report[1], ESRCH);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Ignored signals survive exec; give the child the defaults whatever the host ignores. */
        const int defaults[] = {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2,
                                SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ};
        struct sigaction dfl = {0};
        dfl.sa_handler = SIG_DFL;
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) sigaction(defaults[i], &dfl, NULL);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) fail(report[1], errno);
        if (chdir(directory) != 0) fail(report[1], errno);
        close_above_stdio_except(report[1]);
        execve(path, argv, envp);
        fail(report[1], errno);
    }
    close(report[1]);
    int code = 0;
    ssize_t got;
    do { got = read(report[0], &code, sizeof code); } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof code) {
        /* The child reported a failure and exits; reap it so no zombie is left. */
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return code;
    }
    *pid = child;
    return 0;
}
