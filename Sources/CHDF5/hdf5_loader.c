#include "trainscape_hdf5.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// HDF5's C ABI since 1.10 for the calls below (H5public.h, H5Ipublic.h, H5Gpublic.h,
// H5Tpublic.h): hid_t is int64_t, herr_t and htri_t int, hsize_t unsigned long long.
typedef int herr_t;
typedef int htri_t;
typedef unsigned long long hsize_t;
enum { H5P_DEFAULT = 0, H5E_DEFAULT = 0, H5S_ALL = 0 };
enum { H5F_ACC_RDONLY = 0 };
enum { H5_INDEX_NAME = 0, H5_ITER_INC = 0 };
enum { H5I_GROUP = 2, H5I_DATASET = 5 };
enum { H5T_INTEGER = 0, H5T_FLOAT = 1, H5T_STRING = 3 };
enum { H5T_SGN_2 = 1 };
enum { H5S_MAX_RANK = 32 };
// H5G_info_t: storage type (enum), nlinks (hsize_t), max_corder (int64_t), mounted (hbool_t);
// nlinks sits at offset 8 in every version. Room to spare for the tail.
typedef struct {
  int storage_type;
  hsize_t nlinks;
  int64_t max_corder;
  unsigned char mounted_and_spare[32];
} ts_group_info;

static struct {
  herr_t (*H5open)(void);
  herr_t (*H5get_libversion)(unsigned *, unsigned *, unsigned *);
  herr_t (*H5Eset_auto2)(ts_hid_t, void *, void *);
  htri_t (*H5Fis_hdf5)(const char *);
  htri_t (*H5Fis_accessible)(const char *, ts_hid_t);
  ts_hid_t (*H5Fopen)(const char *, unsigned, ts_hid_t);
  herr_t (*H5Fclose)(ts_hid_t);
  ts_hid_t (*H5Pcreate)(ts_hid_t);
  herr_t (*H5Pset_file_locking)(ts_hid_t, bool, bool);
  herr_t (*H5Pclose)(ts_hid_t);
  herr_t (*H5Gget_info)(ts_hid_t, ts_group_info *);
  long long (*H5Lget_name_by_idx)(ts_hid_t, const char *, int, int, hsize_t, char *, size_t, ts_hid_t);
  htri_t (*H5Lexists)(ts_hid_t, const char *, ts_hid_t);
  ts_hid_t (*H5Oopen)(ts_hid_t, const char *, ts_hid_t);
  herr_t (*H5Oclose)(ts_hid_t);
  int (*H5Iget_type)(ts_hid_t);
  ts_hid_t (*H5Dopen2)(ts_hid_t, const char *, ts_hid_t);
  herr_t (*H5Dclose)(ts_hid_t);
  ts_hid_t (*H5Dget_type)(ts_hid_t);
  ts_hid_t (*H5Dget_space)(ts_hid_t);
  herr_t (*H5Dread)(ts_hid_t, ts_hid_t, ts_hid_t, ts_hid_t, ts_hid_t, void *);
  int (*H5Tget_class)(ts_hid_t);
  size_t (*H5Tget_size)(ts_hid_t);
  int (*H5Tget_sign)(ts_hid_t);
  herr_t (*H5Tclose)(ts_hid_t);
  int (*H5Sget_simple_extent_ndims)(ts_hid_t);
  int (*H5Sget_simple_extent_dims)(ts_hid_t, hsize_t *, hsize_t *);
  herr_t (*H5Sclose)(ts_hid_t);
  // Globals that the H5P_FILE_ACCESS and H5T_NATIVE_DOUBLE macros read after H5open().
  ts_hid_t *file_access_class;
  ts_hid_t *native_double;
} h5;

static const char *load_error = "HDF5 not loaded";
static char message[1024];
static char description[256] = "not loaded";
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const char *const candidates[] = {
  "libhdf5_serial.so.103", "libhdf5.so.103",  // HDF5 1.10: Debian 12, Ubuntu 22.04/24.04
  "libhdf5_serial.so.310", "libhdf5.so.310",  // HDF5 1.14: Debian 13, Fedora
  "libhdf5_serial.so.200", "libhdf5.so.200",  // HDF5 1.12
  "libhdf5_serial.so", "libhdf5.so",           // a development install
};

