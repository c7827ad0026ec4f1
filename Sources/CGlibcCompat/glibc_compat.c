// Keeps the release binary runnable on glibc 2.35 (Ubuntu 22.04, common on GPU servers) though
// it is built on Debian 12 (glibc 2.36): the statically linked Swift runtime and Foundation call
// arc4random, which glibc added in 2.36. This definition (the same contract: uniformly random,
// from the kernel's CSPRNG) is linked into the executable ahead of libc, so the binary needs no
// GLIBC_2.36 symbol. scripts/package.sh checks the newest glibc symbol version the binary needs.
#include "trainscape_glibc_compat.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

uint32_t arc4random(void) {
  uint32_t value;
  size_t got = 0;
  while (got < sizeof value) {
    ssize_t n = getrandom((char *)&value + got, sizeof value - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      abort();  // no randomness at all: what glibc's arc4random does too
    }
    got += (size_t)n;
  }
  return value;
}

int ts_glibc_compat_linked(void) { return 1; }
