#ifndef TRAINSCAPE_CHDF5_SHIM_H
#define TRAINSCAPE_CHDF5_SHIM_H
#include <hdf5.h>

// HDF5's constants are macros that Swift cannot import (casts such as
// `(hid_t)0`, or globals behind H5open()). These wrappers expose what the
// readers need. None of this is a stable Swift API.

/// Turns off HDF5's automatic printing of error stacks to stderr; callers
/// report errors themselves.
static inline void ts_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// Opens an existing file read-only; negative on failure.
static inline hid_t ts_h5_open_readonly(const char *path) {
  return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
}

/// Opens an existing file read-only without taking HDF5's file lock, so a
/// file that a writer holds open can still be read (HDF5 >= 1.10.7; older
/// versions return -1).
static inline hid_t ts_h5_open_readonly_unlocked(const char *path) {
#if H5_VERSION_GE(1, 10, 7)
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  H5Pset_file_locking(fapl, 0, 1);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  return file;
#else
  (void)path;
  return -1;
#endif
}

/// Opens the object at `name` (relative to `location`); negative on failure.
static inline hid_t ts_h5_open_object(hid_t location, const char *name) {
  return H5Oopen(location, name, H5P_DEFAULT);
}

/// Opens the dataset at `name`; negative on failure.
static inline hid_t ts_h5_open_dataset(hid_t location, const char *name) {
  return H5Dopen2(location, name, H5P_DEFAULT);
}

/// 1 when `name` names a link in `location`, 0 when not, negative on error.
static inline htri_t ts_h5_link_exists(hid_t location, const char *name) {
  return H5Lexists(location, name, H5P_DEFAULT);
}

/// The name of the `index`-th link of `group`, in name order, written to
/// `buffer` (NUL-terminated); returns the name's full length, negative on
/// failure.
static inline ssize_t ts_h5_link_name(hid_t group, hsize_t index, char *buffer, size_t size) {
  return H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, H5P_DEFAULT);
}

/// 1 when the object is a dataset.
static inline int ts_h5_is_dataset(hid_t object) { return H5Iget_type(object) == H5I_DATASET; }

/// 1 when the dataset holds integers or floating-point numbers.
static inline int ts_h5_is_numeric(hid_t dataset) {
  hid_t type = H5Dget_type(dataset);
  if (type < 0) return 0;
  H5T_class_t cls = H5Tget_class(type);
  H5Tclose(type);
  return cls == H5T_INTEGER || cls == H5T_FLOAT;
}

/// The dataset's element type: class (0 integer, 1 float, 2 string, 3 other), size in bytes
/// and, for integers, whether signed. 0 on success.
static inline int ts_h5_type_info(hid_t dataset, int *cls, size_t *size, int *is_signed) {
  hid_t type = H5Dget_type(dataset);
  if (type < 0) return -1;
  H5T_class_t c = H5Tget_class(type);
  *cls = c == H5T_INTEGER ? 0 : c == H5T_FLOAT ? 1 : c == H5T_STRING ? 2 : 3;
  *size = H5Tget_size(type);
  *is_signed = c == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2;
  H5Tclose(type);
  return 0;
}

/// 1 when the object is a group.
static inline int ts_h5_is_group(hid_t object) { return H5Iget_type(object) == H5I_GROUP; }

/// Reads the whole dataset, converted to native doubles, in one H5Dread.
static inline herr_t ts_h5_read_doubles(hid_t dataset, double *buffer) {
  return H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
}

#endif
