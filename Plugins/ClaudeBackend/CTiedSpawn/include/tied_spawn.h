#ifndef ORCH_TIED_SPAWN_H
#define ORCH_TIED_SPAWN_H

#include <sys/types.h>

/* Starts `path` as a child that cannot outlive the host: in its own process
 * group, with stdio on `in`/`out`/`err`, in `directory`, with every other
 * descriptor closed, all signals unblocked and the job-control and termination
 * signals at their defaults, and PR_SET_PDEATHSIG(SIGKILL).
 *
 * The parent-death signal fires when the *thread* that forked exits, not the
 * process, so call this only from a thread that lives as long as the host
 * (ClaudeBackend's spawn thread).
 *
 * `argv` and `envp` are NULL-terminated; everything is borrowed for the call.
 * Returns 0 with *pid set once the child has exec'd, or the errno of the step
 * that failed (fork, chdir, exec, ...), with no child left behind. */
int orch_tied_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                    const char *directory, int in, int out, int err);

#endif
