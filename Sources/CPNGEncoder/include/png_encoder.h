#ifndef TRAINSCAPE_PNG_ENCODER_H
#define TRAINSCAPE_PNG_ENCODER_H
// A small PNG encoder/decoder on libpng and libdeflate. libpng reports errors with
// setjmp/longjmp, which Swift cannot use, so the calls that may longjmp live here in C.
#include <stddef.h>
#include <stdint.h>

/// Encodes an 8-bit image into a malloc'ed PNG byte buffer.
/// - pixels: rows of `width * channels_in` bytes (RGBA or RGB), `stride` bytes apart.
/// - bottom_up: non-zero when row 0 of `pixels` is the BOTTOM row (glReadPixels order).
/// - channels_in: 3 or 4; channels_out: 3 (RGB, alpha dropped) or 4 (RGBA).
/// - level: compression level 1-9 (higher: smaller and slower); filter: 0 = libpng's adaptive
///   choice (libpng + zlib), 1 = NONE, 2 = UP (written with libdeflate, the frame path).
/// Returns 0 on success and sets *out / *out_size (free with ts_png_free); on failure
/// returns non-zero and writes a message into `error` (at most error_size bytes).
int ts_png_encode(const uint8_t *pixels, int width, int height, size_t stride, int channels_in,
                  int channels_out, int bottom_up, int level, int filter,
                  uint8_t **out, size_t *out_size, char *error, size_t error_size);

/// Decodes a PNG into malloc'ed 8-bit RGBA, top row first.
int ts_png_decode_rgba(const uint8_t *data, size_t size, uint8_t **out, int *width, int *height,
                       char *error, size_t error_size);

void ts_png_free(void *p);

#endif
