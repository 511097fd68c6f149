/* The listening socket's file; see socket_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "socket_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int set_flags(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

static struct sockaddr_un address_of(const char *path) {
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    memcpy(address.sun_path, path, strlen(path) + 1);
    return address;
}

/* mkdir -p of path's parent directory; new directories are 0700. */
static int make_parents(const char *path, char *error, size_t cap) {
    char dir[128];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 1;
    *slash = 0;
    for (char *p = dir + 1; ; p++) {
        if (*p != '/' && *p != 0) continue;
        char saved = *p;
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            snprintf(error, cap, "UnixSocketTransport: cannot create directory %s for the socket: %s; create it or choose another path",
                     dir, strerror(errno));
            return 0;
        }
        *p = saved;
        if (saved == 0) return 1;
    }
}

/* 1 if a process listens on the socket file at path, 0 if nobody does (a stale file), -1 on error. */
static int is_live(const char *path, char *error, size_t cap) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(error, cap, "UnixSocketTransport: cannot create a socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un address = address_of(path);
    int connected = connect(fd, (struct sockaddr *)&address, sizeof address);
    int reason = errno;
    close(fd);
    if (connected == 0 || reason == EAGAIN) return 1;
    if (reason == ECONNREFUSED) return 0;
    snprintf(error, cap, "UnixSocketTransport: cannot check the existing socket %s: %s; remove it or choose another path",
             path, strerror(reason));
    return -1;
}

static int refuse_live(const char *path, char *error, size_t cap) {
    snprintf(error, cap, "UnixSocketTransport: another process is already listening on %s; stop it (is another orch serve running?) or choose another path in [transports.options]",
             path);
    return -1;
}

int socket_file_listen(const char *path, socket_file *file, char *error, size_t cap) {
    memset(file, 0, sizeof *file);
    snprintf(file->path, sizeof file->path, "%s", path);
    if (!make_parents(path, error, cap)) return -1;
    struct stat existing;
    if (lstat(path, &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode)) {
            snprintf(error, cap, "UnixSocketTransport: %s exists and is not a socket; remove it or choose another path", path);
            return -1;
        }
        int live = is_live(path, error, cap);
        if (live < 0) return -1;
        if (live) return refuse_live(path, error, cap);
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(error, cap, "UnixSocketTransport: cannot remove the stale socket %s: %s", path, strerror(errno));
            return -1;
        }
        file->replaced_stale = 1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || !set_flags(fd)) {
        snprintf(error, cap, "UnixSocketTransport: cannot create a socket: %s", strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    struct sockaddr_un address = address_of(path);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int reason = errno;
        close(fd);
        if (reason == EADDRINUSE) return refuse_live(path, error, cap);
        snprintf(error, cap, "UnixSocketTransport: cannot bind %s: %s", path, strerror(reason));
        return -1;
    }
    /* Nobody can connect before listen(), so the file is never reachable with looser permissions. */
    struct stat bound;
    if (chmod(path, 0600) != 0 || stat(path, &bound) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(error, cap, "UnixSocketTransport: cannot secure and listen on %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    file->device = bound.st_dev;
    file->inode = bound.st_ino;
    return fd;
}

void socket_file_remove(const socket_file *file) {
    struct stat current;
    if (file->path[0] && lstat(file->path, &current) == 0 && current.st_dev == file->device && current.st_ino == file->inode)
        unlink(file->path);
}
