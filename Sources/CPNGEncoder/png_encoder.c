#include "png_encoder.h"
int ts_png_placeholder(void) { return 0; }
