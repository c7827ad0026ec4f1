#ifndef TRAINSCAPE_GLIBC_COMPAT_H
#define TRAINSCAPE_GLIBC_COMPAT_H
// See glibc_compat.c. Nothing to call: linking the object is what counts.
int ts_glibc_compat_linked(void);
#endif
