#include "png_encoder.h"

#include <libdeflate.h>
#include <pthread.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mem_writer {
  uint8_t *data;
  size_t size;
  size_t capacity;
  int failed;
};

struct error_context {
  jmp_buf jump;
  char *message;
  size_t message_size;
};

static void on_error(png_structp png, png_const_charp msg) {
  struct error_context *ctx = (struct error_context *)png_get_error_ptr(png);
  if (ctx->message && ctx->message_size) snprintf(ctx->message, ctx->message_size, "libpng: %s", msg);
  longjmp(ctx->jump, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void write_bytes(png_structp png, png_bytep bytes, png_size_t n) {
  struct mem_writer *w = (struct mem_writer *)png_get_io_ptr(png);
  if (w->failed) return;
  if (w->size + n > w->capacity) {
    size_t cap = w->capacity ? w->capacity : 65536;
    while (cap < w->size + n) cap *= 2;
    uint8_t *grown = (uint8_t *)realloc(w->data, cap);
    if (!grown) { w->failed = 1; png_error(png, "out of memory"); return; }
    w->data = grown;
    w->capacity = cap;
  }
  memcpy(w->data + w->size, bytes, n);
  w->size += n;
}

static void flush_bytes(png_structp png) { (void)png; }

/* Fixed-filter PNGs (the frame path) are written here with libdeflate: the PNG container is
   four chunks, and libdeflate compresses rendered frames faster than zlib and smaller (its
   adler32 and crc32 are vectorized too). libpng keeps the adaptive filter and decoding. */
static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Appends a chunk (length, type, data, CRC over type and data) at `p`; returns the next byte. */
static uint8_t *put_chunk(uint8_t *p, const char *type, const uint8_t *data, size_t n) {
  put32(p, (uint32_t)n);
  memcpy(p + 4, type, 4);
  if (n && data != p + 8) memmove(p + 8, data, n);
  put32(p + 8 + n, libdeflate_crc32(0, p + 4, n + 4));
  return p + 12 + n;
}

/* Each encoding thread keeps its compressor and filter buffer between frames: allocating them
   per frame (about 4 MB) cost page faults worth several percent of a turntable's CPU time. */
struct encoder_cache {
  struct libdeflate_compressor *compressor;
  int level;
  uint8_t *raw;
  size_t raw_capacity;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void free_cache(void *p) {
  struct encoder_cache *c = (struct encoder_cache *)p;
  if (c->compressor) libdeflate_free_compressor(c->compressor);
  free(c->raw);
  free(c);
}

static void make_cache_key(void) { pthread_key_create(&cache_key, free_cache); }

/* This thread's cache with a compressor for `level` and at least `raw_size` bytes of buffer. */
static struct encoder_cache *thread_cache(int level, size_t raw_size) {
  pthread_once(&cache_once, make_cache_key);
  struct encoder_cache *c = (struct encoder_cache *)pthread_getspecific(cache_key);
  if (!c) {
    c = (struct encoder_cache *)calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_setspecific(cache_key, c);
  }
  if (!c->compressor || c->level != level) {
    if (c->compressor) libdeflate_free_compressor(c->compressor);
    c->compressor = libdeflate_alloc_compressor(level);
    c->level = level;
    if (!c->compressor) return NULL;
  }
  if (c->raw_capacity < raw_size) {
    free(c->raw);
    c->raw = (uint8_t *)malloc(raw_size);
    c->raw_capacity = c->raw ? raw_size : 0;
    if (!c->raw) return NULL;
  }
  return c;
}

static int encode_deflate(const uint8_t *pixels, int width, int height, size_t stride,
                          int channels_in, int channels_out, int bottom_up, int level, int filter,
                          uint8_t **out, size_t *out_size, char *error, size_t error_size) {
  size_t row = (size_t)width * (size_t)channels_out;
  size_t raw_size = (row + 1) * (size_t)height;
  struct encoder_cache *cache = thread_cache(level < 0 ? 0 : (level > 12 ? 12 : level), raw_size);
  uint8_t *raw = cache ? cache->raw : NULL;
  struct libdeflate_compressor *c = cache ? cache->compressor : NULL;
  uint8_t *prev = (uint8_t *)calloc(row ? row : 1, 1);
  uint8_t *cur = (uint8_t *)malloc(row ? row : 1);
  uint8_t *png = NULL;
  int status = 1;
  if (!raw || !prev || !cur || !c) {
    snprintf(error, error_size, "out of memory for a %dx%d PNG", width, height);
    goto done;
  }
  for (int y = 0; y < height; y++) {
    const uint8_t *src = pixels + (size_t)(bottom_up ? height - 1 - y : y) * stride;
    if (channels_in == channels_out) {
      memcpy(cur, src, row);
    } else {
      for (int x = 0; x < width; x++) {
        cur[3 * x] = src[4 * x]; cur[3 * x + 1] = src[4 * x + 1]; cur[3 * x + 2] = src[4 * x + 2];
      }
    }
    uint8_t *o = raw + (size_t)y * (row + 1);
    if (filter == 2) {
      o[0] = 2; /* UP: the difference to the row above (zero above the first row) */
      for (size_t i = 0; i < row; i++) o[1 + i] = (uint8_t)(cur[i] - prev[i]);
      uint8_t *t = prev; prev = cur; cur = t;
    } else {
      o[0] = 0; /* NONE */
      memcpy(o + 1, cur, row);
    }
  }
  size_t bound = libdeflate_zlib_compress_bound(c, raw_size);
  png = (uint8_t *)malloc(8 + 25 + 12 + bound + 12);
  if (!png) {
    snprintf(error, error_size, "out of memory for a %dx%d PNG", width, height);
    goto done;
  }
  static const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  memcpy(png, signature, 8);
  uint8_t ihdr[13];
  put32(ihdr, (uint32_t)width);
  put32(ihdr + 4, (uint32_t)height);
  ihdr[8] = 8;                             /* bit depth */
  ihdr[9] = channels_out == 4 ? 6 : 2;     /* RGBA or RGB */
  ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0; /* deflate, adaptive filtering method, no interlace */
  uint8_t *p = put_chunk(png + 8, "IHDR", ihdr, 13);
  size_t n = libdeflate_zlib_compress(c, raw, raw_size, p + 8, bound);
  if (n == 0) {
    snprintf(error, error_size, "libdeflate: compressed data larger than its bound");
    goto done;
  }
  p = put_chunk(p, "IDAT", p + 8, n);
  p = put_chunk(p, "IEND", NULL, 0);
  *out = png;
  *out_size = (size_t)(p - png);
  png = NULL;
  status = 0;
done:
  free(png);
  free(prev);
  free(cur);
  return status;
}

int ts_png_encode(const uint8_t *pixels, int width, int height, size_t stride, int channels_in,
                  int channels_out, int bottom_up, int level, int filter,
                  uint8_t **out, size_t *out_size, char *error, size_t error_size) {
  if (width <= 0 || height <= 0 || (channels_in != 3 && channels_in != 4) ||
      (channels_out != 3 && channels_out != 4) || (channels_out == 4 && channels_in != 4)) {
    snprintf(error, error_size, "invalid image: %dx%d, %d -> %d channels", width, height,
             channels_in, channels_out);
    return 1;
  }
  if (filter == 1 || filter == 2) {
    return encode_deflate(pixels, width, height, stride, channels_in, channels_out, bottom_up,
                          level, filter, out, out_size, error, error_size);
  }
  struct error_context ctx;
  ctx.message = error;
  ctx.message_size = error_size;
  struct mem_writer w = {0};
  png_bytep *rows = NULL;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  if (!png) { snprintf(error, error_size, "libpng: cannot create write struct"); return 1; }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    snprintf(error, error_size, "libpng: cannot create info struct");
    return 1;
  }
  if (setjmp(ctx.jump)) {
    png_destroy_write_struct(&png, &info);
    free(rows);
    free(w.data);
    return 1;
  }
  png_set_write_fn(png, &w, write_bytes, flush_bytes);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
               channels_out == 4 ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, level < 0 ? 6 : (level > 9 ? 9 : level));
  png_write_info(png, info);
  if (channels_in == 4 && channels_out == 3) png_set_filler(png, 0, PNG_FILLER_AFTER);
  rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
  if (!rows) png_error(png, "out of memory");
  for (int y = 0; y < height; y++) {
    int src = bottom_up ? (height - 1 - y) : y;
    rows[y] = (png_bytep)(pixels + (size_t)src * stride);
  }
  png_write_image(png, rows);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  free(rows);
  *out = w.data;
  *out_size = w.size;
  return 0;
}

int ts_png_decode_rgba(const uint8_t *data, size_t size, uint8_t **out, int *width, int *height,
                       char *error, size_t error_size) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data, size)) {
    snprintf(error, error_size, "libpng: %s", image.message);
    return 1;
  }
  image.format = PNG_FORMAT_RGBA;
  size_t n = PNG_IMAGE_SIZE(image);
  uint8_t *buffer = (uint8_t *)malloc(n);
  if (!buffer) {
    png_image_free(&image);
    snprintf(error, error_size, "out of memory for a %ux%u image", image.width, image.height);
    return 1;
  }
  if (!png_image_finish_read(&image, NULL, buffer, 0, NULL)) {
    snprintf(error, error_size, "libpng: %s", image.message);
    free(buffer);
    return 1;
  }
  *out = buffer;
  *width = (int)image.width;
  *height = (int)image.height;
  return 0;
}

void ts_png_free(void *p) { free(p); }
