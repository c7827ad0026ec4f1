#ifndef TRAINSCAPE_CEGL_SHIM_H
#define TRAINSCAPE_CEGL_SHIM_H
#define EGL_EGLEXT_PROTOTYPES 1
#include <EGL/egl.h>
#include <EGL/eglext.h>

// The cast macros are not imported into Swift; expose them as functions.
static inline EGLDisplay ts_egl_no_display(void) { return EGL_NO_DISPLAY; }
static inline EGLContext ts_egl_no_context(void) { return EGL_NO_CONTEXT; }
static inline EGLSurface ts_egl_no_surface(void) { return EGL_NO_SURFACE; }
static inline EGLNativeDisplayType ts_egl_default_display(void) { return EGL_DEFAULT_DISPLAY; }
static inline EGLDeviceEXT ts_egl_no_device(void) { return EGL_NO_DEVICE_EXT; }

// The headless backend's one libc setting (FramePipeline.returnLargeBuffersToTheSystem):
// mallopt is declared in <malloc.h>, which Swift's Glibc module does not import.
#if defined(__GLIBC__)
#include <malloc.h>
static inline void ts_set_mmap_threshold(int bytes) { mallopt(M_MMAP_THRESHOLD, bytes); }
#else
static inline void ts_set_mmap_threshold(int bytes) { (void)bytes; }
#endif
#endif
