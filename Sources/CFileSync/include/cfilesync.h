#ifndef CFILESYNC_H
#define CFILESYNC_H

/// syncfs(2): flush every dirty file of the file system holding `fd`. Glibc declares it only
/// with _GNU_SOURCE, which Swift's Glibc module does not set, hence this one-line shim.
int cfilesync_syncfs(int fd);

/// renameat2(2) with RENAME_NOREPLACE: moves `from` to `to` unless `to` exists (then -1, EEXIST),
/// atomically, so a free name need not be looked up first. Also _GNU_SOURCE only. Where the file
/// system cannot do it (EINVAL), the caller falls back to looking the name up.
int cfilesync_rename_noreplace(const char *from, const char *to);

/// preadv2(2) with RWF_NOWAIT: reads only what the page cache holds. -1 with EAGAIN when the
/// read would wait for the disk; -1 with EOPNOTSUPP (or ENOSYS) where the file system or kernel
/// cannot tell. Also _GNU_SOURCE only.
long cfilesync_pread_cached(int fd, void *buffer, unsigned long count, long long offset);

#endif
