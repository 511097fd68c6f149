/*
 * socket_file.h — the listening socket's file: created with mode 0600 so only
 * the user's account can connect, a stale file from a crashed run replaced, a
 * live one refused, and on stop removed only if it is still ours.
 */
#ifndef UST_SOCKET_FILE_H
#define UST_SOCKET_FILE_H

#include <stddef.h>
#include <sys/types.h>

typedef struct socket_file {
    char path[128];
    dev_t device;
    ino_t inode;
    int replaced_stale;   /* a stale file was found and replaced */
} socket_file;

/* Binds and listens at path (creating missing parent directories with mode
 * 0700). Returns the non-blocking listening fd, or -1 with a message in error. */
int socket_file_listen(const char *path, socket_file *file, char *error, size_t error_cap);

/* Removes the socket file if it is still the one socket_file_listen created. */
void socket_file_remove(const socket_file *file);

#endif
