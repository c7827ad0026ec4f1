#define _GNU_SOURCE
#include "trainscape_hdf5.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

// libhdf5 is not memory-safe on damaged files: fuzzing found reads through wild pointers
// (SIGSEGV in memcpy under H5Literate) and multi-gigabyte allocations (H5Dread) from a few
// hundred bytes. So every read runs in a forked child that uses only C and libhdf5, under a
// CPU-time and address-space limit; the parent reads the child's findings from a pipe, and a
// child that dies is reported as an error on the file, never as a crash of Trainscape.
//
// The stream (native byte order; the parent is the same binary): records tagged by one byte.
//   'N'                         not an HDF5 file (by HDF5's own check)
//   'O'                         HDF5 cannot open the file
//   'L'                         HDF5 cannot list the root group
//   'E' kind:u8 cls:i32 size:u64 signed:u8 rank:i32 dims:u64[rank] len:u32 name
//                               a root object (kind 0 dataset, 1 group, 2 other; rank -1: no
//                               simple shape; cls 0 integer, 1 float, 2 string, 3 other)
//   'D' len:u32 name count:u64 values:f64[count]
//   'F' len:u32 name code:i32   a requested dataset not read (TS_H5_READ_*)
//   'X'                         the end: everything above is complete

static int write_all(int fd, const void *data, size_t size) {
  const char *p = data;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

#define PUT(fd, value)                                                                        \
  do {                                                                                        \
    if (write_all(fd, &(value), sizeof(value)) < 0) _exit(3);                                 \
  } while (0)

static void put_tag(int fd, char tag) { PUT(fd, tag); }

static void put_name(int fd, const char *name) {
  uint32_t length = (uint32_t)strlen(name);
  PUT(fd, length);
  if (write_all(fd, name, length) < 0) _exit(3);
}

static void put_failure(int fd, const char *name, int32_t code) {
  put_tag(fd, 'F');
  put_name(fd, name);
  PUT(fd, code);
}

// Looked up in the parent, before fork: dlsym in the child could wait forever on a loader
// lock that another thread of the parent held at the fork.
static pthread_once_t sanitizer_once = PTHREAD_ONCE_INIT;
static int under_asan;
static void (*set_death_callback)(void (*)(void));
static void find_sanitizer(void) {
  under_asan = dlsym(RTLD_DEFAULT, "__asan_init") != NULL;
  *(void **)&set_death_callback = dlsym(RTLD_DEFAULT, "__sanitizer_set_death_callback");
}

static void limit_resources(unsigned long long memory_limit, int cpu_seconds) {
  if (cpu_seconds > 0) {
    struct rlimit cpu = {(rlim_t)cpu_seconds, (rlim_t)cpu_seconds + 1};
    setrlimit(RLIMIT_CPU, &cpu);
  }
  // AddressSanitizer (the fuzz harness) reserves terabytes of shadow memory: no address-space
  // limit there; its allocator and libFuzzer's malloc limit stand in.
  if (memory_limit == 0 || under_asan) return;
  unsigned long long pages = 0;
  FILE *statm = fopen("/proc/self/statm", "r");
  if (statm) {
    if (fscanf(statm, "%llu", &pages) != 1) pages = 0;
    fclose(statm);
  }
  unsigned long long mapped = pages * (unsigned long long)sysconf(_SC_PAGESIZE);
  struct rlimit space = {(rlim_t)(mapped + memory_limit), (rlim_t)(mapped + memory_limit)};
  setrlimit(RLIMIT_AS, &space);
}

static void quiet_crashes(void) {
  // Die of the signal (the parent names it) instead of running the Swift runtime's crash
  // reporter or AddressSanitizer's in a process that is only a reader.
  static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS, SIGXCPU, SIGPIPE};
  for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) signal(fatal[i], SIG_DFL);
  if (set_death_callback) set_death_callback(NULL);
}

static unsigned long long element_count(const unsigned long long *dims, int rank, int *overflow) {
  unsigned long long count = 1;
  *overflow = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] != 0 && count > ~0ULL / dims[i]) *overflow = 1;
    count *= dims[i];
  }
  return count;
}

