#include "png_encoder.h"

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

int ts_png_encode(const uint8_t *pixels, int width, int height, size_t stride, int channels_in,
                  int channels_out, int bottom_up, int level, int filter,
                  uint8_t **out, size_t *out_size, char *error, size_t error_size) {
  if (width <= 0 || height <= 0 || (channels_in != 3 && channels_in != 4) ||
      (channels_out != 3 && channels_out != 4) || (channels_out == 4 && channels_in != 4)) {
    snprintf(error, error_size, "invalid image: %dx%d, %d -> %d channels", width, height,
             channels_in, channels_out);
    return 1;
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
  if (filter == 1) png_set_filter(png, 0, PNG_FILTER_NONE);
  else if (filter == 2) png_set_filter(png, 0, PNG_FILTER_UP);
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
