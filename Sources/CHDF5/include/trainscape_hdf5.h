#ifndef TRAINSCAPE_HDF5_H
#define TRAINSCAPE_HDF5_H
#include <stddef.h>
#include <stdint.h>

// The HDF5 calls the loss-landscape reader needs, loaded with dlopen on first use of an .h5
// file instead of linked: the binary starts on machines without HDF5 (whose sonames also
// differ between distributions: libhdf5_serial.so.103 on Debian 12, .310 on Debian 13), and
// only reading an .h5 file needs it, and says what to install. The declarations are HDF5's
// C ABI since 1.10 (64-bit hid_t), which 1.10 to 1.14 keep; hdf5_loader.c checks the version.
// None of this is a stable Swift API.

typedef int64_t ts_hid_t;

/// Loads the library once (thread-safe). NULL when HDF5 is usable, otherwise why not and
/// what to install. TRAINSCAPE_HDF5_LIBRARY names another library (a path or a soname).
const char *ts_h5_load(void);

/// Where HDF5 was loaded from and its version, e.g. "libhdf5_serial.so.103 (HDF5 1.10.8)".
const char *ts_h5_description(void);

/// >0 when the file has an HDF5 signature, 0 when not, negative on error.
int ts_h5_is_hdf5(const char *path);

/// Opens an existing file read-only; negative on failure.
ts_hid_t ts_h5_open_readonly(const char *path);

/// Opens an existing file read-only without taking HDF5's file lock, so a file that a writer
/// holds open (and locked) can still be read (HDF5 >= 1.10.7; older versions return -1).
ts_hid_t ts_h5_open_readonly_unlocked(const char *path);

void ts_h5_close_file(ts_hid_t file);

/// The number of links in the root group; negative on failure.
long long ts_h5_root_link_count(ts_hid_t file);

/// The name of the `index`-th link of the root group, in name order, written to `buffer`
/// (NUL-terminated); returns the name's full length, negative on failure.
long long ts_h5_link_name(ts_hid_t file, unsigned long long index, char *buffer, size_t size);

/// 1 when `name` names a link in `location`, 0 when not, negative on error.
int ts_h5_link_exists(ts_hid_t location, const char *name);

/// Opens the object at `name` (relative to `location`); negative on failure.
ts_hid_t ts_h5_open_object(ts_hid_t location, const char *name);
void ts_h5_close_object(ts_hid_t object);

/// 1 when the object is a dataset.
int ts_h5_is_dataset(ts_hid_t object);

/// Opens the dataset at `name`; negative on failure.
ts_hid_t ts_h5_open_dataset(ts_hid_t location, const char *name);
void ts_h5_close_dataset(ts_hid_t dataset);

/// 1 when the dataset holds integers or floating-point numbers.
int ts_h5_is_numeric(ts_hid_t dataset);

/// The dataset's element type: class (0 integer, 1 float, 2 string, 3 other), size in bytes
/// and, for integers, whether signed. 0 on success, negative on failure.
int ts_h5_type_info(ts_hid_t dataset, int *cls, size_t *size, int *is_signed);

/// 1 when the object is a group.
int ts_h5_is_group(ts_hid_t object);

/// The dataset's rank (negative on failure, or when it exceeds `capacity`), with the
/// dimensions written to `dims`.
int ts_h5_dataset_shape(ts_hid_t dataset, unsigned long long *dims, int capacity);

/// Reads the whole dataset, converted to native doubles, in one H5Dread; negative on failure.
int ts_h5_read_doubles(ts_hid_t dataset, double *buffer);

// Reading in a child process (hdf5_child.c): libhdf5 crashes and allocates without bound on
// damaged files, so Trainscape never opens a file with it in its own process.

/// Why a requested dataset was not read ('F' records).
enum {
  TS_H5_READ_MISSING = 1,
  TS_H5_READ_NOT_DATASET = 2,
  TS_H5_READ_NOT_NUMERIC = 3,
  TS_H5_READ_TOO_LARGE = 4,
  TS_H5_READ_FAILED = 5,
};

/// Forks a child that lists the root group of `path` and reads the named datasets (and, with
/// `read_all_numeric`, every numeric root dataset) of at most `max_elements` values, under
/// `cpu_seconds` of CPU time and `memory_limit` bytes of new address space (0: no limit),
/// writing its findings to a pipe (the stream is described in hdf5_child.c). On success
/// returns 0 with the pipe's read end and the child's pid; otherwise -errno. Call
/// ts_h5_load first. The caller reads the pipe to its end, closes it, then waits.
int ts_h5_spawn_reader(const char *path, const char *const *names, int name_count, int read_all_numeric,
                       unsigned long long max_elements, unsigned long long memory_limit, int cpu_seconds,
                       int *read_fd, int *pid);

/// Ends a reader that does not answer (SIGKILL); wait for it afterwards.
void ts_h5_kill_reader(int pid);

/// Waits for the reader: the signal that ended it (0 when none) and its exit code (-1 when
/// signalled). 0 on success, otherwise -errno.
int ts_h5_wait_reader(int pid, int *signal_number, int *exit_code);

#endif