static const char *install_hint =
  "install HDF5 to read .h5 files (Debian 12 / Ubuntu 22.04: apt-get install libhdf5-103-1; "
  "Ubuntu 24.04: libhdf5-103-1t64; Debian 13: libhdf5-310; Fedora: dnf install hdf5), "
  "or set TRAINSCAPE_HDF5_LIBRARY to the path of libhdf5.so";

static void load(void) {
  const char *requested = getenv("TRAINSCAPE_HDF5_LIBRARY");
  void *lib = NULL;
  const char *name = NULL;
  char tried[512] = "";
  if (requested && *requested) {
    lib = dlopen(requested, RTLD_NOW | RTLD_LOCAL);
    name = requested;
    if (!lib) {
      snprintf(message, sizeof message, "cannot load HDF5 from TRAINSCAPE_HDF5_LIBRARY=%s (%s); %s",
               requested, dlerror(), install_hint);
      load_error = message;
      return;
    }
  } else {
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !lib; i++) {
      lib = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
      name = candidates[i];
      if (!lib) {
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", candidates[i]);
      }
    }
    if (!lib) {
      snprintf(message, sizeof message, "cannot load the HDF5 library (tried %s); %s", tried, install_hint);
      load_error = message;
      return;
    }
  }
#define SYM(field, required)                                                                  \
  do {                                                                                        \
    *(void **)&h5.field = dlsym(lib, #field);                                                 \
    if (required && !h5.field) {                                                              \
      snprintf(message, sizeof message, "%s has no %s: HDF5 1.10 or later is needed; %s", name, \
               #field, install_hint);                                                         \
      load_error = message;                                                                   \
      return;                                                                                 \
    }                                                                                         \
  } while (0)
  SYM(H5open, true);
  SYM(H5get_libversion, true);
  SYM(H5Eset_auto2, true);
  SYM(H5Fis_hdf5, false);
  SYM(H5Fis_accessible, false);
  SYM(H5Fopen, true);
  SYM(H5Fclose, true);
  SYM(H5Pcreate, true);
  SYM(H5Pset_file_locking, false);
  SYM(H5Pclose, true);
  SYM(H5Gget_info, true);
  SYM(H5Lget_name_by_idx, true);
  SYM(H5Lexists, true);
  SYM(H5Oopen, true);
  SYM(H5Oclose, true);
  SYM(H5Iget_type, true);
  SYM(H5Dopen2, true);
  SYM(H5Dclose, true);
  SYM(H5Dget_type, true);
  SYM(H5Dget_space, true);
  SYM(H5Dread, true);
  SYM(H5Tget_class, true);
  SYM(H5Tget_size, true);
  SYM(H5Tget_sign, true);
  SYM(H5Tclose, true);
  SYM(H5Sget_simple_extent_ndims, true);
  SYM(H5Sget_simple_extent_dims, true);
  SYM(H5Sclose, true);
#undef SYM
  if (!h5.H5Fis_hdf5 && !h5.H5Fis_accessible) {
    snprintf(message, sizeof message, "%s has neither H5Fis_hdf5 nor H5Fis_accessible; %s", name, install_hint);
    load_error = message;
    return;
  }
  h5.file_access_class = (ts_hid_t *)dlsym(lib, "H5P_CLS_FILE_ACCESS_ID_g");
  h5.native_double = (ts_hid_t *)dlsym(lib, "H5T_NATIVE_DOUBLE_g");
  if (!h5.file_access_class || !h5.native_double) {
    snprintf(message, sizeof message, "%s lacks HDF5's global type and class ids; %s", name, install_hint);
    load_error = message;
    return;
  }
  unsigned major = 0, minor = 0, release = 0;
  if (h5.H5open() < 0 || h5.H5get_libversion(&major, &minor, &release) < 0) {
    snprintf(message, sizeof message, "%s failed to initialise; %s", name, install_hint);
    load_error = message;
    return;
  }
  if (major != 1 || minor < 10) {
    // Before 1.10 hid_t was 32 bits: the declarations above would be wrong.
    snprintf(message, sizeof message, "%s is HDF5 %u.%u.%u; 1.10 or later is needed; %s", name, major, minor,
             release, install_hint);
    load_error = message;
    return;
  }
  h5.H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  snprintf(description, sizeof description, "%s (HDF5 %u.%u.%u)", name, major, minor, release);
  load_error = NULL;
}

const char *ts_h5_load(void) {
  pthread_once(&once, load);
  return load_error;
}

const char *ts_h5_description(void) {
  pthread_once(&once, load);
  return description;
}

int ts_h5_is_hdf5(const char *path) {
  // HDF5 prints error stacks unless told not to; per thread in thread-safe builds.
  h5.H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  return h5.H5Fis_hdf5 ? h5.H5Fis_hdf5(path) : h5.H5Fis_accessible(path, H5P_DEFAULT);
}

ts_hid_t ts_h5_open_readonly(const char *path) { return h5.H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }

ts_hid_t ts_h5_open_readonly_unlocked(const char *path) {
  if (!h5.H5Pset_file_locking) return -1;
  ts_hid_t fapl = h5.H5Pcreate(*h5.file_access_class);
  if (fapl < 0) return -1;
  h5.H5Pset_file_locking(fapl, false, true);
  ts_hid_t file = h5.H5Fopen(path, H5F_ACC_RDONLY, fapl);
  h5.H5Pclose(fapl);
  return file;
}

void ts_h5_close_file(ts_hid_t file) { h5.H5Fclose(file); }

long long ts_h5_root_link_count(ts_hid_t file) {
  ts_group_info info;
  memset(&info, 0, sizeof info);
  if (h5.H5Gget_info(file, &info) < 0) return -1;
  return (long long)info.nlinks;
}

long long ts_h5_link_name(ts_hid_t file, unsigned long long index, char *buffer, size_t size) {
  return h5.H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, H5P_DEFAULT);
}