static void read_dataset(int fd, ts_hid_t file, const char *name, unsigned long long max_elements) {
  if (ts_h5_link_exists(file, name) <= 0) return put_failure(fd, name, TS_H5_READ_MISSING);
  ts_hid_t dataset = ts_h5_open_dataset(file, name);
  if (dataset < 0) return put_failure(fd, name, TS_H5_READ_NOT_DATASET);
  if (!ts_h5_is_numeric(dataset)) {
    ts_h5_close_dataset(dataset);
    return put_failure(fd, name, TS_H5_READ_NOT_NUMERIC);
  }
  unsigned long long dims[32];
  int rank = ts_h5_dataset_shape(dataset, dims, 32);
  int overflow = 0;
  unsigned long long count = rank < 0 ? 0 : element_count(dims, rank, &overflow);
  if (rank < 0 || overflow || count > max_elements) {
    ts_h5_close_dataset(dataset);
    return put_failure(fd, name, rank < 0 ? TS_H5_READ_FAILED : TS_H5_READ_TOO_LARGE);
  }
  double *values = count ? malloc(count * sizeof(double)) : NULL;
  if (count && !values) {
    ts_h5_close_dataset(dataset);
    return put_failure(fd, name, TS_H5_READ_FAILED);
  }
  int status = count ? ts_h5_read_doubles(dataset, values) : 0;
  ts_h5_close_dataset(dataset);
  if (status < 0) {
    free(values);
    return put_failure(fd, name, TS_H5_READ_FAILED);
  }
  put_tag(fd, 'D');
  put_name(fd, name);
  PUT(fd, count);
  if (count && write_all(fd, values, count * sizeof(double)) < 0) _exit(3);
  free(values);
}

static void list_root(int fd, ts_hid_t file, int read_all_numeric, unsigned long long max_elements) {
  long long count = ts_h5_root_link_count(file);
  if (count < 0) return put_tag(fd, 'L');
  for (long long i = 0; i < count; i++) {
    long long length = ts_h5_link_name(file, (unsigned long long)i, NULL, 0);
    if (length < 0 || length > (1 << 20)) return put_tag(fd, 'L');
    char *name = calloc((size_t)length + 1, 1);
    if (!name) _exit(4);
    ts_h5_link_name(file, (unsigned long long)i, name, (size_t)length + 1);
    ts_hid_t object = ts_h5_open_object(file, name);
    uint8_t kind = 2, is_signed = 0;
    int32_t cls = 3, rank = -1;
    uint64_t size = 0;
    unsigned long long dims[32];
    if (object >= 0) {
      if (ts_h5_is_group(object)) {
        kind = 1;
      } else if (ts_h5_is_dataset(object)) {
        kind = 0;
        int c = 3, s = 0;
        size_t bytes = 0;
        if (ts_h5_type_info(object, &c, &bytes, &s) == 0) {
          cls = c;
          size = bytes;
          is_signed = (uint8_t)s;
        }
        rank = ts_h5_dataset_shape(object, dims, 32);
      }
      ts_h5_close_object(object);
    }
    if (rank < 0) rank = -1;
    put_tag(fd, 'E');
    PUT(fd, kind);
    PUT(fd, cls);
    PUT(fd, size);
    PUT(fd, is_signed);
    PUT(fd, rank);
    for (int d = 0; d < rank; d++) PUT(fd, dims[d]);
    put_name(fd, name);
    if (read_all_numeric && kind == 0 && cls <= 1 && rank >= 0) {
      int overflow = 0;
      unsigned long long n = element_count(dims, rank, &overflow);
      if (!overflow && n <= max_elements) read_dataset(fd, file, name, max_elements);
    }
    free(name);
  }
}

static void child(int fd, const char *path, const char *const *names, int name_count, int read_all_numeric,
                  unsigned long long max_elements) {
  if (ts_h5_is_hdf5(path) <= 0) {
    put_tag(fd, 'N');
    put_tag(fd, 'X');
    return;
  }
  ts_hid_t file = ts_h5_open_readonly(path);
  if (file < 0) file = ts_h5_open_readonly_unlocked(path);  // a writer holds the lock
  if (file < 0) {
    put_tag(fd, 'O');
    put_tag(fd, 'X');
    return;
  }
  list_root(fd, file, read_all_numeric, max_elements);
  for (int i = 0; i < name_count; i++) read_dataset(fd, file, names[i], max_elements);
  ts_h5_close_file(file);
  put_tag(fd, 'X');
}

int ts_h5_spawn_reader(const char *path, const char *const *names, int name_count, int read_all_numeric,
                       unsigned long long max_elements, unsigned long long memory_limit, int cpu_seconds,
                       int *read_fd, int *pid) {
  pthread_once(&sanitizer_once, find_sanitizer);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
  pid_t child_pid = fork();
  if (child_pid < 0) {
    int error = errno;
    close(fds[0]);
    close(fds[1]);
    return -error;
  }
  if (child_pid == 0) {
    close(fds[0]);
    quiet_crashes();
    limit_resources(memory_limit, cpu_seconds);
    child(fds[1], path, names, name_count, read_all_numeric, max_elements);
    _exit(0);
  }
  close(fds[1]);
  *read_fd = fds[0];
  *pid = child_pid;
  return 0;
}

void ts_h5_kill_reader(int pid) { kill((pid_t)pid, SIGKILL); }

int ts_h5_wait_reader(int pid, int *signal_number, int *exit_code) {
  int status = 0;
  pid_t done;
  do {
    done = waitpid((pid_t)pid, &status, 0);
  } while (done < 0 && errno == EINTR);
  if (done < 0) return -errno;
  *signal_number = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return 0;
}
