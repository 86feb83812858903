#ifndef CFILESYNC_H
#define CFILESYNC_H

/// syncfs(2): flush every dirty file of the file system holding `fd`. Glibc declares it only
/// with _GNU_SOURCE, which Swift's Glibc module does not set, hence this one-line shim.
int cfilesync_syncfs(int fd);

#endif
