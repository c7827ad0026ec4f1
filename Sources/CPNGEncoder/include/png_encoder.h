#ifndef TRAINSCAPE_PNG_ENCODER_H
#define TRAINSCAPE_PNG_ENCODER_H
#include <stddef.h>
#include <stdint.h>
int ts_png_placeholder(void);
#endif
