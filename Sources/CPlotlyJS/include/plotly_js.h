#ifndef TRAINSCAPE_PLOTLY_JS_H
#define TRAINSCAPE_PLOTLY_JS_H
#include <stddef.h>

/// plotly.min.js (Assets/plotly/plotly.min.js) as built into the binary: its bytes (not
/// NUL-terminated) and their count in `*length`.
const unsigned char *ts_plotly_js(size_t *length);

/// The bundled plotly.js version, e.g. "4.1.1".
const char *ts_plotly_js_version(void);

#endif
