#ifndef TRAINSCAPE_CLIBPNG_SHIM_H
#define TRAINSCAPE_CLIBPNG_SHIM_H
#include <png.h>
#endif
