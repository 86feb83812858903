#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/uio.h>
#endif
#include "cfilesync.h"

int cfilesync_syncfs(int fd) {
#ifdef __linux__
    return syncfs(fd);
#else
    sync();
    return 0;
#endif
}

int cfilesync_rename_noreplace(const char *from, const char *to) {
#ifdef __linux__
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
#else
    errno = EINVAL;
    return -1;
#endif
}

long cfilesync_pread_cached(int fd, void *buffer, unsigned long count, long long offset) {
#if defined(__linux__) && defined(RWF_NOWAIT)
    struct iovec piece = { .iov_base = buffer, .iov_len = count };
    return preadv2(fd, &piece, 1, offset, RWF_NOWAIT);
#else
    errno = EOPNOTSUPP;
    return -1;
#endif
}