int ts_h5_link_exists(ts_hid_t location, const char *name) { return h5.H5Lexists(location, name, H5P_DEFAULT); }

ts_hid_t ts_h5_open_object(ts_hid_t location, const char *name) { return h5.H5Oopen(location, name, H5P_DEFAULT); }

void ts_h5_close_object(ts_hid_t object) { h5.H5Oclose(object); }

int ts_h5_is_dataset(ts_hid_t object) { return h5.H5Iget_type(object) == H5I_DATASET; }

ts_hid_t ts_h5_open_dataset(ts_hid_t location, const char *name) {
  return h5.H5Dopen2(location, name, H5P_DEFAULT);
}

void ts_h5_close_dataset(ts_hid_t dataset) { h5.H5Dclose(dataset); }

int ts_h5_is_numeric(ts_hid_t dataset) {
  ts_hid_t type = h5.H5Dget_type(dataset);
  if (type < 0) return 0;
  int cls = h5.H5Tget_class(type);
  h5.H5Tclose(type);
  return cls == H5T_INTEGER || cls == H5T_FLOAT;
}

int ts_h5_type_info(ts_hid_t dataset, int *cls, size_t *size, int *is_signed) {
  ts_hid_t type = h5.H5Dget_type(dataset);
  if (type < 0) return -1;
  int c = h5.H5Tget_class(type);
  *cls = c == H5T_INTEGER ? 0 : c == H5T_FLOAT ? 1 : c == H5T_STRING ? 2 : 3;
  *size = h5.H5Tget_size(type);
  *is_signed = c == H5T_INTEGER && h5.H5Tget_sign(type) == H5T_SGN_2;
  h5.H5Tclose(type);
  return 0;
}

int ts_h5_is_group(ts_hid_t object) { return h5.H5Iget_type(object) == H5I_GROUP; }

int ts_h5_dataset_shape(ts_hid_t dataset, unsigned long long *dims, int capacity) {
  ts_hid_t space = h5.H5Dget_space(dataset);
  if (space < 0) return -1;
  int rank = h5.H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > H5S_MAX_RANK || rank > capacity) {
    h5.H5Sclose(space);
    return -1;
  }
  hsize_t all[H5S_MAX_RANK];
  if (rank > 0 && h5.H5Sget_simple_extent_dims(space, all, NULL) < 0) {
    h5.H5Sclose(space);
    return -1;
  }
  for (int i = 0; i < rank; i++) dims[i] = all[i];
  h5.H5Sclose(space);
  return rank;
}

int ts_h5_read_doubles(ts_hid_t dataset, double *buffer) {
  return h5.H5Dread(dataset, *h5.native_double, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
}
