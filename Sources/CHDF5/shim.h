#ifndef TRAINSCAPE_CHDF5_SHIM_H
#define TRAINSCAPE_CHDF5_SHIM_H
#include <hdf5.h>
#endif
