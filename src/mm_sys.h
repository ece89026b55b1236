/*
** mm_sys.h: the platform layer of lua-mmap.
**
** Every system call the core makes goes through these functions, so that a
** second platform is a second implementation file (mm_posix.c is the first),
** not a scattering of #ifdefs. Functions that can fail return -1 (or NULL)
** with errno set, and never touch Lua.
*/
#ifndef MM_SYS_H
#define MM_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The few platform values the core itself needs to reason about. */
extern const int mms_prot_read, mms_prot_write;
extern const int mms_map_shared, mms_map_private, mms_map_anonymous;
extern const int mms_ms_sync;

/* A named integer constant exported to Lua; the table ends with name NULL. */
typedef struct mms_const {
  const char *name;
  long long value;
} mms_const;
extern const mms_const mms_constants[];

size_t mms_pagesize(void);

/* Descriptors. */
int mms_dup(int fd);                     /* close-on-exec duplicate */
int mms_close(int fd);
int mms_open(const char *path, int writable, int create);  /* close-on-exec */
int mms_fstat(int fd, int64_t *size, int *isreg);
int mms_truncate(int fd, int64_t size);
int mms_filefd(FILE *f);                 /* flush a stdio stream, give its fd */

/* Mappings. */
void *mms_map(size_t len, int prot, int flags, int fd, int64_t offset);
int mms_unmap(void *addr, size_t len);
void *mms_remap(void *addr, size_t oldlen, size_t newlen);
int mms_sync(void *addr, size_t len, int flags);
int mms_advise(void *addr, size_t len, int advice);

/* Searching (libc extensions where the platform has them). */
const void *mms_memmem(const void *hay, size_t hlen, const void *needle,
                       size_t nlen);
const void *mms_memrchr(const void *s, int c, size_t n);

#endif
