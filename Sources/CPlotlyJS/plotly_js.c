// plotly.min.js built into the binary: the assembler's .incbin copies Assets/plotly/plotly.min.js
// (found through the target's header search path, see Package.swift) into read-only data, so
// `export ... -o page.html` can inline it with no file next to the binary and no 5 MB Swift
// literal to compile. The build does not track the included file: changing it means changing
// this file too (TS_PLOTLY_JS_VERSION), see Assets/plotly/README.md.
#include "plotly_js.h"

#define TS_PLOTLY_JS_VERSION "4.1.1"

#if defined(__APPLE__)
#define TS_SECTION ".const_data"
#define TS_SYMBOL(name) "_" #name
#else
#define TS_SECTION ".section .rodata"
#define TS_SYMBOL(name) #name
#endif

__asm__(TS_SECTION "\n"
        ".balign 16\n"
        TS_SYMBOL(ts_plotly_js_start) ":\n"
        ".incbin \"plotly.min.js\"\n"
        TS_SYMBOL(ts_plotly_js_end) ":\n"
        ".byte 0\n"
#if !defined(__APPLE__)
        ".previous\n"
#else
        ".text\n"
#endif
);

extern const unsigned char ts_plotly_js_start[];
extern const unsigned char ts_plotly_js_end[];

const unsigned char *ts_plotly_js(size_t *length) {
  *length = (size_t)(ts_plotly_js_end - ts_plotly_js_start);
  return ts_plotly_js_start;
}

const char *ts_plotly_js_version(void) { return TS_PLOTLY_JS_VERSION; }
